"""The shape of a Slack payload, as far as Bolt and Tandem read it: checked before either does.

Bolt indexes payloads directly (`body["view"]["callback_id"]`, `body["actions"][0]["action_id"]`) and
Tandem's listeners read nested fields with `.get`; a payload whose fields have other types would raise deep
inside them. Slack's own payloads always have these types, so a payload that does not is refused as
malformed. Unknown fields are allowed: Slack adds fields often.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

Obj = dict[str, Any]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class Ref(_Open):
    """A team, user, channel or enterprise: an object with an id."""

    id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None


class Option(_Open):
    value: str | None = None


class ElementState(_Open):
    type: str | None = None
    value: str | None = None
    selected_option: Option | None = None
    selected_options: list[Option] | None = None
    selected_date: str | None = None
    selected_time: str | None = None
    selected_conversation: str | None = None
    selected_channel: str | None = None
    selected_user: str | None = None


class ViewState(_Open):
    values: dict[str, dict[str, ElementState]] = {}


class View(_Open):
    id: str | None = None
    type: str | None = None
    callback_id: str | None = None
    private_metadata: str | None = None
    state: ViewState | None = None
    team_id: str | None = None
    app_installed_team_id: str | None = None


class Action(_Open):
    action_id: str
    block_id: str | None = None
    type: str | None = None
    value: str | None = None
    url: str | None = None
    selected_option: Option | None = None


class Message(_Open):
    text: str | None = None
    user: str | None = None
    ts: str | None = None
    thread_ts: str | None = None


class Event(_Open):
    type: str
    subtype: str | None = None
    user: str | Ref | None = None
    team: str | None = None
    user_team: str | None = None
    channel: str | Ref | None = None
    text: str | None = None
    ts: str | None = None
    thread_ts: str | None = None
    bot_id: str | None = None
    channel_type: str | None = None
    tab: str | None = None
    message: Message | None = None
    previous_message: Message | None = None
    item: Obj | None = None


class Authorization(_Open):
    team_id: str | None = None
    user_id: str | None = None
    enterprise_id: str | None = None
    is_enterprise_install: bool | None = None


class Envelope(_Open):
    type: str | None = None
    team: Ref | None = None
    user: Ref | None = None
    channel: Ref | None = None
    enterprise: Ref | str | None = None
    team_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    enterprise_id: str | None = None
    command: str | None = None
    text: str | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    response_urls: list[Obj] | None = None
    callback_id: str | None = None
    action_id: str | None = None
    challenge: str | None = None
    thread_ts: str | None = None
    actions: list[Action] | None = None
    view: View | None = None
    event: Event | None = None
    message: Message | None = None
    container: Obj | None = None
    workflow_step: Obj | None = None
    authorizations: list[Authorization] | None = None
    is_enterprise_install: bool | str | None = None
    is_ext_shared_channel: bool | None = None


# What each kind of payload cannot do without (Bolt's matchers index these).
REQUIRED: dict[str, tuple[str, ...]] = {
    "block_actions": ("actions",),
    "view_submission": ("view",),
    "view_closed": ("view",),
    "shortcut": ("callback_id", "trigger_id"),
    "message_action": ("callback_id", "trigger_id"),
    "event_callback": ("event",),
    "block_suggestion": ("action_id",),
    "url_verification": ("challenge",),
}


def shape_problem(payload: Obj) -> str | None:
    """Why `payload` is not a Slack payload Tandem can handle (field names, never values), or None."""
    try:
        envelope = Envelope.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['type']}"
    kind = envelope.type or ""
    missing = [name for name in REQUIRED.get(kind, ()) if getattr(envelope, name) is None]
    if kind in ("view_submission", "view_closed") and envelope.view is not None:
        missing += [f"view.{name}" for name in ("type", "callback_id") if getattr(envelope.view, name) is None]
    return f"{kind} without {', '.join(missing)}" if missing else None
