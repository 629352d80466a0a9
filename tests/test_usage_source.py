"""Product usage from SQL (a real SQLite file and the throwaway PostgreSQL) and from CSV dumps, read
incrementally; and the source registry around them: secrets at rest, cursors, failures, the nightly job."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet
from pydantic import BaseModel, SecretStr
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot import sources
from bot.cli import app
from bot.crypto import SecretBox
from bot.db import Database
from bot.models import SourceState, UsageDay
from bot.pipeline import run_sync
from bot.scheduler import jobs
from bot.settings import Settings
from bot.sources import connector_for, load_kind, remember_source, stored_config, sync_source, validate_config
from integrations.base import SourceBatch, SourceError
from integrations.files import FileSource
from integrations.usage import SQL, FilesConfig, FileUsageSource, SqlConfig
from tests.csvbook import write_book

KEY = Fernet.generate_key().decode()
ROWS = [
    ("alpha.example", "2026-11-01", 10, 40),
    ("alpha.example", "2026-11-02", 12, 35),
    ("beta.example", "2026-11-02", 3, 9),
    ("gamma.example", "2026-11-02", 1, 1),  # no account has this domain
]
QUERY = "SELECT tenant, day, users, evts FROM product_usage WHERE day >= :since ORDER BY day, tenant"
COLUMNS = {"account_id": "tenant", "date": "day", "active_users": "users", "events": "evts"}


def _settings(db: Database) -> Settings:
    return Settings(database_url=db.url, secret_keys=SecretStr(KEY))


@pytest.fixture
def sqlite_warehouse(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """A real SQLite file, and a function adding usage rows to it."""
    file = tmp_path / "warehouse.db"
    with sqlite3.connect(file) as conn:
        conn.execute("CREATE TABLE product_usage (tenant TEXT, day DATE, users INTEGER, evts INTEGER)")

    def insert(rows: list[tuple[str, str, int, int]]) -> None:
        with sqlite3.connect(file) as conn:
            conn.executemany("INSERT INTO product_usage VALUES (?, ?, ?, ?)", rows)

    yield f"sqlite:///{file}", insert


@pytest.fixture
def pg_warehouse(postgres_url: str) -> Iterator[tuple[str, Any]]:
    """A table in the throwaway PostgreSQL database, dropped afterwards."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE product_usage (tenant TEXT, day DATE, users INTEGER, evts BIGINT)")

    def insert(rows: list[tuple[str, str, int, int]]) -> None:
        with psycopg.connect(postgres_url, autocommit=True) as conn, conn.cursor() as cur:
            cur.executemany("INSERT INTO product_usage VALUES (%s, %s, %s, %s)", rows)

    yield postgres_url.replace("postgresql://", "postgresql+psycopg://"), insert
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE product_usage")


@pytest.mark.parametrize("warehouse", ["sqlite_warehouse", "pg_warehouse"])
def test_sql_usage_is_read_from_the_cursor_on(warehouse: str, request: pytest.FixtureRequest) -> None:
    url, insert = request.getfixturevalue(warehouse)
    insert(ROWS)
    config = SqlConfig(url=url, query=QUERY, columns=COLUMNS, match="domain", lookback_days=1)
    first = SQL.connector("usage", config, None).load()
    assert [(u.account_id, u.date, u.active_users, u.events) for u in first.usage][:2] == [
        ("domain:alpha.example", date(2026, 11, 1), 10, 40),
        ("domain:alpha.example", date(2026, 11, 2), 12, 35),
    ]
    assert first.cursor == {"since": "2026-11-01"}  # the latest day, less the lookback
    insert([("alpha.example", "2026-11-03", 11, 30), ("beta.example", "2026-10-01", 5, 5)])
    second = SQL.connector("usage", config, first.cursor).load()
    assert [(u.account_id, u.date) for u in second.usage] == [
        ("domain:alpha.example", date(2026, 11, 1)),
        ("domain:alpha.example", date(2026, 11, 2)),
        ("domain:beta.example", date(2026, 11, 2)),
        ("domain:gamma.example", date(2026, 11, 2)),
        ("domain:alpha.example", date(2026, 11, 3)),
    ]  # not October's late row: it is before the cursor
    assert second.cursor == {"since": "2026-11-02"}
    everything = SQL.connector("usage", config, second.cursor, full=True).load()
    assert len(everything.usage) == 6


