"""Teams conversation references: stored when a member installs or first messages the bot, for proactive sends."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ConversationReference
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ConversationRef, Member, utcnow


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat with the bot (the Teams equivalent of a DM); the emulator and tests send no type."""
    conversation_type = getattr(activity.conversation, "conversation_type", None) if activity.conversation else None
    return conversation_type in (None, "personal")


def tenant_of(activity: Activity) -> str | None:
    conversation = activity.conversation
    if conversation is not None and getattr(conversation, "tenant_id", None):
        return str(conversation.tenant_id)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = data.get("tenant") or {}
    return str(tenant["id"]) if isinstance(tenant, dict) and tenant.get("id") else None


def reference_json(activity: Activity) -> dict[str, Any]:
    """The reference as JSON, without the incoming activity id: proactive sends start new messages."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    data: dict[str, Any] = reference.serialize()
    return data


def load_reference(data: dict[str, Any]) -> ConversationReference:
    reference: ConversationReference = ConversationReference().deserialize(data)
    return reference


def store_reference(session: Session, member: Member, activity: Activity) -> ConversationRef:
    """Remember where to reach the member (their personal chat with the bot); reachable again if they came back."""
    row = session.scalar(
        select(ConversationRef).where(ConversationRef.org_id == member.org_id, ConversationRef.member_id == member.id)
    )
    data = reference_json(activity)
    if row is None:
        row = ConversationRef(org_id=member.org_id, member_id=member.id, reference=data)
        session.add(row)
    elif row.reference != data or not row.reachable:
        row.reference, row.reachable, row.updated_at = data, True, utcnow()
    session.flush()
    return row


def mark_unreachable(session: Session, org_id: int, member_id: int) -> bool:
    row = session.scalar(
        select(ConversationRef).where(ConversationRef.org_id == org_id, ConversationRef.member_id == member_id)
    )
    if row is None or not row.reachable:
        return False
    row.reachable, row.updated_at = False, utcnow()
    return True
