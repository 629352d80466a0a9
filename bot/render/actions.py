"""The actions a person can take on a digest item or an alert, and their payloads, shared by Slack and Teams.

Slack wants every action_id unique within a message, so a button's action_id is `<action>:<item index>`
("snooze_7d:3"). Handlers must match by prefix: in Bolt, `app.action(action_pattern(SNOOZE))`.
What the button is about travels in its value (Slack) or data (Teams), never in the action_id.
"""

from __future__ import annotations

import json
import re
from typing import Any

OPEN_ACCOUNT = "open_account"
SNOOZE = "snooze_7d"
HANDOFF = "handoff_start"
DONE = "item_done"
FEEDBACK_USEFUL = "feedback_useful"
FEEDBACK_NOT_USEFUL = "feedback_not_useful"
ITEM_MENU = "item_menu"  # Slack's overflow menu on a digest item; the chosen option names the action
ALL_ACTIONS = (OPEN_ACCOUNT, SNOOZE, HANDOFF, DONE, FEEDBACK_USEFUL, FEEDBACK_NOT_USEFUL, ITEM_MENU)
ITEM_ACTIONS = (OPEN_ACCOUNT, SNOOZE, HANDOFF, DONE)
FEEDBACK_ACTIONS = (FEEDBACK_USEFUL, FEEDBACK_NOT_USEFUL)
ALERT_ACTIONS = (OPEN_ACCOUNT, HANDOFF)

# Actions on chat answers and handoff threads (not on digest items).
SHARE = "share_in_channel"
CHOOSE = "choose_account"
HANDOFF_ACK = "handoff_ack"
HANDOFF_DONE = "handoff_done"
MODEL_INPUT = "show_model_input"
EDIT_SETTINGS = "edit_settings"  # App Home
CHAT_ACTIONS = (SHARE, CHOOSE, HANDOFF_ACK, HANDOFF_DONE, MODEL_INPUT, EDIT_SETTINGS)

LABELS = {
    OPEN_ACCOUNT: "Open in CRM",
    SNOOZE: "Snooze this item 7 days",
    HANDOFF: "Hand off",
    DONE: "Mark this item done",
    FEEDBACK_USEFUL: "This item was useful",
    FEEDBACK_NOT_USEFUL: "This item was not useful",
    ITEM_MENU: "More",
    SHARE: "Share in channel",
    CHOOSE: "Show account",
    HANDOFF_ACK: "Acknowledge",
    HANDOFF_DONE: "Mark done",
    MODEL_INPUT: "What did the model see?",
    EDIT_SETTINGS: "Edit settings",
}
VALUE_LIMIT = 2000  # Slack's limit on a button value
OPTION_VALUE_LIMIT = 150  # Slack's limit on an overflow option's value
MAX_SIGNAL_IDS = 40  # an item merges a handful of signals; this keeps a value well under VALUE_LIMIT


def slack_action_id(action: str, index: int) -> str:
    return f"{action}:{index}"


def action_pattern(action: str) -> re.Pattern[str]:
    """What a Slack handler registers for `action`: the bare id or the id with any item index."""
    return re.compile(rf"^{re.escape(action)}(:\d+)?$")


def parse_action_id(action_id: str) -> str:
    """The action of a Slack action_id ("snooze_7d:3" -> "snooze_7d"); ValueError when it is none of ours."""
    action = action_id.split(":", 1)[0]
    if action not in ALL_ACTIONS or not action_pattern(action).match(action_id):
        raise ValueError(f"unknown action id {action_id[:80]!r}")
    return action


def _ids(signal_ids: list[int]) -> list[int]:
    return [int(s) for s in signal_ids[:MAX_SIGNAL_IDS]]


def button_value(account_id: int, signal_ids: list[int]) -> str:
    """The compact JSON a Slack button carries: {"a": account_id, "s": [signal ids]}."""
    return json.dumps({"a": int(account_id), "s": _ids(signal_ids)}, separators=(",", ":"))


def _checked(account_id: Any, signal_ids: Any) -> tuple[int, list[int]]:
    def is_int(x: Any) -> bool:
        return isinstance(x, int) and not isinstance(x, bool)

    if not is_int(account_id) or not isinstance(signal_ids, list) or not all(map(is_int, signal_ids)):
        raise ValueError("malformed action payload")
    return account_id, list(signal_ids)


def parse_button_value(value: str) -> tuple[int, list[int]]:
    """Read a Slack button value back; anything malformed (forged, stale, cut) raises ValueError."""
    if len(value) > VALUE_LIMIT:
        raise ValueError("action payload too long")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError("malformed action payload") from exc
    if not isinstance(data, dict):
        raise ValueError("malformed action payload")
    return _checked(data.get("a"), data.get("s", []))


def menu_value(action: str, account_id: int, signal_ids: list[int]) -> str:
    """An overflow option's value, {"x": action, "a": account, "s": [ids]}, within Slack's 150 characters.

    An item merges a handful of signals; in the rare item with more than fit, the first (most severe) go.
    """
    ids = _ids(signal_ids)
    while True:
        value = json.dumps({"x": action, "a": int(account_id), "s": ids}, separators=(",", ":"))
        if len(value) <= OPTION_VALUE_LIMIT or not ids:
            return value
        ids = ids[:-1]


def parse_menu_value(value: str) -> tuple[str, int, list[int]]:
    """Read back `menu_value`: (action, account_id, signal_ids); ValueError when malformed."""
    if len(value) > VALUE_LIMIT:
        raise ValueError("action payload too long")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError("malformed action payload") from exc
    if not isinstance(data, dict) or data.get("x") not in ALL_ACTIONS or data.get("x") == ITEM_MENU:
        raise ValueError("malformed action payload")
    account_id, signal_ids = _checked(data.get("a"), data.get("s", []))
    return str(data["x"]), account_id, signal_ids


def submit_data(action: str, account_id: int, signal_ids: list[int]) -> dict[str, Any]:
    """The `data` of a Teams Action.Submit: {"action": ..., "account_id": ..., "signal_ids": [...]}."""
    return {"action": action, "account_id": int(account_id), "signal_ids": _ids(signal_ids)}


def ref_value(kind: str, ident: int) -> str:
    """A button about one stored object (a handoff, a model text): {"h": 12} or {"m": 7}."""
    return json.dumps({kind: int(ident)}, separators=(",", ":"))


def parse_ref_value(value: str, kind: str) -> int:
    """Read back `ref_value`; anything else raises ValueError."""
    if len(value) > VALUE_LIMIT:
        raise ValueError("action payload too long")
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError("malformed action payload") from exc
    ident = data.get(kind) if isinstance(data, dict) else None
    if not isinstance(ident, int) or isinstance(ident, bool):
        raise ValueError("malformed action payload")
    return ident


def parse_submit_data(data: Any) -> tuple[str, int, list[int]]:
    """Read a Teams Action.Submit `data` back as (action, account_id, signal_ids); ValueError if malformed."""
    if not isinstance(data, dict) or data.get("action") not in ALL_ACTIONS:
        raise ValueError("malformed action payload")
    account_id, signal_ids = _checked(data.get("account_id"), data.get("signal_ids", []))
    return str(data["action"]), account_id, signal_ids
