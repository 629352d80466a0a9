"""The bulk, streaming sync: what changed is known per account, a failure midway stores nothing, a key
repeated in one batch keeps its last values (the CSV reader reports one repeated in a file); the batched
rescore reads what the one-shot read did."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.book import load_snapshots, snapshot_batches
from bot.db import Database
from bot.models import Account, HealthScore, SyncRun, Ticket, UsageDay
from bot.orgs import get_org
from bot.pipeline import run_score, run_sync
from integrations.base import SourceBatch, StreamedBatch
from integrations.files import FileSource
from integrations.records import TicketRecord, UsageRecord
from tests.csvbook import CONTACTS, write_book

AS_OF = date(2026, 11, 22)
USAGE = [
    {"account_id": a, "date": f"2026-11-{d:02d}", "active_users": "10", "events": "100"}
    for a in ("A1", "A2")
    for d in range(1, 21)
]


def _ids(db: Database) -> dict[str, int]:
    with db.session() as session:
        return {external_id: id_ for external_id, id_ in session.execute(select(Account.external_id, Account.id))}


def test_the_report_names_exactly_the_accounts_that_changed(db: Database, tmp_path: Path) -> None:
    first = run_sync(db, "acme", FileSource(write_book(tmp_path, usage=USAGE)))
    ids = _ids(db)
    assert first.changed_accounts == {ids["A1"], ids["A2"]}
    assert run_sync(db, "acme", FileSource(write_book(tmp_path, usage=USAGE))).changed_accounts == set()
    changed = [dict(row, active_users="11") if row["account_id"] == "A2" else row for row in USAGE]
    report = run_sync(db, "acme", FileSource(write_book(tmp_path, usage=changed)))
    assert report.changed_accounts == {ids["A2"]} and report.updated == {"usage": 20}


class _Failing:
    """A streaming source whose usage breaks after many records (a dropped connection, a full disk)."""

    name = "files"

    def __init__(self, book: Path) -> None:
        self.book = book

    def stream(self) -> StreamedBatch:
        batch = FileSource(self.book).stream()
        batch.usage = self._usage()
        return batch

    def load(self) -> SourceBatch:
        return self.stream().materialized()

    def _usage(self) -> Iterator[UsageRecord]:
        for day in range(12_000):  # more than one chunk lands before the failure
            yield UsageRecord(account_id="A1", date=date.fromordinal(AS_OF.toordinal() - day), active_users=day)
        raise OSError("connection lost")


def test_a_sync_failing_midway_stores_nothing_of_its_batch(db: Database, tmp_path: Path) -> None:
    run_sync(db, "acme", FileSource(write_book(tmp_path)))
    renamed = write_book(tmp_path / "next", accounts=[{"account_id": "A1", "name": "Renamed"}])
    with pytest.raises(OSError, match="connection lost"):
        run_sync(db, "acme", _Failing(renamed))
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(UsageDay)) == 0
        assert session.scalar(select(Account.name).where(Account.external_id == "A1")) == "Alpha Corp"
        assert session.scalar(select(func.count()).select_from(SyncRun)) == 1
    run_sync(db, "acme", FileSource(write_book(tmp_path, usage=USAGE)))  # and the next sync works


class _Repeating:
    """A source without the CSV reader's duplicate check that hands the ingest one key twice."""

    name = "files"

    def __init__(self, book: Path, tickets: list[TicketRecord]) -> None:
        self.book, self.tickets = book, tickets

    def load(self) -> SourceBatch:
        batch = FileSource(self.book).load()
        batch.tickets = self.tickets
        return batch


TICKETS = [
    {"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-11-01T08:00:00Z", "status": "open"},
    {"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-11-01T08:00:00Z", "status": "solved"},
]


def test_a_key_repeated_in_one_batch_keeps_its_last_values(db: Database, tmp_path: Path) -> None:
    source = _Repeating(write_book(tmp_path), [TicketRecord.model_validate(t) for t in TICKETS])
    report = run_sync(db, "acme", source)
    assert report.created["tickets"] == 1
    with db.session() as session:
        assert session.scalars(select(Ticket.status)).all() == ["solved"]


