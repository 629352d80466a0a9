"""Sync bookkeeping: each run with its per-row problems, and what changed (departures, new rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, OrgOwned, utcnow


class SyncRun(OrgOwned, Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | partial | failed
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(Text)


class ChangeEvent(OrgOwned, Base):
    """A change a sync saw. Departures are recorded here once, which is what alerts key on."""

    __tablename__ = "change_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    sync_run_id: Mapped[int] = mapped_column(ForeignKey("sync_runs.id", ondelete="CASCADE"), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(32))  # created | updated | left | returned
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceState(OrgOwned, Base):
    """Per organization and source: the cursor of incremental syncs and the last outcome."""

    __tablename__ = "source_states"
    __table_args__ = (UniqueConstraint("org_id", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    cursor: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRun(OrgOwned, Base):
    """The last run of each scheduled job of an organization (nightly, digests, reminders, redeliver):
    what `tandem status` shows as "last run". One row per job, overwritten: no history to grow."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("org_id", "job"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | failed
    error: Mapped[str | None] = mapped_column(Text)
