"""What Tandem tells people: digests, alerts, handoffs, and the ledger of every message sent."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow


class Digest(OrgOwned, Base):
    """The platform-neutral digest of one member for one day (what was decided, before rendering)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Alert(OrgOwned, Base):
    """An immediate alert (a key stakeholder left). Unique per subject so it is raised exactly once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("org_id", "kind", "subject_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_key: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(OrgOwned, Base):
    """One outgoing message. The idempotency key (member, kind, subject, day) makes sends exactly-once:
    the row is written before the send and completed after it."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # slack | teams | outbox | terminal
    kind: Mapped[str] = mapped_column(String(32))  # digest | alert | handoff | ...
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    external_ref: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # The rendered message, kept until it is sent (or fails for good) so a failed send is retried as it was.
    message: Mapped[dict[str, Any] | None]


class Handoff(OrgOwned, Base):
    """A structured handoff between the AM and the CSM of an account."""

    __tablename__ = "handoffs"
    __table_args__ = (UniqueConstraint("org_id", "origin_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(16), default="request")  # risk | opportunity | request
    note: Mapped[str] = mapped_column(Text, default="")
    promises: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    due_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | acknowledged | done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # The request that created it (a Slack view id, a Teams activity id): a retried request finds it.
    origin_ref: Mapped[str | None] = mapped_column(String(300))


class HandoffThread(OrgOwned, Base):
    """Where a handoff lives on one platform (a Slack thread, a Teams conversation)."""

    __tablename__ = "handoff_threads"
    __table_args__ = (UniqueConstraint("handoff_id", "platform", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(300))
    thread_ref: Mapped[str] = mapped_column(String(300))


class HandoffMessage(OrgOwned, Base):
    """A reply in a handoff thread, kept on the account's timeline whatever platform it came from."""

    __tablename__ = "handoff_messages"
    __table_args__ = (UniqueConstraint("handoff_id", "platform", "external_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    author_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    external_ref: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(OrgOwned, Base):
    """A member's useful / not useful on a digest item, to tune noise."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signals.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32))
    useful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlannedDigest(OrgOwned, Base):
    """One member's digest for one local day, written down before it is due.

    APScheduler decides when a digest job fires, but stores the job's next run (tomorrow) when it hands the
    job out, before running it: a process killed mid-run would lose the day's digest. These rows are the
    day's work as data: any replica leading the scheduler finds a row due and not done whose runner died,
    and runs it (the delivery ledger keeps each message exactly-once across the two attempts).
    """

    __tablename__ = "planned_digests"
    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]  # the member's local day
    due_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="planned")  # planned | running | done | failed
    attempts: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
