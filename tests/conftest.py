"""Shared fixtures: every database test runs on SQLite and on a real, throwaway PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from bot.db import Database
from bot.models import Base

pytest_plugins = ["tests.slack_harness"]

PG_ADMIN_URL = os.environ.get("TANDEM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped at the end."""
    problem = _postgres_reachable()
    if problem is not None:
        if os.environ.get("TANDEM_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required (TANDEM_REQUIRE_POSTGRES) but unreachable: {problem}")
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL}: {problem}")
    name = f"tandem_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'tandem.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def migrated_db(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    db.migrate()
    yield db
    db.dispose()


@pytest.fixture
def db(migrated_db: Database) -> Iterator[Database]:
    """A migrated, empty database (both backends); emptied again after the test."""
    yield migrated_db
    with migrated_db.engine.begin() as conn:
        if migrated_db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def cli_env(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running the real CLI against the test database, from a scratch directory."""
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID", "TANDEM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    env = {"TANDEM_DATABASE_URL": db.url}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
