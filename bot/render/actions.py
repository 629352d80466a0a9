"""The actions a person can take on a digest item or an alert, the same on Slack and Teams."""

from __future__ import annotations

import json
from typing import Any

OPEN_ACCOUNT = "open_account"
SNOOZE = "snooze_7d"
HANDOFF = "handoff_start"
DONE = "item_done"
FEEDBACK_USEFUL = "feedback_useful"
FEEDBACK_NOT_USEFUL = "feedback_not_useful"
ALL_ACTIONS = (OPEN_ACCOUNT, SNOOZE, HANDOFF, DONE, FEEDBACK_USEFUL, FEEDBACK_NOT_USEFUL)

LABELS = {
    OPEN_ACCOUNT: "Open account",
    SNOOZE: "Snooze 7 days",
    HANDOFF: "Hand off",
    DONE: "Done",
    FEEDBACK_USEFUL: "Useful",
    FEEDBACK_NOT_USEFUL: "Not useful",
}
MAX_SIGNAL_IDS = 50  # keeps a Slack button value far below its 2,000-character limit


def slack_action_id(action: str, index: int) -> str:
    """Slack wants action ids unique within a message: handlers match them by the prefix before ':'."""
    return f"{action}:{index}"


def parse_action_id(action_id: str) -> str:
    return action_id.split(":", 1)[0]


def button_value(account_id: int, signal_ids: list[int]) -> str:
    return json.dumps({"a": account_id, "s": signal_ids[:MAX_SIGNAL_IDS]}, separators=(",", ":"))


def parse_button_value(value: str) -> tuple[int, list[int]]:
    """Read a button value back; anything malformed raises ValueError (a forged or stale payload)."""
    data = json.loads(value)
    account_id, signal_ids = data["a"], data.get("s", [])
    if not isinstance(account_id, int) or not all(isinstance(s, int) for s in signal_ids):
        raise ValueError("malformed action payload")
    return account_id, list(signal_ids)


def submit_data(action: str, account_id: int, signal_ids: list[int]) -> dict[str, Any]:
    """The `data` of a Teams Action.Submit."""
    return {"action": action, "account_id": account_id, "signal_ids": signal_ids[:MAX_SIGNAL_IDS]}
