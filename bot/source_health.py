"""Per-source sync health: when each source last succeeded or failed, and which sources are stale.

A failed sync stores nothing of its batch (the previous good data stays); it is recorded here so the digest
can say "usage data is stale since ..." and `tandem status` can show it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import SourceState, utcnow

STALE_AFTER = timedelta(hours=36)  # a nightly source that missed more than one night


def _state(session: Session, org_id: int, source: str) -> SourceState:
    state = session.scalar(select(SourceState).where(SourceState.org_id == org_id, SourceState.source == source))
    if state is None:
        state = SourceState(org_id=org_id, source=source)
        session.add(state)
    return state


def record_success(session: Session, org_id: int, source: str, when: datetime | None = None) -> None:
    state = _state(session, org_id, source)
    state.last_success_at = when or utcnow()
    state.last_error = None


def record_failure(session: Session, org_id: int, source: str, error: str, when: datetime | None = None) -> None:
    state = _state(session, org_id, source)
    state.last_failure_at = when or utcnow()
    state.last_error = error[:2000]


def stale_sources(session: Session, org_id: int, now: datetime | None = None) -> list[str]:
    """Sources whose data may be out of date: "usage (since 2026-11-20)" or "crm (never synced)"."""
    now = now or utcnow()
    stale = []
    for state in session.scalars(select(SourceState).where(SourceState.org_id == org_id).order_by(SourceState.source)):
        failed_last = state.last_failure_at is not None and (
            state.last_success_at is None or state.last_failure_at > state.last_success_at
        )
        too_old = state.last_success_at is not None and now - state.last_success_at > STALE_AFTER
        if failed_last or too_old:
            since = state.last_success_at.date().isoformat() if state.last_success_at else "never synced"
            stale.append(f"{state.source} (since {since})" if state.last_success_at else f"{state.source} ({since})")
    return stale