def test_sql_rows_that_do_not_fit_are_problems_and_a_bad_query_is_a_source_error(sqlite_warehouse: Any) -> None:
    url, insert = sqlite_warehouse
    insert([("a1", "2026-11-01", 1, 2), ("a1", "2026-11-01", 3, 4), ("a2", "not a day", 1, 1), ("a3", None, 1, -5)])
    config = SqlConfig(url=url, query="SELECT * FROM product_usage", columns=COLUMNS)
    batch = SQL.connector("usage", config, {"since": "2026-01-01"}).load()
    assert [(u.account_id, u.events) for u in batch.usage] == [("a1", 2)]
    first, second, third = (str(p) for p in batch.problems)
    assert first == "query row 2: second row for a1 on 2026-11-01 (first: query row 1)"
    assert second.startswith("query row 3: date:") and third.startswith("query row 4: date: required")
    assert batch.cursor is None  # no :since in the query: it is read in full each time
    narrow = SqlConfig(url=url, query="SELECT tenant, day, evts FROM product_usage", columns=COLUMNS)
    with pytest.raises(SourceError, match="usage query: no column 'users' for active_users"):
        SQL.connector("u", narrow, None).load()
    with pytest.raises(SourceError, match="usage query failed: OperationalError: no such table: nope"):
        SQL.connector("u", SqlConfig(url=url, query="SELECT * FROM nope"), None).load()
    with pytest.raises(SourceError, match="not a SQLAlchemy URL"):
        SQL.connector("u", SqlConfig(url="user:s3cret@nowhere", query="SELECT 1"), None).load()


def test_csv_usage_rereads_only_new_or_changed_files(tmp_path: Path) -> None:
    (tmp_path / "usage_2026-11-01.csv").write_text("customer,day,users\nA1,01/11/2026,4\nA2,01/11/2026,x\n")
    (tmp_path / "usage_2026-11-02.csv").write_text("customer,day,users\nA1,02/11/2026,5\n")
    config = FilesConfig(
        path=tmp_path,
        pattern="usage_*.csv",
        columns={"account_id": "customer", "date": "day", "active_users": "users"},
        date_format="%d/%m/%Y",
    )
    first = FileUsageSource("u", config, None).load()
    assert [(u.account_id, u.date, u.active_users) for u in first.usage] == [
        ("A1", date(2026, 11, 1), 4),
        ("A1", date(2026, 11, 2), 5),
    ]
    assert [str(p) for p in first.problems] == [
        "usage_2026-11-01.csv:3: active_users: Input should be a valid integer, unable to parse string as an integer"
        " (got 'x')"
    ]
    (tmp_path / "usage_2026-11-03.csv").write_text("customer,day,users\nA1,03/11/2026,6\n")
    second = FileUsageSource("u", config, first.cursor).load()
    assert [u.date for u in second.usage] == [date(2026, 11, 3)]
    assert second.cursor is not None and len(second.cursor["files"]) == 3
    (tmp_path / "usage_2026-11-02.csv").write_text("customer,day,users\nA1,02/11/2026,7\n")  # a corrected dump
    os.utime(tmp_path / "usage_2026-11-02.csv", ns=(1, 1))
    third = FileUsageSource("u", config, second.cursor).load()
    assert [(u.date, u.active_users) for u in third.usage] == [(date(2026, 11, 2), 7)]
    assert len(FileUsageSource("u", config, third.cursor, full=True).load().usage) == 3
    (tmp_path / "usage_2026-11-04.parquet").write_bytes(b"PAR1")  # a truncated dump
    with pytest.raises(SourceError, match="not a readable Parquet file"):
        FileUsageSource("u", config.model_copy(update={"pattern": "usage_*"}), None).load()


