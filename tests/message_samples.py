"""One message of every kind Tandem sends, built from hostile data, for the Slack and Teams checks.

Every customer-controlled string carries Slack and Markdown control characters, mentions and links.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.handoff_relay import handoff_card, handoff_notice, reply_body
from bot.handoffs import HandoffDraft
from bot.models import Member
from bot.render import blocks, blocks_chat, cards, cards_account, cards_settings
from bot.slack.modal import handoff_view
from bot.slack.settings_modal import settings_view
from bot.views import (
    AccountAnswer,
    AccountChoice,
    AccountChooser,
    Digest,
    DigestItem,
    Figures,
    HandoffSummary,
    SignalLine,
    StakeholderAlert,
    StakeholderLine,
    TicketLine,
)

HOSTILE = "*Acme* _Corp_ ~x~ `y` <!channel> <@U123> [Renew now](https://evil.example) & <https://evil.example>"
# Pieces of HOSTILE that must never reach a message as they are: each would format, mention or link.
SLACK_LIVE = ("*Acme*", "_Corp_", "~x~", "`y`", "<!channel>", "<@U123>", "<https")
TEAMS_LIVE = ("*Acme*", "_Corp_", "~x~", "`y`", "](https", "<https")
DAY = date(2026, 11, 23)
LONG_NAME = "Dunmore Regional Transport & Logistics Holdings International"


def _item(i: int, name: str, **extra: Any) -> DigestItem:
    fields: dict[str, Any] = {
        "account_id": 10 + i,
        "account_external_id": f"ACC-{i}",
        "account_name": name,
        "arr": 140_000.0,
        "renewal_date": date(2027, 3, 9),
        "days_to_renewal": 106,
        "health": 52,
        "headline": f"{HOSTILE} left",
        "kinds": ["stakeholder_left"],
        "severity": 4,
        "change": "new",
        "reasons": [f"Ticket {HOSTILE} escalated", "2 urgent tickets open"],
        "next_step": f"Reach {HOSTILE} this week.",
        "signal_ids": [100 + i, 200 + i],
        "crm_url": f"https://crm.example/accounts/ACC-{i}" if i % 2 == 0 else None,
    }
    return DigestItem.model_validate({**fields, **extra})


def digest() -> Digest:
    handoff = HandoffSummary(
        handoff_id=1, account_name=HOSTILE, from_name=HOSTILE, topic="risk", note=f"{HOSTILE}\n- first\n- second",
        status="open", due_date=date(2026, 11, 28),
    )  # fmt: skip
    return Digest(
        member_email="alice@us.example",
        member_name=HOSTILE,
        role="am",
        day=DAY,
        opening=f"Good morning: {HOSTILE} needs you.\nSecond line.",
        figures=Figures(accounts=20, arr_at_risk=140_000, accounts_at_risk=1, renewals_90d=1, coverage_30d=0.95),
        items=[_item(0, HOSTILE), _item(1, LONG_NAME, kinds=["pair_desync"]), _item(2, "Initech", change="worse")],
        more_count=2,
        more_accounts=[HOSTILE, "Hooli"],
        handoffs=[handoff],
        handoffs_sent=[handoff],
        stale_sources=[f"usage {HOSTILE}"],
    )


def alert() -> StakeholderAlert:
    return StakeholderAlert(
        account_id=10, account_name=HOSTILE, arr=140_000, crm_url="https://crm.example/a", contact_name=HOSTILE,
        contact_title=HOSTILE, contact_role="champion", since=date(2026, 11, 20),
        evidence=["status", f"text:{HOSTILE}"], single_threaded=True, renewal_date=date(2027, 3, 9),
        days_to_renewal=106, others_to_engage=[HOSTILE],
        next_step=f"Reach {HOSTILE} this week.",
    )  # fmt: skip


def answer() -> AccountAnswer:
    return AccountAnswer(
        account_id=10, external_id="ACC-0", name=HOSTILE, domain="acme.example", arr=140_000, currency="USD",
        plan=HOSTILE, renewal_date=date(2027, 3, 9), days_to_renewal=106, am=HOSTILE, csm=HOSTILE, health=52,
        health_trend_30d=-8,
        signals=[SignalLine(kind="usage_drop", severity=3, title=f"Usage {HOSTILE}", reasons=[HOSTILE])],
        stakeholders=[StakeholderLine(name=HOSTILE, title=HOSTILE, role="decision_maker", is_key=True)],
        active_users_now=40, usage_change_30d=-0.31, seat_utilisation=0.51,
        recent_tickets=[TicketLine(external_id=HOSTILE, subject=HOSTILE, priority="high", status="open")],
        handoffs=[HandoffSummary(handoff_id=1, account_name=HOSTILE, from_name=HOSTILE, topic="risk", note=HOSTILE,
                                 status="open")],
        brief=f"{HOSTILE}\nSecond line.", brief_by_model=True, brief_model_text_id=7, crm_url="https://crm.example/a",
    )  # fmt: skip


def chooser() -> AccountChooser:
    names = [HOSTILE, LONG_NAME, "Acme Robotics", "Acme Robotics Europe GmbH & Co. KG", "Acme Inc"]
    return AccountChooser(
        query=HOSTILE,
        choices=[AccountChoice(account_id=i + 1, name=n, domain=f"d{i}.example") for i, n in enumerate(names)],
    )


HANDOFF = HandoffSummary(
    handoff_id=3, account_name=HOSTILE, from_name=HOSTILE, topic="risk", note=f"{HOSTILE}\n- one\n- two",
    status="open", due_date=date(2026, 12, 1),
)  # fmt: skip
DRAFT = HandoffDraft(
    topic="risk", note=f"{HOSTILE}\n- one\n- two", promises=HOSTILE, next_step="Call them. " * 20, due_date=DAY
)
MASKED = ("Ticket from <EMAIL_1> about the renewal, call <PHONE_2> " * 200).strip()


def _member() -> Member:
    return Member(email="a@x.example", name=HOSTILE, role="am", digest_time="08:30", digest_budget=5, muted_kinds=[])


def slack_messages() -> dict[str, tuple[list[dict[str, Any]], str]]:
    """Every Slack message: its blocks and its notification text."""
    d, a, ans = digest(), alert(), answer()
    return {
        "digest": (blocks.digest_blocks(d), blocks.digest_fallback_text(d)),
        "alert": (blocks.alert_blocks(a), blocks.alert_fallback_text(a)),
        "account": (blocks_chat.account_blocks(ans), blocks_chat.account_fallback_text(ans)),
        "account-shared": (blocks_chat.account_blocks(ans, HOSTILE), blocks_chat.account_fallback_text(ans)),
        "chooser": (blocks_chat.chooser_blocks(chooser()), "Several accounts match"),
        "help": (blocks_chat.help_blocks(), "How to use Tandem"),
        "no-match": (blocks_chat.no_match_blocks(HOSTILE), "No account matches"),
        "handoff-root": (
            blocks_chat.handoff_root_blocks(HANDOFF, HOSTILE, HOSTILE, HOSTILE, True),
            handoff_notice("slack", HOSTILE, HOSTILE),
        ),
        "handoff-reply": ([], blocks_chat.handoff_reply_text(HOSTILE, "teams", HOSTILE)),
        "handoff-modal": (handoff_view([(10, HOSTILE)], 10, DRAFT)["blocks"], ""),
        "settings-modal": (settings_view(_member())["blocks"], ""),
        "model-input": (blocks_chat.model_input_blocks(f"What the model saw for {HOSTILE}", MASKED), ""),
        "home": (blocks_chat.home_view(HOSTILE, [{"name": HOSTILE}], {"Time": "08:00"}, DAY)["blocks"], ""),
    }  # fmt: skip


def teams_cards() -> dict[str, dict[str, Any]]:
    """Every Teams card."""
    d, a, ans = digest(), alert(), answer()
    return {
        "digest": cards.digest_card(d),
        "alert": cards.alert_card(a),
        "account": cards_account.account_card(ans),
        "account-shared": cards_account.account_card(ans, HOSTILE),
        "chooser": cards_account.chooser_card(chooser()),
        "help": cards_account.help_card(),
        "no-match": cards_account.no_match_card(HOSTILE),
        "notice": cards_account.message_card(f"Sorry: {HOSTILE}"),
        "handoff-root": handoff_card(HANDOFF, HOSTILE, HOSTILE, HOSTILE, True),
        "handoff-reply": cards.card(reply_body(HOSTILE, "slack", f"{HOSTILE}\nline two"), [], "reply"),
        "handoff-form": cards_account.handoff_form_card(10, HOSTILE, HOSTILE, DRAFT),
        "model-input": cards_account.model_input_card(f"What the model saw for {HOSTILE}", MASKED),
        "settings": cards_settings.settings_card(("mon", "tue", "wed", "thu", "fri"), "08:30", "Europe/Paris"),
    }
