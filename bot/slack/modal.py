"""The handoff modal: a structured handoff (topic, note, promises, next step, due date), prefilled from signals."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.handoffs import TOPICS, HandoffDraft
from bot.render import format as fmt
from bot.render.blocks import md

CALLBACK_ID = "handoff_modal"


def option(value: str, label: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": fmt.clean(label, 75) or "(no name)"}, "value": value}


def input_block(block_id: str, label: str, element: dict[str, Any], optional: bool = False) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def _text_input(action_id: str, initial: str, multiline: bool, placeholder: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": 3000,
        "placeholder": {"type": "plain_text", "text": placeholder},
    }
    if initial:
        element["initial_value"] = fmt.clean(initial, 3000, multiline=multiline)  # no control characters
    return element


def _date_picker(initial: date | None) -> dict[str, Any]:
    picker: dict[str, Any] = {"type": "datepicker", "action_id": "value"}
    if initial is not None:
        picker["initial_date"] = initial.isoformat()
    return picker


def handoff_view(
    accounts: list[tuple[int, str]], account_id: int | None, draft: HandoffDraft, channel: str | None = None
) -> dict[str, Any]:
    """A modal; when account_id is known the account is fixed, else the person picks one of their book."""
    blocks: list[dict[str, Any]] = []
    if account_id is None:
        options = [option(str(i), name) for i, name in accounts[:100]]
        if not options:
            options = [option("0", "(no account in your book)")]
        picker = {"type": "static_select", "action_id": "value", "options": options}
        blocks.append(input_block("account", "Account", picker))
    else:
        name = next((n for i, n in accounts if i == account_id), "this account")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"Hand off *{md(name, fmt.NAME)}*"}})
    topics = [option(t, t.capitalize()) for t in TOPICS]
    initial = next(o for o in topics if o["value"] == draft.topic)
    blocks += [
        input_block(
            "topic",
            "About",
            {"type": "static_select", "action_id": "value", "options": topics, "initial_option": initial},
        ),
        input_block(
            "note", "Note for your pair", _text_input("value", draft.note, True, "What should they know or do?")
        ),
        input_block(
            "promises",
            "Promises made to the customer",
            _text_input("value", draft.promises or "", True, "Anything you committed to"),
            optional=True,
        ),
        input_block(
            "next_step", "Next step", _text_input("value", draft.next_step or "", False, "The next step"), optional=True
        ),
        input_block("due", "Due", _date_picker(draft.due_date), optional=True),
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Hand off to my pair"},
        "submit": {"type": "plain_text", "text": "Hand off"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"account_id": account_id, "channel": channel}),
        "blocks": blocks,
    }


def read_submission(view: dict[str, Any]) -> tuple[int | None, HandoffDraft]:
    """The account and the draft from a submitted modal; ValueError on anything malformed."""
    values = view.get("state", {}).get("values", {})

    def field(block: str) -> dict[str, Any]:
        return dict(values.get(block, {}).get("value") or {})

    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError as exc:
        raise ValueError("malformed modal") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("account_id"), int | str | None):
        raise ValueError("malformed modal")  # Tandem writes this metadata: anything else was not its modal
    account_id = meta.get("account_id")
    if account_id is None:
        selected = (field("account").get("selected_option") or {}).get("value")
        account_id = int(selected) if selected and selected.isdigit() else None
    topic = (field("topic").get("selected_option") or {}).get("value") or "request"
    due_raw = field("due").get("selected_date")
    return (int(account_id) if account_id is not None else None), HandoffDraft(
        topic=str(topic),
        note=str(field("note").get("value") or ""),
        promises=field("promises").get("value") or None,
        next_step=field("next_step").get("value") or None,
        due_date=date.fromisoformat(due_raw) if due_raw else None,
    )
