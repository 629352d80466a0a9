"""Rendering: every payload is valid Block Kit / Adaptive Card 1.5, and all platforms carry the same facts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.render import actions as act
from bot.render import (
    alert_blocks,
    alert_card,
    alert_fallback_text,
    alert_text,
    digest_blocks,
    digest_card,
    digest_fallback_text,
    digest_text,
    validate_blocks,
    validate_card,
)
from bot.render.format import money, renewal
from bot.render.validate import BUNDLED_SCHEMA, SHARED_SCHEMA
from bot.views import Digest, DigestItem, Figures, HandoffSummary, StakeholderAlert

DAY = date(2026, 11, 22)


def item(i: int, **extra: Any) -> DigestItem:
    fields: dict[str, Any] = {
        "account_id": 100 + i,
        "account_external_id": f"ACC-{i}",
        "account_name": f"Northwind {i}",
        "arr": 180_000.0,
        "renewal_date": date(2027, 1, 6),
        "days_to_renewal": 45,
        "health": 41,
        "headline": f"Renewal in 45 days on falling usage ({i})",
        "kinds": ["renewal_risk", "usage_drop"],
        "severity": 3,
        "change": ["new", "worse", "ongoing"][i % 3],
        "reasons": [f"Active users down 38% ({i})", "2 open high tickets", "Champion quiet", "Fourth reason"],
        "next_step": f"Book a value review before Dec 1 ({i})",
        "value_at_stake": 180_000.0,
        "signal_ids": [10 * i, 10 * i + 1],
        "crm_url": f"https://crm.example/accounts/ACC-{i}" if i % 2 == 0 else None,
    }
    return DigestItem.model_validate({**fields, **extra})


HANDOFF = HandoffSummary(
    handoff_id=1,
    account_name="Globex",
    from_name="Chloé Durand",
    topic="risk",
    note="Champion left, please call the CFO",
    status="open",
    due_date=date(2026, 11, 28),
)
FIGURES = Figures(
    accounts=20,
    arr_total=2e6,
    arr_at_risk=400_000,
    expansion_pipeline=1_250_000,
    renewals_90d=3,
    renewals_90d_arr=455_000,
    coverage_30d=0.85,
)


def digest(items: list[DigestItem], **extra: Any) -> Digest:
    fields: dict[str, Any] = {
        "member_email": "alice@us.example",
        "member_name": "Alice Martin",
        "role": "am",
        "day": DAY,
        "opening": "Five accounts need you today, two of them renew before January.",
        "figures": FIGURES,
        "items": items,
        "more_count": 2,
        "handoffs": [HANDOFF],
    }
    return Digest.model_validate({**fields, **extra})


ALERT = StakeholderAlert(
    account_id=7,
    account_name="Globex Health",
    arr=140_000,
    contact_name="Maria Gonzalez",
    contact_title="VP Operations",
    contact_role="champion",
    since=date(2026, 11, 19),
    evidence=["status", "text:T-231"],
    single_threaded=True,
    renewal_date=date(2027, 3, 2),
    days_to_renewal=100,
    others_to_engage=["Li Wei (CFO)", "Sam Roe (Ops lead)"],
    next_step="Call Li Wei this week",
)


def strings(payload: Any) -> str:
    """Every string a payload shows or carries, one per line: what a reader (or a handler) gets."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict):
        return "\n".join(strings(v) for v in payload.values())
    if isinstance(payload, list):
        return "\n".join(strings(v) for v in payload)
    return ""


def mrkdwn(payload: Any) -> str:
    """The texts Slack parses for mentions and links."""
    if isinstance(payload, dict):
        own = payload["text"] if payload.get("type") == "mrkdwn" else ""
        return "\n".join([own, *(mrkdwn(v) for v in payload.values())])
    return "\n".join(mrkdwn(v) for v in payload) if isinstance(payload, list) else ""


def rendered_digest(d: Digest) -> list[str]:
    blocks, card = digest_blocks(d), digest_card(d)
    validate_blocks(blocks)
    validate_card(card)
    return [strings(blocks), strings(card), digest_text(d)]


