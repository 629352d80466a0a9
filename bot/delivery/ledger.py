"""Exactly-once delivery: record the intent, send, record the outcome; reconcile after a crash."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import Database, org_scope
from bot.delivery.channel import Channel, PermanentDeliveryError
from bot.delivery.claims import sending_claim
from bot.delivery.message import OutgoingMessage
from bot.models import Delivery, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | skipped (already sent) | failed
    ref: str | None = None
    error: str | None = None


def deliver(db: Database, org_id: int, channel: Channel, message: OutgoingMessage) -> Outcome:
    with org_scope(org_id):  # the ledger and the channel's own lookups (a Teams reference) are the org's
        return _deliver(db, org_id, channel, message)


def _deliver(db: Database, org_id: int, channel: Channel, message: OutgoingMessage) -> Outcome:
    recorded = _record_intent(db, org_id, channel, message)
    if isinstance(recorded, Outcome):
        return recorded
    with sending_claim(db, recorded) as mine:
        if not mine:
            return Outcome("skipped")  # another worker is sending it right now
        with db.session() as session:
            row = session.get_one(Delivery, recorded)  # read again under the claim: it may be sent by now
            if row.status == "sent" and (not channel.local or channel.already_sent(message) is not None):
                return Outcome("skipped", row.external_ref)
            # A send was begun before (attempts counts them) and not recorded: a crash between the send and
            # its record, or a failure after the platform had it. Ask the platform rather than resend.
            if row.status == "pending" and row.attempts and (ref := channel.already_sent(message)) is not None:
                row.status, row.external_ref, row.sent_at, row.message = "sent", ref, utcnow(), None
                return Outcome("skipped", ref)
            row.attempts += 1
        return _send(db, recorded, channel, message)


def _record_intent(db: Database, org_id: int, channel: Channel, message: OutgoingMessage) -> int | Outcome:
    """The ledger row's id, written before any send; or the outcome when there is nothing to do."""
    with db.session() as session:
        row = session.scalar(select(Delivery).where(Delivery.idempotency_key == message.idempotency_key))
        # A local outbox pointed at a new directory writes the file again; a chat platform never
        # gets a message twice.
        if (
            row is not None
            and row.status == "sent"
            and (not channel.local or channel.already_sent(message) is not None)
        ):
            return Outcome("skipped", row.external_ref)
        recorded = record_intent(session, org_id, message)
        return recorded.id if recorded is not None else Outcome("skipped")


def record_intent(session: Session, org_id: int, message: OutgoingMessage) -> Delivery | None:
    """The message's ledger row, `pending` unless it was sent, written in the caller's transaction: the one
    that decided to send it (an alert raised, a digest saved), so no crash can keep the decision and lose
    the message. None when another worker recorded it at the same moment (and sends it)."""
    row = session.scalar(select(Delivery).where(Delivery.idempotency_key == message.idempotency_key))
    if row is not None:
        if row.status != "sent":
            row.message = message.to_ledger()  # the latest rendering is the one to retry
        return row
    try:
        with session.begin_nested():
            row = Delivery(
                org_id=org_id,
                idempotency_key=message.idempotency_key,
                member_id=message.recipient.member_id,
                platform=message.platform,
                kind=message.kind,
                status="pending",
                message=message.to_ledger(),
            )
            session.add(row)
    except IntegrityError:
        return None
    return row


def _send(db: Database, delivery_id: int, channel: Channel, message: OutgoingMessage) -> Outcome:
    try:
        ref = channel.send(message)
    except PermanentDeliveryError as exc:
        _finish(db, delivery_id, "failed", error=str(exc))
        log.warning("delivery %s failed permanently: %s", delivery_id, type(exc).__name__)
        return Outcome("failed", error=str(exc))
    except Exception as exc:
        _finish(db, delivery_id, "pending", error=f"{type(exc).__name__}: {exc}")
        log.warning("delivery %s failed, will retry: %s", delivery_id, type(exc).__name__)
        return Outcome("failed", error=str(exc))
    _finish(db, delivery_id, "sent", ref=ref)
    return Outcome("sent", ref)


def _finish(db: Database, delivery_id: int, status: str, ref: str | None = None, error: str | None = None) -> None:
    with db.session() as session:
        row = session.get_one(Delivery, delivery_id)
        row.status, row.error = status, error
        if status != "pending":
            row.message = None  # nothing left to retry: do not keep the content
        if ref is not None:
            row.external_ref, row.sent_at = ref, utcnow()
