"""The Teams settings card (Teams has no App Home): the member's working days and digest time."""

from __future__ import annotations

from typing import Any

from bot import working_days
from bot.render.cards import Element, card, text_block

SAVE_SETTINGS = "save_settings"
DAYS_INPUT = "working_days"
TIME_INPUT = "digest_time"


def settings_card(days: tuple[str, ...], digest_time: str, timezone: str) -> Element:
    body: list[Element] = [
        text_block("Your Tandem settings", weight="Bolder", size="Medium"),
        text_block(f"Your digest comes at {digest_time} ({timezone}) on the days you work.", isSubtle=True),
        {
            "type": "Input.ChoiceSet",
            "id": DAYS_INPUT,
            "label": "My working days (no digest on the others)",
            "isMultiSelect": True,
            "style": "expanded",
            "wrap": True,
            "value": ",".join(days),
            "choices": [{"title": working_days.NAMES[d], "value": d} for d in working_days.WEEKDAYS],
        },
        {"type": "Input.Time", "id": TIME_INPUT, "label": "Digest time (your timezone)", "value": digest_time},
    ]
    save = {"type": "Action.Submit", "title": "Save settings", "data": {"action": SAVE_SETTINGS}}
    return card(body, [save], "Your Tandem settings")


def read_settings(data: dict[str, Any]) -> tuple[tuple[str, ...], str | None]:
    """(working days, digest time or None) from a submitted settings card; ValueError on no day picked."""
    days = working_days.normalized(str(data.get(DAYS_INPUT) or "").split(","))
    time = str(data.get(TIME_INPUT) or "")
    ok = len(time) == 5 and time[2] == ":" and time[:2].isdigit() and time[3:].isdigit()
    return days, (time if ok and int(time[:2]) < 24 and int(time[3:]) < 60 else None)
