"""The last run of each scheduled job per organization: started, finished, ok or failed and why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.models import JobRun, utcnow

ERROR_KEPT = 500  # characters of the error kept for `tandem status`


@contextmanager
def recorded(db: Database, org_id: int, job: str) -> Iterator[list[str]]:
    """Record the block as the organization's latest run of `job`. The block appends what went wrong
    without stopping it (a source that failed): the run is then `partial`. An exception is `failed`."""
    problems: list[str] = []
    if not _start(db, org_id, job):
        yield problems  # the organization is gone: nothing to record it on
        return
    try:
        yield problems
    except Exception as exc:
        _finish(db, org_id, job, "failed", f"{type(exc).__name__}: {exc}")
        raise
    _finish(db, org_id, job, "partial" if problems else "ok", "; ".join(problems) or None)


def _start(db: Database, org_id: int, job: str) -> bool:
    try:
        with db.session() as session:
            row = session.scalar(select(JobRun).where(JobRun.org_id == org_id, JobRun.job == job))
            if row is None:
                session.add(JobRun(org_id=org_id, job=job))
            else:
                row.started_at, row.finished_at, row.status, row.error = utcnow(), None, "running", None
    except IntegrityError:
        return False
    return True


def _finish(db: Database, org_id: int, job: str, status: str, error: str | None) -> None:
    with db.session() as session:
        row = session.scalars(select(JobRun).where(JobRun.org_id == org_id, JobRun.job == job)).one()
        row.finished_at, row.status, row.error = utcnow(), status, error[:ERROR_KEPT] if error else None