def test_parquet_usage_is_read_with_its_types(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "Customer": ["A1", "A1", "A2", None],
            "Day": [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 1), date(2026, 11, 1)],
            "Users": [4, 5, 7, 1],
            "Events": [120, 130, -3, 5],
        }
    )
    pq.write_table(table, tmp_path / "usage.parquet", row_group_size=2)  # two record batches
    config = FilesConfig(
        path=tmp_path,
        pattern="*.parquet",
        columns={"account_id": "customer", "date": "day", "active_users": "users", "events": "events"},
    )
    batch = FileUsageSource("u", config, None).load()
    assert [(u.account_id, u.date, u.active_users, u.events) for u in batch.usage] == [
        ("A1", date(2026, 11, 1), 4, 120),
        ("A1", date(2026, 11, 2), 5, 130),
    ]
    assert [p.where for p in batch.problems] == ["usage.parquet:row 3", "usage.parquet:row 4"]
    assert FileUsageSource("u", config, batch.cursor).load().usage == []  # unchanged: not read again


@pytest.fixture
def book(db: Database, tmp_path: Path) -> Database:
    write_book(tmp_path / "crm")  # accounts A1 alpha.example and A2 beta.example
    run_sync(db, "default", FileSource(tmp_path / "crm"))
    return db


@pytest.fixture
def usage_source(book: Database, sqlite_warehouse: Any) -> tuple[Database, str, Any]:
    url, insert = sqlite_warehouse
    insert(ROWS)
    config = validate_config("usage_sql", {"url": url, "query": QUERY, "columns": COLUMNS, "match": "domain"})
    remember_source(book, "default", "usage", stored_config("usage_sql", config, SecretBox([KEY])))
    return book, url, insert


def test_a_configured_usage_source_syncs_by_domain_keeps_its_cursor_and_its_secret(usage_source: Any) -> None:
    db, url, insert = usage_source
    with db.session() as session:
        stored = session.scalars(select(SourceState).where(SourceState.source == "usage")).one().config
    assert url not in json.dumps(stored) and set(stored["secrets"]) == {"url"}  # encrypted at rest
    assert sources.shown_config(stored)["url"] == "***"

    report = sync_source(db, "default", "usage", _settings(db))
    assert report.created == {"usage": 3}
    assert report.problems == ["usage domain:gamma.example 2026-11-02: no account has the domain 'gamma.example'"]
    with db.session() as session:
        state = session.scalars(select(SourceState).where(SourceState.source == "usage")).one()
        assert json.loads(state.cursor or "") == {"since": "2026-10-30"}

    # A failing read stores nothing and keeps the cursor; the failure is the source's health.
    insert([("alpha.example", "2026-11-03", 1, 1)])
    broken = dict(stored, query="SELECT * FROM missing_table")
    remember_source(db, "default", "usage", broken)
    with pytest.raises(SourceError):
        sync_source(db, "default", "usage", _settings(db))
    with db.session() as session:
        state = session.scalars(select(SourceState).where(SourceState.source == "usage")).one()
        assert json.loads(state.cursor or "") == {"since": "2026-10-30"}
        assert "no such table: missing_table" in (state.last_error or "")
        assert session.scalar(select(func.count()).select_from(UsageDay)) == 3


class Leaky:
    """A kind whose SDK quotes its credential in an error message."""

    KIND = "leaky"

    class Config(BaseModel):
        token: SecretStr

    @staticmethod
    def connector(name: str, config: Any, cursor: dict[str, Any] | None, full: bool = False) -> Any:
        class Source:
            def load(self) -> SourceBatch:
                raise RuntimeError(f"401 for token {config.token.get_secret_value()}")

        source = Source()
        source.name = name  # type: ignore[attr-defined]
        return source


