"""The reference connector: the data contract read from CSV, with bad rows reported and skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from integrations.base import SourceError
from integrations.files import FileSource
from tests.csvbook import ACCOUNTS, write_book, write_csv


def test_reads_a_valid_book(tmp_path: Path) -> None:
    write_book(
        tmp_path,
        tickets=[
            {
                "ticket_id": "T1",
                "account_id": "A1",
                "opened_at": "2026-11-01T10:00:00",
                "priority": "High",
                "status": "open",
                "csat": "",
            }
        ],
        usage=[{"account_id": "A1", "date": "2026-11-20", "active_users": "40", "seats_used": "45"}],
    )
    batch = FileSource(tmp_path).load()
    assert batch.problems == []
    assert [a.account_id for a in batch.accounts] == ["A1", "A2"]
    assert batch.accounts[0].arr == Decimal("120000")
    assert batch.accounts[0].renewal_date == date(2027, 3, 1)
    assert batch.contacts[0].is_key is True and batch.contacts[2].is_key is False
    assert batch.contacts[2].status == "active"  # default when empty
    ticket = batch.tickets[0]
    assert ticket.priority == "high" and ticket.csat is None
    assert ticket.opened_at == datetime(2026, 11, 1, 10, tzinfo=UTC)  # no offset means UTC
    assert batch.usage[0].events is None  # optional column absent
    assert batch.team[1].digest_time == "09:00"
    assert batch.complete == {"accounts", "contacts"}


def test_bad_rows_are_reported_with_file_and_line_and_the_rest_imports(tmp_path: Path) -> None:
    write_book(
        tmp_path,
        accounts=[
            *ACCOUNTS,
            {"account_id": "A3", "name": "", "arr": "12"},
            {"account_id": "A4", "name": "Delta", "arr": "lots"},
        ],
        tickets=[
            {"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-11-01", "priority": "low"},
            {"ticket_id": "T2", "account_id": "A1", "opened_at": "yesterday", "priority": "low"},
            {"ticket_id": "T3", "account_id": "NOPE", "opened_at": "2026-11-02", "priority": "low"},
            {"ticket_id": "", "account_id": "A2", "opened_at": "2026-11-02", "priority": "low"},
            {"ticket_id": "T5", "account_id": "A2", "opened_at": "2026-11-02", "priority": "whenever"},
            {"ticket_id": "T6", "account_id": "A2", "opened_at": "2026-11-03", "csat": "9"},
        ],
    )
    batch = FileSource(tmp_path).load()
    problems = [str(p) for p in batch.problems]
    assert [a.account_id for a in batch.accounts] == ["A1", "A2"]
    assert [t.ticket_id for t in batch.tickets] == ["T1"]
    assert problems[0].startswith("accounts.csv:4: name: required value is missing")
    assert problems[1].startswith("accounts.csv:5: arr:") and "'lots'" in problems[1]
    assert problems[2].startswith("tickets.csv:3: opened_at:") and "'yesterday'" in problems[2]
    assert problems[3] == "tickets.csv:4: unknown account_id 'NOPE'"
    assert problems[4].startswith("tickets.csv:5: ticket_id: required value is missing")
    assert problems[5].startswith("tickets.csv:6: priority:")
    assert problems[6].startswith("tickets.csv:7: csat:")
    assert len(problems) == 7


def test_multiline_cells_keep_the_line_numbers_right(tmp_path: Path) -> None:
    write_book(
        tmp_path,
        notes=[
            {
                "note_id": "N1",
                "account_id": "A1",
                "created_at": "2026-11-01",
                "body": "line one\nline two\nthree",
            },
            {"note_id": "N2", "account_id": "A1", "created_at": "not a date", "body": "x"},
        ],
    )
    batch = FileSource(tmp_path).load()
    assert [str(p).split(": ")[0] for p in batch.problems] == ["notes.csv:5"]
    assert batch.notes[0].body == "line one\nline two\nthree"


def test_a_missing_required_file_or_column_stops_the_sync(tmp_path: Path) -> None:
    write_book(tmp_path / "no_accounts", accounts=[])
    with pytest.raises(SourceError, match=r"accounts\.csv: required file is missing"):
        FileSource(tmp_path / "no_accounts").load()
    book = write_book(tmp_path / "no_column")
    write_csv(book / "tickets.csv", [{"ticket_id": "T1", "account_id": "A1"}])
    with pytest.raises(SourceError, match=r"tickets.csv: missing required column\(s\): opened_at"):
        FileSource(book).load()
    with pytest.raises(SourceError, match="not a directory"):
        FileSource(tmp_path / "nowhere").load()


def test_hostile_files_get_a_clear_message(tmp_path: Path) -> None:
    book = write_book(tmp_path / "binary")
    (book / "notes.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    with pytest.raises(SourceError, match=r"notes\.csv:1: not UTF-8"):
        FileSource(book).load()
    book = write_book(tmp_path / "huge")
    write_csv(
        book / "notes.csv",
        [
            {"note_id": "N1", "account_id": "A1", "created_at": "2026-11-01", "body": "x" * 2_000_000},
            {"note_id": "N2", "account_id": "A1", "created_at": "2026-11-02", "body": "ok"},
        ],
    )
    batch = FileSource(book).load()
    assert [n.note_id for n in batch.notes] == ["N2"]
    assert "notes.csv:2: unreadable CSV row" in str(batch.problems[0])


def test_extra_columns_and_case_are_tolerated(tmp_path: Path) -> None:
    book = write_book(tmp_path, team=[{"email": "AM@US.example", "role": "AM", "favourite_color": "blue"}])
    batch = FileSource(book).load()
    assert batch.team[0].email == "am@us.example" and batch.team[0].role == "am"
    write_book(tmp_path, team=[{"email": "x@us.example", "role": "am", "timezone": "Mars/Olympus"}])
    assert "unknown timezone 'Mars/Olympus'" in str(FileSource(tmp_path).load().problems[0])