def slack_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def card_actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_a_realistic_digest_states_the_same_facts_on_every_platform() -> None:
    d = digest([item(i) for i in range(5)], stale_sources=["usage (since 2026-11-20)"])
    facts = [
        "Sunday, Nov 22, 2026", "17 of 20 accounts", "$400k", "$1.2M", "3 ($455k)",
        "Five accounts need you today", "usage (since 2026-11-20)", "$180k", "Jan 6 (45 days)", "41/100",
        "new", "worse", "high", "2 open high tickets", "Champion quiet",
        "…and 2 more", "Handoffs waiting on you", "Globex", "Chloé Durand", "Nov 28",
        "Champion left, please call the CFO",
    ]  # fmt: skip
    for i in range(5):
        facts += [f"Northwind {i}", f"Renewal in 45 days on falling usage ({i})", f"Active users down 38% ({i})"]
        facts.append(f"Book a value review before Dec 1 ({i})")
    for rendered in rendered_digest(d):
        missing = [fact for fact in facts if fact not in rendered]
        assert not missing, missing
        assert "Fourth reason" not in rendered  # at most three reasons
        assert "written by the model" not in rendered
    assert "<" not in mrkdwn(digest_blocks(d))  # Slack would read any "<...>" as a link or a mention
    assert "Alice Martin" in digest_fallback_text(d) and "7 accounts need you" in digest_fallback_text(d)


def test_a_model_written_opening_is_marked_everywhere() -> None:
    for rendered in rendered_digest(digest([item(0)], opening_by_model=True)):
        assert "(written by the model)" in rendered


def test_the_text_version_has_no_markup() -> None:
    text = digest_text(digest([item(i) for i in range(5)])) + alert_text(ALERT)
    for code in ("*", "`", "_(", "&lt;", "\x1b", "[bold"):
        assert code not in text


