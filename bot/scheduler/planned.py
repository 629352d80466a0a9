"""Each day's digests as durable rows, so a run whose process died is finished by whichever replica leads.

APScheduler decides *when* a member's digest job fires; it stores the job's next run (tomorrow) when it
hands the job out, before running it. So the leader writes each digest job's next run down as a
`planned_digests` row ahead of time (at start and at every refresh), and the job runs through that row:
claimed (a PostgreSQL advisory lock on its id, held for the run; a process that dies loses it with its
connection), marked running, then done. The leader's sweep runs every row that is due, within the grace
window and not done, whose claim nobody holds: one a dead process had begun, or one whose job a dead
leader had handed out. The delivery ledger keeps each message exactly-once across both attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.db import Database, org_scope
from bot.delivery.claims import exclusive_claim
from bot.localtime import local_day
from bot.models import Member, Organization, PlannedDigest, utcnow
from bot.tenancy import scope_session

log = logging.getLogger(__name__)

PLANNED_RUN_LOCK_CLASS = 0x7A4E  # the first key of the two-key advisory lock space: "a planned digest run"
ERROR_KEPT = 500


@dataclass(frozen=True)
class Due:
    member_id: int
    org_id: int
    due_at: datetime


def plan(db: Database, due: Iterable[Due]) -> int:
    """Write each digest's next run down (or move a row not yet begun to its new time); returns how many
    rows were added."""
    added = 0
    by_org: dict[int, list[Due]] = {}
    for item in due:
        by_org.setdefault(item.org_id, []).append(item)
    for org_id, items in by_org.items():
        with org_scope(org_id), db.session() as session:
            org = session.get(Organization, org_id)
            if org is None:
                continue
            for item in items:
                member = session.get(Member, item.member_id)
                if member is None or member.org_id != org_id:
                    continue
                day = local_day(member.timezone, org.timezone, now=item.due_at)
                added += _upsert(session, org_id, item.member_id, day, item.due_at)
    return added


def _upsert(session: Session, org_id: int, member_id: int, day: date, due_at: datetime) -> int:
    row = session.scalar(select(PlannedDigest).where(PlannedDigest.member_id == member_id, PlannedDigest.day == day))
    if row is not None:
        if row.status == "planned" and row.due_at > utcnow():
            row.due_at = due_at  # the member changed their digest time (a row already due stays due)
        return 0
    try:
        with session.begin_nested():
            session.add(PlannedDigest(org_id=org_id, member_id=member_id, day=day, due_at=due_at))
    except IntegrityError:  # planned a moment ago by another replica
        return 0
    return 1


def row_for_now(db: Database, org_id: int, member_id: int) -> int | None:
    """The row of the member's digest today (their local day), written now if no plan had it (a job fired
    before any plan: its first run after a restart)."""
    now = utcnow()
    with org_scope(org_id), db.session() as session:
        member, org = session.get(Member, member_id), session.get(Organization, org_id)
        if member is None or org is None or not member.active:
            return None
        day = local_day(member.timezone, org.timezone, now=now)
        _upsert(session, org_id, member_id, day, now)
        return session.scalar(
            select(PlannedDigest.id).where(PlannedDigest.member_id == member_id, PlannedDigest.day == day)
        )


def run_planned(db: Database, org_id: int, row_id: int, run: Callable[[int, date], None]) -> bool:
    """Run one planned digest under its claim: `run(member_id, day)`. False when another process holds it
    or it is done already."""
    with exclusive_claim(db, PLANNED_RUN_LOCK_CLASS, row_id) as mine:
        if not mine:
            return False
        with org_scope(org_id), db.session() as session:
            row = session.get(PlannedDigest, row_id)
            if row is None or row.status == "done":
                return False
            row.status, row.started_at, row.finished_at, row.error = "running", utcnow(), None, None
            row.attempts += 1
            member_id, day = row.member_id, row.day
        try:
            run(member_id, day)
        except Exception as exc:
            _finish(db, org_id, row_id, "failed", f"{type(exc).__name__}: {exc}"[:ERROR_KEPT])
            raise
        _finish(db, org_id, row_id, "done", None)
        return True


def _finish(db: Database, org_id: int, row_id: int, status: str, error: str | None) -> None:
    with org_scope(org_id), db.session() as session:
        row = session.get(PlannedDigest, row_id)
        if row is not None:
            row.status, row.finished_at, row.error = status, utcnow(), error


def overdue(db: Database, grace: timedelta, now: datetime | None = None) -> list[tuple[int, int]]:
    """(organization id, row id) of each digest due within the grace window and not done: never begun
    (its job was handed out by a leader that died) or begun by a process that died. A failed run is not
    here: its ledger rows are redelivery's."""
    now = now or utcnow()
    found: list[tuple[int, int]] = []
    with db.session() as session:
        for org_id in list(session.scalars(select(Organization.id).order_by(Organization.id))):
            scope_session(session, org_id)  # each organization's rows, read in its own scope
            found.extend(
                (org_id, row_id)
                for row_id in session.scalars(
                    select(PlannedDigest.id)
                    .where(
                        PlannedDigest.org_id == org_id,
                        PlannedDigest.status.in_(("planned", "running")),
                        PlannedDigest.due_at <= now,
                        PlannedDigest.due_at > now - grace,
                    )
                    .order_by(PlannedDigest.due_at, PlannedDigest.id)
                )
            )
    return found
