"""Who may send a recorded message now: exactly one worker at a time.

The ledger row says whether a message was sent; it cannot say whether someone is sending it at this
moment. Without a claim, a second worker that reads a `pending` row while the first is mid-send would send
it again. On PostgreSQL the claim is a session advisory lock on the row's id, held on its own connection
(not in a transaction) for the length of the send: a worker that dies mid-send loses its connection and
with it the lock, so the next attempt reconciles at once instead of waiting for a lease to run out.
Within one process (SQLite's only mode, and threads of a PostgreSQL replica) a set of ids in flight does
the same without a round trip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from bot.db import Database

log = logging.getLogger(__name__)

DELIVERY_LOCK_CLASS = 0x7A4D  # the first key of the two-key advisory lock space: "a Tandem delivery"

_in_flight: set[tuple[int, int]] = set()
_in_flight_guard = threading.Lock()


@contextmanager
def sending_claim(db: Database, delivery_id: int) -> Iterator[bool]:
    """Yields True when this worker holds the claim on the delivery, False when another one does."""
    with exclusive_claim(db, DELIVERY_LOCK_CLASS, delivery_id) as got:
        yield got


@contextmanager
def exclusive_claim(db: Database, lock_class: int, ident: int) -> Iterator[bool]:
    """Yields True when this process holds the claim on (lock_class, ident) for the block, False when another
    one does. A process that dies releases its claims with its connections."""
    key = (lock_class, ident)
    with _in_flight_guard:
        taken = key in _in_flight
        _in_flight.add(key)
    if taken:
        yield False
        return
    try:
        if db.dialect != "postgresql":
            yield True
            return
        with _advisory_lock(db, lock_class, ident) as got:
            yield got
    finally:
        with _in_flight_guard:
            _in_flight.discard(key)


@contextmanager
def _advisory_lock(db: Database, lock_class: int, ident: int) -> Iterator[bool]:
    conn = db.engine.connect()
    try:
        args = {"c": lock_class, "i": ident}
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:c, :i)"), args).scalar())
        conn.commit()  # hold the lock idle, not idle in transaction
        try:
            yield got
        finally:
            if got:
                try:
                    conn.execute(text("SELECT pg_advisory_unlock(:c, :i)"), args)
                    conn.commit()
                except Exception:
                    # A lock left on a pooled connection would outlive us: drop the connection instead.
                    log.warning("could not release a delivery claim; closing its connection")
                    conn.invalidate()
    finally:
        conn.close()