def slack_choices(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """Every (action, element or option) a person can pick on Slack: buttons, then overflow options."""
    found: list[tuple[str, dict[str, Any]]] = []
    for element in slack_buttons(blocks):
        if element["type"] == "overflow":
            found += [(act.parse_menu_value(o["value"])[0], o) for o in element["options"]]
        else:
            found.append((act.parse_action_id(element["action_id"]), element))
    return found


def test_buttons_carry_the_same_actions_and_payloads_on_slack_and_teams() -> None:
    d = digest([item(i) for i in range(5)])
    blocks, card = digest_blocks(d), digest_card(d)
    buttons = slack_buttons(blocks)
    ids = [b["action_id"] for b in buttons]
    assert len(ids) == len(set(ids)) == 5 * 2  # unique within the message: one button and one menu an item
    assert all([e["type"] for e in b["elements"]] == ["button", "overflow"] for b in blocks if b["type"] == "actions")
    assert all(e.get("style") == "primary" for e in buttons if e["type"] == "button")  # the one primary action
    assert act.action_pattern(act.SNOOZE).match("snooze_7d:3") and not act.action_pattern(act.SNOOZE).match(
        "snooze_7d_x"
    )
    slack_submits: set[tuple[str, int, tuple[int, ...]]] = set()
    for name, element in slack_choices(blocks):
        if element.get("type") == "button":
            account, signals = act.parse_button_value(element["value"])
        else:
            _, account, signals = act.parse_menu_value(element["value"])
        slack_submits.add((name, account, tuple(signals)))
    assert {name for name, _ in slack_choices(blocks)} == set(act.ALL_ACTIONS) - {act.ITEM_MENU}
    teams_submits: set[tuple[str, int, tuple[int, ...]]] = set()
    for action in card_actions(card):
        if action["type"] == "Action.Submit":
            name, account, signals = act.parse_submit_data(action["data"])
            teams_submits.add((name, account, tuple(signals)))
    opened_by_url = {(act.OPEN_ACCOUNT, 100 + i, (10 * i, 10 * i + 1)) for i in (0, 2, 4)}
    assert teams_submits == slack_submits - opened_by_url
    assert ("snooze_7d", 101, (10, 11)) in teams_submits
    slack_urls = {e["url"] for _, e in slack_choices(blocks) if "url" in e}
    teams_urls = {a["url"] for a in card_actions(card) if a["type"] == "Action.OpenUrl"}
    assert slack_urls == teams_urls == {f"https://crm.example/accounts/ACC-{i}" for i in (0, 2, 4)}
    # Without a CRM link the primary action is the handoff; "Show the account" waits in the menu.
    assert next(b for b in buttons if b["action_id"] == "handoff_start:1")["value"] == '{"a":101,"s":[10,11]}'


def test_an_empty_digest_is_valid_and_says_so() -> None:
    d = digest([], more_count=0, handoffs=[])
    for rendered in rendered_digest(d):
        assert "Nothing needs you today" in rendered and "$400k" in rendered and "more" not in rendered
    assert not slack_buttons(digest_blocks(d)) and not card_actions(digest_card(d))


def test_five_hundred_items_show_the_same_first_eight_and_count_the_rest() -> None:
    d = digest([item(i) for i in range(500)])
    for rendered in rendered_digest(d):
        shown, more = rendered.split("…and 494 more", 1)  # 500 - 8 shown + the 2 already beyond the budget
        assert "Northwind 7" in shown and "Northwind 8" not in shown
        # The accounts left out are named (the first few, in rank order), so each is one /account away.
        assert "Northwind 8, Northwind 9, Northwind 10, Northwind 11, Northwind 12 and 489 others" in more


def test_hostile_and_huge_inputs_stay_valid_and_inert() -> None:
    evil = item(
        1,
        account_name="<!channel> [Renew now](https://evil.example) " + "A" * 50_000,
        headline="<https://evil.example|click here> \x1b[31m" * 1000,
        reasons=["<@U123> &amp; " + "x" * 10_000] * 10,
        next_step="&<>\n\n\n" * 5000,
        crm_url="javascript:alert(1)",
        signal_ids=list(range(10_000)),
        change="<!here>",
    )
    d = digest(
        [evil, *[item(i, account_name="😈" * 20_000) for i in range(499)]],
        member_name="<!everyone> " + "M" * 1000,
        role="<script>" * 100,
        opening="<!channel> " + "o" * 20_000,
        stale_sources=["<!here>" * 500] * 50,
        handoffs=[HANDOFF.model_copy(update={"note": "<!channel>" * 1000, "topic": "<@U1>"})] * 20,
        figures=FIGURES.model_copy(update={"currency": "<!channel>" * 100, "arr_at_risk": float("nan")}),
    )
    blocks, card, text = digest_blocks(d), digest_card(d), digest_text(d)
    validate_blocks(blocks)
    validate_card(card)
    slack = mrkdwn(blocks) + digest_fallback_text(d)  # plain_text (headers, buttons) is never parsed
    for control in ("<!", "<@", "<https", "<script"):
        assert control not in slack
    assert "&lt;!channel&gt;" in slack
    for rendered in (strings(blocks), strings(card), text):
        assert "javascript:" not in rendered and "\x1b" not in rendered
    assert "](https" not in strings(card)  # no markdown link smuggled into Teams
    assert all(len(e["value"]) <= (2000 if e.get("type") == "button" else 150) for _, e in slack_choices(blocks))
    shown = len([b for b in blocks if b.get("block_id", "").startswith("item:")])
    assert 1 <= shown <= 8 and f"…and {500 - shown + 2} more" in strings(blocks)
    shown = len([b for b in card["body"] if b["type"] == "Container"])  # Teams cuts by size, on its own
    assert 1 <= shown <= 8 and f"…and {500 - shown + 2} more" in strings(card)


def test_alerts_are_valid_and_complete_everywhere() -> None:
    blocks, card, text = alert_blocks(ALERT), alert_card(ALERT), alert_text(ALERT)
    validate_blocks(blocks)
    validate_card(card)
    facts = [
        "Maria Gonzalez", "VP Operations", "champion", "Globex Health", "Nov 19", "$140k", "Mar 2 (100 days)",
        "Single-threaded", "Li Wei (CFO)", "Sam Roe (Ops lead)", "Call Li Wei this week",
        "marked as left in the CRM", "mentioned in ticket or note T-231",
    ]  # fmt: skip
    for rendered in (strings(blocks), strings(card), text):
        missing = [fact for fact in facts if fact not in rendered]
        assert not missing, missing
    assert [(b["action_id"], act.parse_button_value(b["value"])) for b in slack_buttons(blocks)] == [
        ("open_account:0", (7, [])),
        ("handoff_start:0", (7, [])),
    ]
    assert [a["data"] for a in card["actions"]] == [
        {"action": "open_account", "account_id": 7, "signal_ids": []},
        {"action": "handoff_start", "account_id": 7, "signal_ids": []},
    ]
    assert "Maria Gonzalez" in alert_fallback_text(ALERT)


def test_a_bare_or_hostile_alert_is_still_valid() -> None:
    bare = StakeholderAlert(account_id=1, account_name="Initech", contact_name="Bob")
    hostile = ALERT.model_copy(
        update={"contact_name": "<!channel>" * 5000, "others_to_engage": ["<@U1>" * 500] * 100, "since": None}
    )
    for alert in (bare, hostile):
        validate_blocks(alert_blocks(alert))
        validate_card(alert_card(alert))
        assert "<!" not in mrkdwn(alert_blocks(alert)) + alert_fallback_text(alert)
    assert "single-threaded" not in alert_text(bare).lower()


def test_money_and_dates_read_the_same_way() -> None:
    assert [money(v) for v in (180_000, 1_200_000, 999_600, 950, -180_000, None)] == [
        "$180k", "$1.2M", "$1M", "$950", "-$180k", "n/a",
    ]  # fmt: skip
    assert [money(180_000, c) for c in ("EUR", "GBP", "CHF")] == ["€180k", "£180k", "180k CHF"]
    assert renewal(date(2027, 1, 6), 45) == "Jan 6 (45 days)" and renewal(None, None) == "no renewal date"
    eur = digest([item(0)], figures=FIGURES.model_copy(update={"currency": "EUR"}))
    for rendered in rendered_digest(eur):
        assert "€400k" in rendered and "€180k" in rendered and "$" not in rendered


def test_payloads_refuse_forgeries() -> None:
    for forged in ('{"a": "1; DROP TABLE"}', '{"a": 1, "s": ["x"]}', "[1]", "not json", '{"a": true}'):
        with pytest.raises(ValueError):
            act.parse_button_value(forged)
    for data in ({"action": "rm_rf", "account_id": 1}, {"action": "item_done", "account_id": "1"}, None):
        with pytest.raises(ValueError):
            act.parse_submit_data(data)
    with pytest.raises(ValueError):
        act.parse_action_id("delete_everything:1")


def test_the_validators_reject_invalid_payloads() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "y" * 76}}
    bad_blocks: list[tuple[list[dict[str, Any]], str]] = [
        ([section], "block 0"),
        ([{"type": "divider"}] * 51, "at most 50"),
        ([{"type": "marquee"}], "unknown block type"),
        ([{"type": "actions", "elements": [button]}], "75"),
        ([{"type": "actions", "elements": [{**button, "text": {"type": "plain_text", "text": "y"}}]}] * 2, "duplicate"),
        ([{**section, "text": {"type": "mrkdwn", "text": "z" * 2900}}] * 5, "characters of text"),
    ]
    for bad, message in bad_blocks:
        with pytest.raises(ValueError, match=message):
            validate_blocks(bad)
    base = {"type": "AdaptiveCard", "version": "1.5", "body": []}
    for bad_card, message in [
        ({**base, "body": [{"type": "Nope"}]}, "invalid Adaptive Card"),
        ({**base, "actions": [{"type": "Action.OpenUrl", "title": "x"}]}, "actions/0"),
        ({**base, "body": [{"type": "TextBlock", "text": "t", "wrap": "yes"}]}, "invalid Adaptive Card"),
        ({**base, "body": [{"type": "TextBlock", "text": "w" * 1000}] * 40}, "bytes"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate_card(bad_card)


def test_the_card_schema_ships_with_the_package_and_can_be_overridden(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled = json.loads(BUNDLED_SCHEMA.read_text(encoding="utf-8"))
    assert "MIT" in bundled.pop("$comment")
    if SHARED_SCHEMA.exists():
        assert bundled == json.loads(SHARED_SCHEMA.read_text(encoding="utf-8"))
    strict = tmp_path / "strict.json"
    strict.write_text(json.dumps({"$schema": "http://json-schema.org/draft-06/schema#", "not": {}}))
    monkeypatch.setenv("TANDEM_CARD_SCHEMA", str(strict))
    with pytest.raises(ValueError, match="invalid Adaptive Card"):
        validate_card(alert_card(ALERT))


def test_a_handoff_the_reader_started_shows_in_its_own_section_until_done() -> None:
    mine = HANDOFF.model_copy(update={"handoff_id": 2, "account_name": "Initech", "to_name": "Bruno Costa"})
    d = digest([item(1)], handoffs=[HANDOFF], handoffs_sent=[mine])
    for rendered in rendered_digest(d):
        waiting, sent = rendered.split("Your handoffs still open", 1)
        assert "Handoffs waiting on you" in waiting and "Globex" in waiting and "from Chloé Durand" in waiting
        assert "Initech" in sent and "to Bruno Costa" in sent and "Globex" not in sent
    only_sent = digest([], more_count=0, handoffs=[], handoffs_sent=[mine])
    for rendered in rendered_digest(only_sent):
        assert "Your handoffs still open" in rendered and "waiting on you" not in rendered


def test_a_model_written_opening_offers_what_the_model_saw() -> None:
    d = digest([item(1)], opening_by_model=True, opening_model_text_id=7)
    rendered_digest(d)  # both validate
    slack = [e for b in digest_blocks(d) if b["type"] == "actions" for e in b["elements"]]
    assert next((e["action_id"].split(":")[0], e["value"]) for e in slack) == (act.MODEL_INPUT, '{"m":7}')
    teams = json.dumps(digest_card(d))
    assert f'"action": "{act.MODEL_INPUT}", "model_text_id": 7' in teams
    plain = digest([item(1)])  # the deterministic opening: nothing to show
    assert act.MODEL_INPUT not in json.dumps(digest_blocks(plain)) + json.dumps(digest_card(plain))
