"""Rendering: every payload is valid Block Kit / Adaptive Card 1.5, and all platforms carry the same facts."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.render import actions as act
from bot.render.blocks import alert_blocks, digest_blocks, digest_fallback_text
from bot.render.cards import alert_card, digest_card
from bot.render.text import alert_text, digest_text
from bot.render.validate import validate_blocks, validate_card
from bot.views import Digest, DigestItem, Figures, HandoffSummary, StakeholderAlert

DAY = date(2026, 11, 22)


def item(i: int, **extra: object) -> DigestItem:
    fields: dict[str, object] = {
        "account_id": 100 + i, "account_external_id": f"ACC-{i}", "account_name": f"Northwind {i}",
        "arr": 180_000.0, "renewal_date": date(2027, 1, 6), "days_to_renewal": 45, "health": 41,
        "headline": f"Renewal in 45 days on falling usage ({i})", "kinds": ["renewal_risk", "usage_drop"],
        "severity": 3, "change": "new", "reasons": ["Active users down 38% over 30 days", "2 open high tickets"],
        "next_step": f"Book a value review before Dec 1 ({i})", "value_at_stake": 180_000.0,
        "signal_ids": [i, i + 1], "crm_url": f"https://crm.example/accounts/ACC-{i}",
    }
    fields.update(extra)
    return DigestItem.model_validate(fields)


def digest(items: list[DigestItem], **extra: object) -> Digest:
    fields: dict[str, object] = {
        "member_email": "alice@us.example", "member_name": "Alice Martin", "role": "am", "day": DAY,
        "opening": "Good morning Alice: 5 accounts need attention.",
        "figures": Figures(accounts=20, arr_total=2e6, arr_at_risk=400_000, expansion_pipeline=19_200,
                           renewals_90d=3, renewals_90d_arr=455_000, coverage_30d=0.85),
        "items": items, "more_count": 2,
        "handoffs": [HandoffSummary(handoff_id=1, account_name="Globex", from_name="Chloé", topic="risk",
                                    note="Champion left, please call the CFO", status="open")],
    }
    fields.update(extra)
    return Digest.model_validate(fields)


ALERT = StakeholderAlert(
    account_id=7, account_name="Globex Health", arr=140_000, contact_name="Maria Gonzalez",
    contact_title="VP Operations", contact_role="champion", since=date(2026, 11, 19),
    evidence=["status", "text:T-231"], single_threaded=True, renewal_date=date(2027, 3, 2), days_to_renewal=100,
    others_to_engage=["Li Wei (CFO)", "Sam Roe (Ops lead)"], next_step="Call Li Wei this week",
)


def flat(payload: object) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_a_realistic_digest_is_valid_and_says_the_same_on_every_platform() -> None:
    d = digest([item(i) for i in range(5)])
    blocks, card, text = digest_blocks(d), digest_card(d), digest_text(d)
    validate_blocks(blocks)
    validate_card(card)
    for rendered in (flat(blocks), flat(card), text):
        for i in range(5):
            assert f"Northwind {i}" in rendered and f"Book a value review before Dec 1 ({i})" in rendered
        assert "$400k" in rendered and "$180k" in rendered and "Jan 6 (45 days)" in rendered
        assert "Champion left, please call the CFO" in rendered
        assert "2 more" in rendered
    assert "Alice Martin" in digest_fallback_text(d)


def test_digest_buttons_carry_the_item_on_both_platforms() -> None:
    d = digest([item(1), item(2)])
    buttons = [e for b in digest_blocks(d) if b["type"] == "actions" for e in b["elements"]]
    ids = [b["action_id"] for b in buttons]
    assert len(ids) == len(set(ids))  # unique within the message
    assert {act.parse_action_id(i) for i in ids} == set(act.ALL_ACTIONS)
    snooze = next(b for b in buttons if b["action_id"] == "snooze_7d:1")
    assert act.parse_button_value(snooze["value"]) == (102, [2, 3])
    opened = next(b for b in buttons if b["action_id"] == "open_account:0")
    assert opened["url"] == "https://crm.example/accounts/ACC-1"
    submits = [a for a in flat(digest_card(d)).split('"data": ')[1:]]
    assert len(submits) == 2 * 5  # five submit actions per item, "open" is a URL
    assert '"action": "item_done", "account_id": 101, "signal_ids": [1, 2]' in flat(digest_card(d))


def test_an_empty_digest_is_valid_and_says_so() -> None:
    d = digest([], more_count=0, handoffs=[])
    validate_blocks(digest_blocks(d))
    validate_card(digest_card(d))
    assert "Nothing needs you today" in flat(digest_blocks(d)) and "Nothing needs you today" in flat(digest_card(d))


def test_hostile_and_huge_inputs_stay_valid_and_inert() -> None:
    evil = item(1, account_name="<!channel> " + "A" * 50_000, headline="<https://evil.example|click> " * 1000,
                reasons=["x" * 10_000] * 10, next_step="&<>" * 5000, crm_url="javascript:alert(1)")
    d = digest([evil, *[item(i) for i in range(500)]], member_name="M" * 1000, opening="o" * 20_000)
    blocks, card = digest_blocks(d), digest_card(d)
    validate_blocks(blocks)
    validate_card(card)
    assert "<!channel>" not in flat(blocks) and "&lt;!channel&gt;" in flat(blocks)
    assert "javascript:" not in flat(blocks) and "javascript:" not in flat(card)
    assert "…and 495 more" in flat(blocks)  # 8 shown of 501, plus the 2 already counted
    assert len(flat(card).encode()) < 28_000 * 4


def test_alerts_are_valid_and_complete_everywhere() -> None:
    blocks, card, text = alert_blocks(ALERT), alert_card(ALERT), alert_text(ALERT)
    validate_blocks(blocks)
    validate_card(card)
    for rendered in (flat(blocks), flat(card), text):
        assert "Maria Gonzalez" in rendered and "Globex Health" in rendered
        assert "single-threaded" in rendered and "Li Wei (CFO)" in rendered and "Call Li Wei this week" in rendered


def test_the_validators_reject_invalid_payloads() -> None:
    with pytest.raises(ValueError, match="block 0"):
        validate_blocks([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}])
    with pytest.raises(ValueError, match="at most 50"):
        validate_blocks([{"type": "divider"}] * 51)
    with pytest.raises(ValueError, match="invalid Adaptive Card"):
        validate_card({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Nope"}]})
    with pytest.raises(ValueError):
        act.parse_button_value('{"a": "1; DROP TABLE"}')
