"""One scheduler for the whole deployment: the replica holding a PostgreSQL advisory lock runs the jobs.

The lock lives as long as its connection, so a replica that dies (even kill -9) releases it and another
takes over at its next attempt. SQLite is the embedded single-process mode: its one process always leads.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection, text

from bot.db import Database

log = logging.getLogger(__name__)

LOCK_KEY = 0x7A4D_0001  # arbitrary, constant: "the Tandem scheduler"


class LeaderLock:
    def __init__(self, db: Database, key: int = LOCK_KEY) -> None:
        self.db, self.key = db, key
        self._conn: Connection | None = None
        self.held = False

    def try_acquire(self) -> bool:
        if self.held:
            return self.still_held()
        if self.db.dialect != "postgresql":
            self.held = True
            return True
        conn = self.db.engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            conn.commit()
        except Exception:
            conn.close()
            raise
        if got:
            self._conn, self.held = conn, True
        else:
            conn.close()
        return got

    def still_held(self) -> bool:
        """False once the lock's connection is gone (the database restarted, the network dropped)."""
        if self._conn is None:
            return self.held
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:
            log.warning("lost the scheduler lock's connection")
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                self._conn.commit()
            except Exception:  # the connection is gone, and the lock with it
                pass
            self._conn.close()
            self._conn = None
        self.held = False