def test_a_kind_whose_module_is_missing_or_leaks_its_secret_fails_cleanly(
    book: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sources.KINDS, "ghost", "integrations.ghost_crm")
    with pytest.raises(SourceError, match=r"'ghost' is not available: integrations\.ghost_crm cannot be imported"):
        load_kind("ghost")
    with pytest.raises(SourceError, match="unknown source kind 'nope'"):
        connector_for("x", {"kind": "nope"}, _settings(book))
    monkeypatch.setitem(sources.KINDS, "leaky", "tests.test_usage_source:Leaky")
    config = stored_config("leaky", validate_config("leaky", {"token": "tok-123-secret"}), SecretBox([KEY]))
    remember_source(book, "default", "crm", config)
    with pytest.raises(SourceError, match=r"RuntimeError: 401 for token \*\*\*"):
        sync_source(book, "default", "crm", _settings(book))
    with book.session() as session:
        state = session.scalars(select(SourceState).where(SourceState.source == "crm")).one()
        assert state.last_error and "tok-123-secret" not in state.last_error and "***" in state.last_error


def test_the_nightly_job_syncs_configured_sources_from_their_cursor(
    usage_source: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _url, insert = usage_source
    with db.session() as session:
        org_id = session.scalars(select(SourceState.org_id)).first()
    assert org_id is not None
    monkeypatch.setattr(jobs, "_runtime", jobs.Runtime(_settings(db), db, channels=lambda _org: {}))
    jobs.nightly(org_id)
    insert([("alpha.example", "2026-11-05", 2, 2), ("alpha.example", "2026-10-01", 9, 9)])  # the second is old
    jobs.nightly(org_id)
    with db.session() as session:
        days = sorted(d for (d,) in session.execute(select(UsageDay.day)))
        state = session.scalars(select(SourceState).where(SourceState.source == "usage")).one()
    assert days == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 5)]
    assert json.loads(state.cursor or "") == {"since": "2026-11-02"}


@pytest.mark.filterwarnings("ignore:Query string argument")  # the sqlite driver's word on ?password=
def test_the_cli_never_shows_a_secret(
    cli_env: dict[str, str], sqlite_warehouse: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TANDEM_SECRET_KEYS", raising=False)
    url, insert = sqlite_warehouse
    insert(ROWS)
    runner = CliRunner()
    secret_url = url + "?password=hunter2"  # the sqlite driver ignores it; it stands for a real password
    args = ["sources", "add", "usage_sql", "usage", "--set", f"url={secret_url}", "--set", f"query={QUERY}"]
    args += [arg for k, v in COLUMNS.items() for arg in ("--set", f"columns.{k}={v}")]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "set TANDEM_SECRET_KEYS first" in refused.output
    monkeypatch.setenv("TANDEM_SECRET_KEYS", KEY)
    assert runner.invoke(app, args).exit_code == 0
    listed = runner.invoke(app, ["sources", "list", "--json"])
    assert "hunter2" not in listed.output and json.loads(listed.output)[0]["settings"]["url"] == "***"
    tested = runner.invoke(app, ["sources", "test", "usage"])
    assert tested.exit_code == 0 and "query runs" in tested.output and "hunter2" not in tested.output
    synced = runner.invoke(app, ["sync", "--source", "usage", "--full"])
    assert synced.exit_code == 0 and "4 row(s) skipped" in synced.output  # no accounts in this book yet
    assert "usage alpha.example 2026-11-01: unknown account 'alpha.example'" in synced.output


def test_a_list_setting_can_be_given_as_comma_separated_text() -> None:
    from bot.sources import validate_config

    config = validate_config("stripe", {"api_key": "rk_test_x", "match": "metadata, domain"})
    assert config.model_dump()["match"] == ["metadata", "domain"]
    with pytest.raises(SourceError, match="match"):
        validate_config("stripe", {"api_key": "rk_test_x", "match": "metadata,nonsense"})