def test_a_key_repeated_in_one_file_is_reported_and_the_first_kept(db: Database, tmp_path: Path) -> None:
    report = run_sync(db, "acme", FileSource(write_book(tmp_path, tickets=TICKETS)))
    assert report.created["tickets"] == 1
    assert report.problems == ["tickets.csv:3: duplicate ticket_id T1, first at line 2"]
    with db.session() as session:
        assert session.scalars(select(Ticket.status)).all() == ["open"]


def test_snapshots_read_in_batches_are_the_snapshots_read_at_once(db: Database, tmp_path: Path) -> None:
    run_sync(db, "acme", FileSource(write_book(tmp_path, usage=USAGE)))
    ids = _ids(db).values()
    with db.session() as session:
        org_id = get_org(session, "acme").id
        at_once = load_snapshots(session, org_id, AS_OF, ids)
        batched = [snap for batch in snapshot_batches(session, org_id, AS_OF, batch_size=1) for snap in batch]
    assert batched == at_once and len(batched) == 2 and len(batched[0].usage) == 20


def test_rescoring_the_changed_accounts_matches_a_full_rescore(db: Database, tmp_path: Path) -> None:
    run_sync(db, "acme", FileSource(write_book(tmp_path, usage=USAGE)))
    run_score(db, "acme", AS_OF)
    dropped = [dict(row, active_users="1") if row["account_id"] == "A1" else row for row in USAGE]
    report = run_sync(db, "acme", FileSource(write_book(tmp_path, usage=dropped)))
    assert run_score(db, "acme", AS_OF, report.changed_accounts).accounts == 1

    def scores() -> dict[int, tuple[int, dict[str, object]]]:
        with db.session() as session:
            return {h.account_id: (h.score, h.components) for h in session.scalars(select(HealthScore))}

    incremental = scores()
    run_score(db, "acme", AS_OF)
    assert scores() == incremental


def test_a_configured_files_source_is_matched_as_it_streams(db: Database, tmp_path: Path) -> None:
    from bot.settings import Settings
    from bot.sources import ConfiguredSource, remember_source, stored_source, sync_source

    book = write_book(tmp_path, usage=USAGE)
    remember_source(db, "acme", "files", {"kind": "files", "path": str(book)})
    with db.session() as session:
        stored = stored_source(session, "acme", "files")
    batch = ConfiguredSource(db, "acme", stored, Settings(), full=False).stream()
    assert not isinstance(batch.usage, list)  # read as the ingest consumes it, never held whole
    report = sync_source(db, "acme", "files", Settings())
    assert report.created["usage"] == 40 and report.problems == []


def test_a_streamed_sync_lets_no_one_vanish_after_a_read_failure_in_a_later_file(db: Database, tmp_path: Path) -> None:
    """Streaming reads notes.csv after contacts are stored: the vanishing is decided once every file is read."""
    run_sync(db, "acme", FileSource(write_book(tmp_path)))
    book = write_book(tmp_path, contacts=[c for c in CONTACTS if c["contact_id"] != "C2"])
    (book / "notes.csv").write_text(
        'note_id,account_id,created_at,body\nN1,A1,2026-11-01T08:00:00Z,"never closed\n', encoding="utf-8"
    )
    report = run_sync(db, "acme", FileSource(book))
    assert report.departures == []
    assert any(p.startswith("notes.csv:2: malformed quoting") for p in report.problems), report.problems
    (book / "notes.csv").unlink()  # the same export without the broken file: C2 has left
    assert run_sync(db, "acme", FileSource(book)).departures == ["C2"]


def test_a_streamed_sync_does_not_take_a_rejected_contact_for_gone(db: Database, tmp_path: Path) -> None:
    run_sync(db, "acme", FileSource(write_book(tmp_path)))
    contacts = [dict(c, account_id="A9") if c["contact_id"] == "C2" else c for c in CONTACTS]
    report = run_sync(db, "acme", FileSource(write_book(tmp_path, contacts=contacts)))
    assert report.departures == []
    assert report.problems == ["contacts.csv:3: unknown account_id 'A9'"]
