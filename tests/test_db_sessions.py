"""SQLite transactions take the write lock at once; a session nested in another in one thread is refused."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.models import Organization
from bot.orgs import ensure_org


def test_a_nested_sqlite_session_is_refused_at_once(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'nested.db'}")
    db.migrate()
    with db.session() as session:
        ensure_org(session, "one")
        with pytest.raises(RuntimeError, match="second SQLite session"), db.session():
            pass
    with db.session() as session:  # the outer one committed and the thread is free again
        assert session.scalar(select(Organization.slug)) == "one"


def test_concurrent_writers_wait_for_each_other_instead_of_failing(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'writers.db'}")
    db.migrate()
    errors: list[BaseException] = []

    def write(slug: str) -> None:
        try:
            # Read first, write later, in a savepoint (as each member's digest is built): the shape that
            # failed at once on a stale snapshot when transactions started as reads.
            with db.session() as session, session.begin_nested():
                session.scalars(select(Organization)).all()
                time.sleep(0.05)
                ensure_org(session, slug)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"org{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session() as session:
        assert len(session.scalars(select(Organization)).all()) == 8
