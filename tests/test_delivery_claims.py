"""A message another worker is sending at this moment is not sent a second time."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import select, text

from bot.db import Database
from bot.delivery.claims import DELIVERY_LOCK_CLASS
from bot.delivery.ledger import Outcome, deliver
from bot.delivery.message import OutgoingMessage, Recipient
from bot.models import Delivery, Member
from tests.slack_harness import load_demo


class SlowPlatform:
    """A chat platform whose first send hangs until released: a message in flight."""

    platform, local = "slack", False

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.in_flight, self.release = threading.Event(), threading.Event()

    def send(self, message: OutgoingMessage) -> str:
        self.in_flight.set()
        assert self.release.wait(30)
        self.sent.append(message.idempotency_key)
        return f"ts:{len(self.sent)}"

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None  # as a platform that cannot be asked: only the ledger and the claim protect


def _message(db: Database) -> tuple[int, OutgoingMessage]:
    load_demo(db)
    with db.session() as session:
        member = session.scalars(select(Member).order_by(Member.id)).first()
        assert member is not None
        org_id, recipient = member.org_id, Recipient(member.id, member.email, member.name, slack_user_id="U1")
    return org_id, OutgoingMessage(recipient, "digest", "2026-11-23", date(2026, 11, 23), "slack", "Good morning")


def _lock_is_free(db: Database, delivery_id: int) -> bool:
    """Asked from another database session, as another replica would."""
    with db.engine.connect() as conn:
        args = {"c": DELIVERY_LOCK_CLASS, "i": delivery_id}
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:c, :i)"), args).scalar())
        if got:
            conn.execute(text("SELECT pg_advisory_unlock(:c, :i)"), args)
        conn.commit()
        return got


def test_a_second_worker_skips_a_message_being_sent_and_a_third_sees_it_sent(db: Database) -> None:
    org_id, message = _message(db)
    platform = SlowPlatform()
    first = threading.Thread(target=deliver, args=(db, org_id, platform, message))
    first.start()
    assert platform.in_flight.wait(30)
    with db.session() as session:
        row = session.scalars(select(Delivery)).one()
        assert row.status == "pending"  # recorded before the send, like a crash would leave it
        delivery_id = row.id
    if db.dialect == "postgresql":
        assert not _lock_is_free(db, delivery_id)  # another replica would see the claim too
    assert deliver(db, org_id, platform, message).status == "skipped"
    platform.release.set()
    first.join(30)
    assert deliver(db, org_id, platform, message).status == "skipped"
    assert platform.sent == [message.idempotency_key]
    with db.session() as session:
        assert session.get_one(Delivery, delivery_id).status == "sent"
    if db.dialect == "postgresql":
        assert _lock_is_free(db, delivery_id)  # released once the send is recorded


def _begun(db: Database, org_id: int, message: OutgoingMessage) -> None:
    """The ledger row a worker leaves when it dies after beginning a send: pending, one attempt."""
    with db.session() as session:
        session.add(
            Delivery(
                org_id=org_id,
                idempotency_key=message.idempotency_key,
                member_id=message.recipient.member_id,
                platform=message.platform,
                kind=message.kind,
                status="pending",
                attempts=1,
            )
        )


def test_a_pending_message_nobody_is_sending_is_sent_on_the_next_attempt(db: Database) -> None:
    org_id, message = _message(db)
    _begun(db, org_id, message)  # as a worker killed between its record and its send leaves it
    platform = SlowPlatform()
    platform.release.set()
    assert deliver(db, org_id, platform, message).status == "sent"
    assert platform.sent == [message.idempotency_key]


class LandedPlatform(SlowPlatform):
    """The platform already has the message (a worker died after posting, before recording it)."""

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return "ts:landed"


def test_a_send_that_landed_before_a_crash_is_recorded_not_repeated(db: Database) -> None:
    org_id, message = _message(db)
    _begun(db, org_id, message)  # the send was begun, then the worker died
    platform = LandedPlatform()
    assert deliver(db, org_id, platform, message) == Outcome("skipped", "ts:landed")
    assert platform.sent == []
    with db.session() as session:
        row = session.scalars(select(Delivery)).one()
        assert (row.status, row.external_ref, row.message) == ("sent", "ts:landed", None)
