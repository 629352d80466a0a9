"""Messages whose delivery failed with a transient error (a rate limit that outlasted the client's retries,
an outage) are sent again later, from the ledger.

A failed attempt leaves its ledger row `pending` with the error. A digest is rebuilt the same local day
(so it says what is true now); an alert, a handoff or a reply is sent again as it was rendered, from the
copy the ledger keeps until it is sent. Either way the ledger claims the row and checks the platform
before re-sending, and a row that was sent meanwhile is skipped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from bot.delivery.message import OutgoingMessage
from bot.models import Delivery

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=10)  # a send in flight takes seconds; ten minutes on, it is over
GIVE_UP_AFTER = timedelta(hours=20)
MAX_ATTEMPTS = 6


def day_of(idempotency_key: str) -> date:
    """The day in a key "member:kind:subject:day:platform" (the subject may hold colons)."""
    return date.fromisoformat(idempotency_key.rsplit(":", 2)[-2])


def digests_to_retry(session: Session, org_id: int, now: datetime) -> list[tuple[int, date]]:
    """(member id, day) of each digest worth another attempt."""
    rows = session.execute(
        select(Delivery.member_id, Delivery.idempotency_key).where(
            _worth_retrying(org_id, now), Delivery.kind == "digest", Delivery.member_id.is_not(None)
        )
    )
    return sorted({(member_id, day_of(key)) for member_id, key in rows if member_id is not None})


def messages_to_retry(session: Session, org_id: int, now: datetime) -> list[OutgoingMessage]:
    """Alerts, handoffs and replies worth another attempt, as they were rendered."""
    kept = session.scalars(
        select(Delivery.message)
        .where(_worth_retrying(org_id, now), Delivery.kind != "digest", Delivery.message.is_not(None))
        .order_by(Delivery.id)
    )
    messages = []
    for message in kept:
        try:
            messages.append(OutgoingMessage.from_ledger(message or {}))
        except (KeyError, TypeError, ValueError):  # a copy this version cannot read: the others still go
            log.warning("a stored message could not be read for a retry; skipped")
    return messages


def _worth_retrying(org_id: int, now: datetime) -> ColumnElement[bool]:
    """Failed for a passing reason, no longer in flight, not too often, not too long ago."""
    return and_(
        Delivery.org_id == org_id,
        Delivery.status == "pending",
        Delivery.error.is_not(None),
        Delivery.attempts < MAX_ATTEMPTS,
        Delivery.created_at < now - RETRY_AFTER,
        Delivery.created_at > now - GIVE_UP_AFTER,
    )
