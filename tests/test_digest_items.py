"""What a digest item says, on every platform: a badge only when it tells something, facts once, one
primary action that fits the item, and header figures a new AM understands."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.render import actions as act
from bot.render import items
from bot.render.blocks import digest_blocks
from bot.render.cards import digest_card
from bot.render.format import chunks_at_spaces
from bot.render.text import digest_text
from bot.views import Digest, DigestItem, Figures


def item(i: int, **extra: Any) -> DigestItem:
    fields: dict[str, Any] = {
        "account_id": i, "account_external_id": f"A{i}", "account_name": f"Initech {i}", "arr": 60_000.0,
        "renewal_date": date(2027, 1, 22), "days_to_renewal": 60, "health": 75,
        "headline": "Billing: $15k outstanding, 2 failed, 1 overdue", "kinds": ["billing_risk"], "severity": 3,
        "reasons": ["2 failed payments in the last 90 days", "$15k outstanding", "Renewal in 60 days"],
        "next_step": "Call the buyer about $15k unpaid.", "signal_ids": [i], "crm_url": "https://crm.example/x",
    }  # fmt: skip
    return DigestItem.model_validate({**fields, **extra})


def digest(entries: list[DigestItem]) -> Digest:
    return Digest(
        member_email="bruno@x.example", member_name="Bruno Costa", role="am", day=date(2026, 11, 23),
        opening="Good morning Bruno.", figures=Figures(accounts=20, arr_at_risk=200_000, accounts_at_risk=2,
        renewals_90d=1, renewals_90d_arr=75_000, coverage_30d=0.95), items=entries,
    )  # fmt: skip


def test_a_first_digest_has_no_new_badge_on_every_item() -> None:
    first = digest([item(1), item(2)])
    assert [items.badge(i, first) for i in first.items] == ["", ""]
    later = digest([item(1), item(2, change="ongoing"), item(3, change="worse")])
    assert [items.badge(i, later) for i in later.items] == ["new", "", "worse"]
    for rendered in (str(digest_blocks(first)), str(digest_card(first)), digest_text(first)):
        assert "new" not in rendered.replace("renews", "").lower().split("good morning")[-1].split()


def test_a_fact_is_said_once() -> None:
    kept = items.reasons(item(1))
    assert kept == [
        "2 failed payments in the last 90 days"
    ]  # "$15k outstanding" is the headline's, renewal the figures'
    for rendered in (
        str(digest_blocks(digest([item(1)]))),
        str(digest_card(digest([item(1)]))),
        digest_text(digest([item(1)])),
    ):
        assert rendered.count("60 days") == 1 and rendered.count("$15k outstanding") == 1
        assert "Bruno" not in rendered.replace("Good morning Bruno.", "")  # the reader's name once, in the greeting


def test_the_primary_action_fits_the_item() -> None:
    assert items.primary(item(1), "am") == act.OPEN_ACCOUNT
    assert items.primary(item(1, crm_url=None), "am") == act.HANDOFF
    assert items.primary(item(1, kinds=["pair_desync"]), "am") == act.HANDOFF
    assert items.label(act.HANDOFF, "am", True) == "Hand off to your CSM"
    assert items.label(act.HANDOFF, "csm", True) == "Hand off to your AM"
    assert items.secondary(item(1), "am") == [act.HANDOFF, act.SNOOZE, act.DONE, *act.FEEDBACK_ACTIONS]


def test_header_figures_have_plain_labels_and_add_up() -> None:
    figures = dict(items.header_figures(digest([item(1)])))
    assert figures == {
        "ARR at risk": "$200k on 2 accounts",
        "Renewing in 90 days": "1 ($75k)",
        "Expansion in sight": "$0",
        "Contacted in 30 days": "19 of 20 accounts",
    }


def test_long_text_is_cut_at_spaces_and_loses_nothing() -> None:
    text = "Ticket <EMAIL_1> wrote: " + "word " * 900 + "x" * 3000
    pieces = chunks_at_spaces(text, 2000)
    assert "".join(pieces) == text and all(len(p) <= 2000 for p in pieces)
    assert all(p.endswith((" ", "\n")) for p in pieces[:-2])  # the unbroken run of x is the only hard cut
    assert not any("<EMAIL_1>" not in p and "<EMAIL" in p for p in pieces)
