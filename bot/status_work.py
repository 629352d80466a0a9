"""What `tandem status` says about work in flight: ledger rows still pending (and for how long), today's
planned digests not done, and whether a run on record as `running` is still alive.

A planned digest's run holds an advisory lock on PostgreSQL (see bot/scheduler/planned.py), so whether it
is alive is read from pg_locks. On SQLite (one process) a run is taken as alive for RUN_ALIVE after it
began: a digest takes seconds, and the next worker start finishes one that died.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.models import Delivery, Member, PlannedDigest, utcnow
from bot.scheduler.planned import PLANNED_RUN_LOCK_CLASS

PENDING_SHOWN = 50
RUN_ALIVE = timedelta(minutes=15)
LATE = timedelta(minutes=5)  # a digest this late and not done is a problem a person should see


def _age(since: datetime, now: datetime) -> int:
    return max(int((now - since).total_seconds()), 0)


def pending_deliveries(session: Session, org_id: int, members: dict[int, Member]) -> list[dict[str, Any]]:
    """Every message recorded and not yet sent nor failed for good, oldest first, with its age."""
    now = utcnow()
    rows = session.scalars(
        select(Delivery)
        .where(Delivery.org_id == org_id, Delivery.status == "pending")
        .order_by(Delivery.created_at, Delivery.id)
        .limit(PENDING_SHOWN)
    )
    return [
        {
            "key": d.idempotency_key,
            "member": members[d.member_id].email if d.member_id in members else None,
            "kind": d.kind,
            "platform": d.platform,
            "attempts": d.attempts,
            "error": d.error,
            "age_seconds": _age(d.created_at, now),
        }
        for d in rows
    ]


def live_runs(session: Session, rows: list[PlannedDigest]) -> set[int]:
    """The ids of the `running` rows whose run is still alive."""
    running = [r for r in rows if r.status == "running"]
    if not running:
        return set()
    if session.get_bind().dialect.name != "postgresql":
        now = utcnow()
        return {r.id for r in running if r.started_at is not None and now - r.started_at < RUN_ALIVE}
    held = session.scalars(
        text(
            "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid::bigint = :c AND objsubid = 2"
        ),
        {"c": PLANNED_RUN_LOCK_CLASS},
    )
    alive = {int(i) for i in held}
    return {r.id for r in running if r.id in alive}


def planned_digests(session: Session, org_id: int, members: dict[int, Member]) -> dict[str, Any]:
    """The digests due in the last day: how many in each state, and each one late or failed; and how many
    are planned ahead (the next ones, written down when they are planned, are not today's work)."""
    now = utcnow()
    recent = list(
        session.scalars(
            select(PlannedDigest)
            .where(PlannedDigest.org_id == org_id, PlannedDigest.due_at > now - timedelta(days=1))
            .order_by(PlannedDigest.due_at, PlannedDigest.id)
        )
    )
    rows = [row for row in recent if row.due_at <= now]
    upcoming = len(recent) - len(rows)
    alive = live_runs(session, rows)
    counts: dict[str, int] = {}
    problems = []
    for row in rows:
        state = "interrupted" if row.status == "running" and row.id not in alive else row.status
        counts[state] = counts.get(state, 0) + 1
        late = row.status in ("planned", "running") and row.due_at < now - LATE and row.id not in alive
        if late or row.status == "failed":
            member = members.get(row.member_id)
            problems.append(
                {
                    "member": member.email if member else None,
                    "day": row.day.isoformat(),
                    "status": state,
                    "late_seconds": _age(row.due_at, now),
                    "error": row.error,
                }
            )
    return {"counts": counts, "alive": len(alive), "problems": problems, "upcoming": upcoming}
