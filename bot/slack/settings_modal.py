"""App Home settings: digest time, where the digest goes, items per digest, and which signal kinds to show.

The modal is opened from the Home tab; its submission is validated here and saved on the member. The
scheduler picks a new digest time up at its next refresh; muted kinds leave the digest, except critical
items (a key stakeholder gone, a renewal at risk within 30 days), which always show.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from bot import working_days
from bot.models import Member
from bot.slack.modal import input_block, option
from scoring.results import SIGNAL_KINDS

CALLBACK_ID = "settings_modal"
BUDGETS = tuple(range(1, 11))
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class SettingsChange:
    digest_time: str
    digest_channel: str | None  # None: the member's DM
    digest_budget: int
    muted_kinds: list[str] = field(default_factory=list)
    working_days: tuple[str, ...] | None = None  # None: unchanged


def _label(kind: str) -> str:
    return kind.replace("_", " ").capitalize()


def settings_view(member: Member) -> dict[str, Any]:
    muted = set(member.muted_kinds or [])
    kinds = [option(k, _label(k)) for k in SIGNAL_KINDS]
    budgets = [option(str(n), str(n)) for n in BUDGETS]
    channel: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": "value",
        "filter": {"include": ["public", "private"]},
    }
    if member.digest_channel:
        channel["initial_conversation"] = member.digest_channel
    shown = [o for o in kinds if o["value"] not in muted]
    checkboxes: dict[str, Any] = {"type": "checkboxes", "action_id": "value", "options": kinds}
    if shown:
        checkboxes["initial_options"] = shown
    budget = min(max(member.digest_budget, BUDGETS[0]), BUDGETS[-1])
    days = [option(d, working_days.NAMES[d]) for d in working_days.WEEKDAYS]
    mine = working_days.of_member(member.working_days, member.timezone)
    day_boxes = {
        "type": "checkboxes",
        "action_id": "value",
        "options": days,
        "initial_options": [o for o in days if o["value"] in mine],
    }
    blocks = [
        input_block(
            "time",
            "Digest time (your timezone)",
            {"type": "timepicker", "action_id": "value", "initial_time": member.digest_time},
        ),
        input_block("days", "My working days (no digest on the others)", day_boxes),
        input_block("channel", "Post my digest in (empty: a DM from Tandem)", channel, optional=True),
        input_block(
            "budget",
            "Items per digest",
            {"type": "static_select", "action_id": "value", "options": budgets, "initial_option": budgets[budget - 1]},
        ),
        input_block("kinds", "Signals in my digest (critical ones always show)", checkboxes, optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Tandem settings"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"member": member.id}),
        "blocks": blocks,
    }


def read_settings(view: dict[str, Any]) -> SettingsChange:
    """The change from a submitted modal; ValueError (with the block to blame first) when malformed."""
    values = view.get("state", {}).get("values", {})

    def value(block: str) -> dict[str, Any]:
        found = values.get(block, {}).get("value")
        return dict(found) if isinstance(found, dict) else {}

    time = str(value("time").get("selected_time") or "")
    if not _TIME.match(time):
        raise ValueError("time: pick a time")
    channel = value("channel").get("selected_conversation")
    try:
        budget = int((value("budget").get("selected_option") or {}).get("value", ""))
    except (TypeError, ValueError):
        raise ValueError("budget: pick a number") from None
    if budget not in BUDGETS:
        raise ValueError("budget: pick a number")
    chosen = {str(o.get("value")) for o in value("kinds").get("selected_options") or [] if isinstance(o, dict)}
    days: tuple[str, ...] | None = None
    if "days" in values:
        picked = [o.get("value") for o in value("days").get("selected_options") or [] if isinstance(o, dict)]
        try:
            days = working_days.normalized(picked)
        except ValueError:
            raise ValueError("days: pick at least one working day") from None
    return SettingsChange(
        digest_time=time,
        digest_channel=str(channel) if channel else None,
        digest_budget=budget,
        muted_kinds=[k for k in SIGNAL_KINDS if k not in chosen],
        working_days=days,
    )


def apply(member: Member, change: SettingsChange) -> None:
    member.digest_time = change.digest_time
    member.digest_channel = change.digest_channel
    member.digest_budget = change.digest_budget
    member.muted_kinds = list(change.muted_kinds)
    if change.working_days is not None:
        member.working_days = list(change.working_days)
