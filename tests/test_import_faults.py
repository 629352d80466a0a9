"""A bad row, a broken file or a partial export never invents a departure, and is reported by file:line;
the rest of the batch is stored."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.cli_common import DATABASE_GONE, database_gone
from bot.db import Database
from bot.models import Account, Contact, Note, SyncRun
from bot.pipeline import run_sync
from integrations.base import SourceBatch, SourceError
from integrations.files import FileSource
from tests.conftest import PG_ADMIN_URL
from tests.csvbook import ACCOUNTS, CONTACTS, write_book, write_csv
from tests.test_ingest import sync

HEADER = "contact_id,account_id,name,email,role,is_key,status"
ROWS = [
    "C1,A1,Ann Key,ann@alpha.example,champion,yes,active",
    "C2,A1,Bob Boss,bob@alpha.example,decision_maker,true,active",
    "C3,A2,Cy User,,user,0,active",
]


def _contacts_file(book: Path, *lines: str) -> None:
    (book / "contacts.csv").write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


def _left(db: Database) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(Contact.external_id).where(Contact.left_at.is_not(None))))


def test_a_rejected_row_does_not_make_its_contact_vanish(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    bad = [dict(CONTACTS[0], updated_at="not-a-date"), *CONTACTS[1:]]
    report = sync(db, write_book(tmp_path, contacts=bad))
    assert report.departures == [] and _left(db) == set()
    assert any(p.startswith("contacts.csv:2: updated_at") for p in report.problems), report.problems
    # The rule is not simply off: a contact the clean, complete export no longer lists has left.
    assert sync(db, write_book(tmp_path, contacts=[CONTACTS[0], CONTACTS[2]])).departures == ["C2"]


def test_an_unbalanced_quote_is_reported_by_line_and_loses_only_its_row(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    _contacts_file(tmp_path, ROWS[0], 'C2,A1,"Bob Boss,bob@alpha.example,decision_maker,true,active', ROWS[2])
    report = sync(db, tmp_path)
    assert report.departures == [] and _left(db) == set()
    assert any(p.startswith("contacts.csv:3: malformed quoting") for p in report.problems), report.problems
    with db.session() as session:  # the rows after the broken one were read again, not swallowed
        assert session.scalar(select(Contact.name).where(Contact.external_id == "C3")) == "Cy User"


def test_a_quote_that_swallows_the_rest_of_the_file_is_caught(tmp_path: Path) -> None:
    write_book(tmp_path)
    _contacts_file(tmp_path, 'C1,A1,"Ann Key,ann@alpha.example,champion,yes,active', *ROWS[1:])
    batch = FileSource(tmp_path).load()
    assert [c.contact_id for c in batch.contacts] == ["C2", "C3"]
    assert [str(p).split(" (")[0] for p in batch.problems] == ["contacts.csv:2: malformed quoting"]


def test_ragged_rows_and_a_truncated_export_invent_no_departure(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    _contacts_file(tmp_path, ROWS[0], "C3,A2,Cy User,,user")  # C2 missing, and the file stops mid-row
    report = sync(db, tmp_path)
    assert report.departures == [] and _left(db) == set()
    assert report.problems == ["contacts.csv:3: 5 values for 7 columns: row skipped"]
    _contacts_file(tmp_path, ROWS[0], ROWS[1], ROWS[2] + ",extra")
    assert sync(db, tmp_path).problems == ["contacts.csv:4: 8 values for 7 columns: row skipped"]


def test_a_duplicate_id_is_reported_with_its_first_line_and_moves_nothing(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    _contacts_file(tmp_path, *ROWS, "C1,A2,Ann Elsewhere,ann@beta.example,champion,yes,active")
    report = sync(db, tmp_path)
    assert report.problems == ["contacts.csv:5: duplicate contact_id C1, first at line 2"]
    with db.session() as session:
        ann = session.scalars(select(Contact).where(Contact.external_id == "C1")).one()
        assert session.get_one(Account, ann.account_id).external_id == "A1" and ann.name == "Ann Key"
    accounts = [*ACCOUNTS, dict(ACCOUNTS[0], name="Alpha Again")]
    assert sync(db, write_book(tmp_path, accounts=accounts)).problems == [
        "accounts.csv:4: duplicate account_id A1, first at line 2"
    ]


def test_a_duplicate_header_column_stops_the_file_with_a_clear_message(tmp_path: Path) -> None:
    write_book(tmp_path)
    (tmp_path / "contacts.csv").write_text(
        "contact_id,account_id,email,Email\nC1,A1,ann@alpha.example,other@alpha.example\n", encoding="utf-8"
    )
    with pytest.raises(SourceError, match=r"contacts\.csv:1: duplicate column 'email' in columns 3, 4"):
        FileSource(tmp_path).load()


def test_an_empty_optional_file_is_a_warning_not_a_stop(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    (tmp_path / "contacts.csv").write_bytes(b"")
    (tmp_path / "notes.csv").write_bytes(b"")
    report = sync(db, tmp_path)
    assert report.problems == [] and report.departures == [] and _left(db) == set()
    assert report.warnings == [
        "contacts.csv: empty file (0 bytes): read as no rows",
        "notes.csv: empty file (0 bytes): read as no rows",
    ]


def test_a_line_that_is_not_utf8_is_reported_by_line_and_the_rest_imports(db: Database, tmp_path: Path) -> None:
    write_book(tmp_path)
    (tmp_path / "notes.csv").write_bytes(
        b"note_id,account_id,created_at,body\n"
        b"N1,A1,2026-11-01,fine\n"
        b"N2,A1,2026-11-02,caf\xe9 latin-1\n"
        b'N3,A1,2026-11-03,"two\nlines"\n'
    )
    report = sync(db, tmp_path)
    assert report.problems == ["notes.csv:3: not UTF-8 text (byte 0xE9 at column 21): row skipped; save as UTF-8"]
    with db.session() as session:
        assert set(session.scalars(select(Note.external_id))) == {"N1", "N3"}


@pytest.mark.parametrize(
    ("column", "value"),
    [("seats_purchased", "99999999999999999999"), ("seats_purchased", "3000000000"), ("arr", "1e20")],
)
def test_an_out_of_range_number_is_a_row_error_and_the_rest_imports(
    db: Database, tmp_path: Path, column: str, value: str
) -> None:
    accounts = [dict(ACCOUNTS[0], **{column: value}), ACCOUNTS[1]]
    report = sync(db, write_book(tmp_path, accounts=accounts, contacts=CONTACTS[2:]))
    assert len(report.problems) == 1 and report.problems[0].startswith(f"accounts.csv:2: {column}: "), report.problems
    with db.session() as session:
        assert set(session.scalars(select(Account.external_id))) == {"A2"}
        assert set(session.scalars(select(Contact.external_id))) == {"C3"}


def test_usage_counts_beyond_int4_are_row_errors(db: Database, tmp_path: Path) -> None:
    usage = [
        {"account_id": "A1", "date": "2026-11-01", "events": "2147483648"},
        {"account_id": "A1", "date": "2026-11-02", "events": "2147483647"},
    ]
    report = sync(db, write_book(tmp_path, usage=usage))
    assert [p.split(": ")[0:2] for p in report.problems] == [["usage.csv:2", "events"]]
    write_csv(tmp_path / "usage.csv", usage[1:])
    assert sync(db, tmp_path).problems == []


def test_every_problem_of_a_sync_can_be_listed_and_only_skipped_rows_are_counted(
    db: Database, tmp_path: Path, cli_env: dict[str, str]
) -> None:
    book = write_book(tmp_path / "book")
    _contacts_file(book, *ROWS, *(f"C{n},A1,Someone,,nobody-knows,,active" for n in range(10, 35)))
    (book / "notes.csv").write_bytes(b"")
    listed = tmp_path / "problems.txt"
    result = CliRunner().invoke(app, ["sync", "--path", str(book), "--problems", str(listed)])
    assert result.exit_code == 0, result.output
    assert "25 row(s) skipped:" in result.output and "1 warning(s), rows kept:" in result.output
    assert f"... and 5 more (all in {listed})" in result.output
    lines = listed.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 26 and lines[-1] == "warning\tnotes.csv: empty file (0 bytes): read as no rows"
    assert lines[24].startswith("skipped\tcontacts.csv:29: role: ")


def test_a_database_that_cannot_be_reached_is_one_sentence(tmp_path: Path) -> None:
    book = write_book(tmp_path / "book")
    env = {**os.environ, "TANDEM_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/gone", "TANDEM_LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "sync", "--path", str(book)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("error: the database cannot be used (connection failed:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


class _DatabaseDiesDuringTheSync:
    """Reads the book, then the database server drops every connection and refuses new ones."""

    name = "files"

    def __init__(self, book: Path, database: str) -> None:
        self.files, self.database = FileSource(book), database

    def load(self) -> SourceBatch:
        batch = self.files.load()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (self.database,))
        return batch


def test_a_database_gone_mid_sync_stores_nothing_half(db: Database, tmp_path: Path) -> None:
    if db.dialect != "postgresql":
        pytest.skip("a server that goes away is a PostgreSQL fault (SQLite is a local file)")
    run_sync(db, "default", FileSource(write_book(tmp_path / "v1")))
    book = write_book(tmp_path / "v2", accounts=[dict(ACCOUNTS[0], name="Alpha Renamed"), ACCOUNTS[1]])
    database = make_url(db.url).database or ""
    try:
        with pytest.raises(DATABASE_GONE) as raised:
            run_sync(db, "default", _DatabaseDiesDuringTheSync(book, database))
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    message = database_gone(raised.value)  # what the CLI prints
    assert message.exit_code == 1
    db.engine.dispose()
    with db.session() as session:
        assert set(session.scalars(select(Account.name))) == {"Alpha Corp", "Beta GmbH"}
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 1
