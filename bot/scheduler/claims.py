"""Per-organization claims: two processes never run the same organization's nightly work at once.

On PostgreSQL the organization's row is locked with FOR NO KEY UPDATE SKIP LOCKED for the duration of the
run; the second process skips instead of waiting. Not FOR UPDATE: that one also blocks the foreign-key
checks (FOR KEY SHARE) of the run's own inserts into tables referencing the organization, made on other
connections, and the run would wait for itself. SQLite runs one process, so the claim always succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select

from bot.db import Database
from bot.models import Organization


@contextmanager
def claim_org(db: Database, org_id: int) -> Iterator[bool]:
    if db.dialect != "postgresql":
        yield True
        return
    with db.engine.connect() as conn, conn.begin():
        row = conn.execute(
            select(Organization.id).where(Organization.id == org_id).with_for_update(skip_locked=True, key_share=True)
        ).first()
        yield row is not None
