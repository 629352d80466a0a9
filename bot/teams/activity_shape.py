"""A Teams activity read from a request body, or why it cannot be: for /api/messages, after the token is checked.

The SDK's deserializer accepts almost anything and the bot then reads `activity.from_property.id`,
`activity.conversation.id`, `activity.members_added`..., so an activity whose fields have other types would
raise inside a turn (and the turn's error handler would answer the sender). The Bot Framework's own
activities always have these types; one that does not is refused as malformed. Unknown fields are allowed.
"""

from __future__ import annotations

import json
from typing import Any

from botbuilder.schema import Activity
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True, populate_by_name=True)


class Account(_Open):
    id: str | None = None
    name: str | None = None
    aad_object_id: str | None = Field(None, alias="aadObjectId")
    role: str | None = None


class Conversation(_Open):
    id: str | None = None
    conversation_type: str | None = Field(None, alias="conversationType")
    tenant_id: str | None = Field(None, alias="tenantId")
    is_group: bool | None = Field(None, alias="isGroup")


class Tenant(_Open):
    id: str | None = None


class ChannelData(_Open):
    tenant: Tenant | None = None


class ActivityShape(_Open):
    type: str = Field(min_length=1)
    id: str | None = None
    channel_id: str | None = Field(None, alias="channelId")
    service_url: str | None = Field(None, alias="serviceUrl")
    text: str | None = None
    reply_to_id: str | None = Field(None, alias="replyToId")
    local_timezone: str | None = Field(None, alias="localTimezone")
    action: str | None = None
    name: str | None = None
    from_: Account | None = Field(None, alias="from")
    recipient: Account | None = None
    conversation: Conversation | None = None
    channel_data: ChannelData | None = Field(None, alias="channelData")
    entities: list[dict[str, Any]] | None = None
    attachments: list[dict[str, Any]] | None = None
    members_added: list[Account] | None = Field(None, alias="membersAdded")
    members_removed: list[Account] | None = Field(None, alias="membersRemoved")


def read_activity(body: bytes) -> Activity | str:
    """The activity in `body`, or why it is malformed (field names, never values)."""
    try:
        data = json.loads(body)  # bytes: UTF-8 (or -16/-32) is detected, anything else is a ValueError
    except ValueError:
        return "body is not JSON"
    if not isinstance(data, dict):
        return f"body is {type(data).__name__}, not an activity"
    try:
        ActivityShape.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['type']}"
    try:
        activity: Activity = Activity().deserialize(data)
    except Exception as exc:  # msrest raises its own DeserializationError and others
        return f"activity does not deserialize ({type(exc).__name__})"
    return activity
