"""Messages whose delivery failed with a transient error (a rate limit that outlasted the client's retries,
an outage) are sent again later, from the ledger.

A failed attempt leaves its ledger row `pending` with the error. A row left `pending` without one is a
message whose sender died (killed mid-send, or before it began): it is taken over at once when a send was
begun (the claim tells a live sender from a dead one), after ORPHAN_AFTER when none was.
A digest is rebuilt the same local day (so it says what is true now); an alert, a handoff or a reply is
sent again as it was rendered, from the copy the ledger keeps until it is sent. Either way the ledger
claims the row and checks the platform before re-sending, and a row that was sent meanwhile is skipped.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from bot.delivery.message import OutgoingMessage
from bot.models import Delivery

log = logging.getLogger(__name__)

RETRY_AFTER = timedelta(minutes=10)  # after a transient failure, give the platform time to recover
# A message is recorded moments before its send (a batch of digests: minutes at most); one still untried
# this long after is an orphan. Taking over a live sender's row early is safe: the claim and the re-read
# under it make one of the two skip.
ORPHAN_AFTER = timedelta(seconds=30)
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
    return _kept(session, and_(_worth_retrying(org_id, now), Delivery.kind != "digest"))


def orphaned_messages(session: Session, org_id: int, now: datetime) -> list[OutgoingMessage]:
    """Alerts, handoffs and replies whose sender died before recording an outcome (no error on the row)."""
    return _kept(session, and_(_worth_retrying(org_id, now), Delivery.kind != "digest", Delivery.error.is_(None)))


def unsent_alerts(session: Session, org_id: int, now: datetime) -> list[OutgoingMessage]:
    """Every alert still waiting, whatever its age: what a rerun of the alerts sends along with new ones
    (a run killed after raising its alerts left them here)."""
    return _kept(session, and_(_retry_allowed(org_id, now), Delivery.kind == "alert"))


def _kept(session: Session, where: ColumnElement[bool]) -> list[OutgoingMessage]:
    kept = session.scalars(select(Delivery.message).where(where, Delivery.message.is_not(None)).order_by(Delivery.id))
    messages = []
    for message in kept:
        try:
            messages.append(OutgoingMessage.from_ledger(message or {}))
        except (KeyError, TypeError, ValueError):  # a copy this version cannot read: the others still go
            log.warning("a stored message could not be read for a retry; skipped")
    return messages


def _retry_allowed(org_id: int, now: datetime) -> ColumnElement[bool]:
    return and_(
        Delivery.org_id == org_id,
        Delivery.status == "pending",
        Delivery.attempts < MAX_ATTEMPTS,
        Delivery.created_at > now - GIVE_UP_AFTER,
    )


def _worth_retrying(org_id: int, now: datetime) -> ColumnElement[bool]:
    """Failed for a passing reason a while ago, or left behind by a sender that died."""
    return and_(
        _retry_allowed(org_id, now),
        or_(
            and_(Delivery.error.is_not(None), Delivery.created_at < now - RETRY_AFTER),
            and_(Delivery.error.is_(None), or_(Delivery.attempts > 0, Delivery.created_at < now - ORPHAN_AFTER)),
        ),
    )
