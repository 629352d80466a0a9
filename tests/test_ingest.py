"""Storing a sync: upsert by source id, departures recorded once, a failed sync changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.ingest import Ingestor, IngestReport
from bot.models import Account, ChangeEvent, Contact, Member, SyncRun, Ticket, UsageDay
from bot.orgs import ensure_org
from integrations.base import SourceError
from integrations.files import FileSource
from tests.csvbook import ACCOUNTS, CONTACTS, write_book, write_csv


def sync(db: Database, path: Path) -> IngestReport:
    batch = FileSource(path).load()
    with db.session() as session:
        org = ensure_org(session, "acme")
        return Ingestor(session, org.id, "files").ingest(batch)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_resync_of_the_same_files_changes_nothing(db: Database, tmp_path: Path) -> None:
    book = write_book(
        tmp_path,
        usage=[{"account_id": "A1", "date": f"2026-11-{d:02d}", "active_users": "10"} for d in range(1, 11)],
        tickets=[{"ticket_id": "T1", "account_id": "A2", "opened_at": "2026-11-01T08:00:00+01:00"}],
    )
    first = sync(db, book)
    assert first.created == {"accounts": 2, "team": 2, "contacts": 3, "tickets": 1, "usage": 10}
    second = sync(db, book)
    assert second.created == {} and second.updated == {} and second.departures == []
    assert count(db, Account) == 2 and count(db, UsageDay) == 10 and count(db, Member) == 2
    assert count(db, SyncRun) == 2


def test_changed_rows_update_in_place(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    with db.session() as session:
        before = session.scalar(select(Account).where(Account.external_id == "A1"))
        assert before is not None
        first_id = before.id
    changed = [dict(ACCOUNTS[0], arr="150000", plan="Enterprise"), ACCOUNTS[1]]
    report = sync(db, write_book(tmp_path, accounts=changed))
    assert report.updated == {"accounts": 1}
    with db.session() as session:
        after = session.scalar(select(Account).where(Account.external_id == "A1"))
        assert after is not None
        assert (after.id, float(after.arr or 0), after.plan) == (first_id, 150000.0, "Enterprise")


def test_a_departure_by_status_is_recorded_once(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    left = [dict(CONTACTS[0], status="left", updated_at="2026-11-19T09:00:00Z"), *CONTACTS[1:]]
    report = sync(db, write_book(tmp_path, contacts=left))
    assert report.departures == ["C1"]
    assert sync(db, write_book(tmp_path, contacts=left)).departures == []
    with db.session() as session:
        events = session.scalars(select(ChangeEvent).where(ChangeEvent.change == "left")).all()
        assert [(e.external_id, e.details["evidence"]) for e in events] == [("C1", "status")]
        ann = session.scalar(select(Contact).where(Contact.external_id == "C1"))
        assert ann is not None and ann.left_at is not None and ann.left_at.isoformat().startswith("2026-11-19T09")


def test_a_contact_vanishing_from_a_full_export_has_left_and_can_return(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    report = sync(db, write_book(tmp_path, contacts=[CONTACTS[0], CONTACTS[2]]))
    assert report.departures == ["C2"]
    with db.session() as session:
        bob = session.scalar(select(Contact).where(Contact.external_id == "C2"))
        assert bob is not None and (bob.status, bob.left_evidence) == ("left", "vanished")
    assert sync(db, write_book(tmp_path, contacts=[CONTACTS[0], CONTACTS[2]])).departures == []
    back = sync(db, write_book(tmp_path))
    assert back.returned == ["C2"] and back.departures == []


def test_contacts_of_accounts_missing_from_the_export_are_not_departures(db: Database, tmp_path: Path) -> None:
    sync(db, write_book(tmp_path))
    # A2 is not in this export at all: its contacts did not leave, the account did.
    report = sync(db, write_book(tmp_path, accounts=[ACCOUNTS[0]], contacts=CONTACTS[:2]))
    assert report.departures == []


def test_a_sync_that_cannot_read_its_source_keeps_the_previous_data(db: Database, tmp_path: Path) -> None:
    book = write_book(tmp_path, tickets=[{"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-11-01"}])
    sync(db, book)
    write_csv(book / "tickets.csv", [{"ticket_id": "T2", "account_id": "A1"}])  # opened_at column gone
    (book / "accounts.csv").write_text("account_id,name\nA1,Renamed\n", encoding="utf-8")
    with pytest.raises(SourceError):
        sync(db, book)
    assert count(db, Ticket) == 1
    with db.session() as session:
        assert session.scalar(select(Account.name).where(Account.external_id == "A1")) == "Alpha Corp"


def test_problems_are_kept_on_the_sync_run(db: Database, tmp_path: Path) -> None:
    book = write_book(tmp_path, tickets=[{"ticket_id": "T1", "account_id": "ZZ", "opened_at": "2026-11-01"}])
    report = sync(db, book)
    assert report.problems == ["tickets.csv:2: unknown account_id 'ZZ'"]
    with db.session() as session:
        run = session.scalars(select(SyncRun)).one()
        assert (run.status, run.problems) == ("partial", ["tickets.csv:2: unknown account_id 'ZZ'"])


def test_records_of_an_unknown_account_are_reported_and_the_rest_is_stored(db: Database, tmp_path: Path) -> None:
    from integrations.records import TicketRecord

    batch = FileSource(write_book(tmp_path)).load()
    batch.tickets = [
        TicketRecord.model_validate({"ticket_id": "T1", "account_id": "A1", "opened_at": "2026-11-01T08:00:00Z"}),
        TicketRecord.model_validate({"ticket_id": "T2", "account_id": "NOPE", "opened_at": "2026-11-01T08:00:00Z"}),
    ]
    with db.session() as session:
        org = ensure_org(session, "acme")
        report = Ingestor(session, org.id, "crm").ingest(batch)  # a connector called directly, no matching
    assert report.problems == ["tickets: unknown account 'NOPE'"]
    assert report.created["tickets"] == 1 and count(db, Ticket) == 1
    with db.session() as session:
        assert session.scalars(select(SyncRun)).one().status == "partial"


def test_a_second_source_updates_only_the_account_fields_it_gives(db: Database, tmp_path: Path) -> None:
    from integrations.base import SourceBatch
    from integrations.records import AccountRecord

    sync(db, write_book(tmp_path))
    with db.session() as session:
        before = session.scalars(select(Account).where(Account.external_id == "A1")).one()
        am, csm, name = before.am_email, before.csm_email, before.name
    assert am is not None and csm is not None
    billing = SourceBatch(accounts=[AccountRecord(account_id="A1", name=name, seats_purchased=120)])
    with db.session() as session:
        Ingestor(session, ensure_org(session, "acme").id, "stripe").ingest(billing)
    with db.session() as session:
        after = session.scalars(select(Account).where(Account.external_id == "A1")).one()
        assert (after.seats_purchased, after.am_email, after.csm_email) == (120, am, csm)
