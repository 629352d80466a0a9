"""Storing a source batch: upsert by source id, in bounded chunks, and remember what changed.

Everything happens in one transaction: a batch lands whole or not at all, so a sync that fails midway
leaves the previous good data in place. Records are read, compared and written a chunk at a time
(bot.bulk_write), so memory does not grow with the book; a row whose stored values match is not written.
Per-row problems were already set aside by the connector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import Connection, Table, select
from sqlalchemy.orm import Session

from bot.arr_history import ArrSighting, record_arr_sightings, record_contracts
from bot.bulk_write import by_external_id, chunked, plan_chunk, stored_rows, update_by_id, upsert
from bot.contact_changes import SeenInSync, departure_time, status_transition
from bot.models import Account, ChangeEvent, Contact, Invoice, Member, Note, SyncRun, Ticket, UsageDay, utcnow
from integrations.base import ENTITIES, Problem
from integrations.records import (
    AccountRecord,
    ContactRecord,
    ContractRecord,
    InvoiceRecord,
    NoteRecord,
    TeamMemberRecord,
    TicketRecord,
    UsageRecord,
)
from integrations.vanishing import VanishRule

MAX_STORED_PROBLEMS = 1000


class RecordBatch(Protocol):
    """What the ingest reads: a SourceBatch (lists) or a StreamedBatch (records read as consumed)."""

    @property
    def accounts(self) -> Iterable[AccountRecord]: ...
    @property
    def contacts(self) -> Iterable[ContactRecord]: ...
    @property
    def usage(self) -> Iterable[UsageRecord]: ...
    @property
    def tickets(self) -> Iterable[TicketRecord]: ...
    @property
    def invoices(self) -> Iterable[InvoiceRecord]: ...
    @property
    def notes(self) -> Iterable[NoteRecord]: ...
    @property
    def contracts(self) -> Iterable[ContractRecord]: ...
    @property
    def team(self) -> Iterable[TeamMemberRecord]: ...
    @property
    def problems(self) -> list[Problem]: ...
    @property
    def complete(self) -> set[str]: ...


@dataclass
class IngestReport:
    sync_run_id: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    departures: list[str] = field(default_factory=list)  # contact external ids newly seen as gone
    returned: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows skipped
    warnings: list[str] = field(default_factory=list)  # about rows that were kept
    # Accounts with anything created or changed (their own row or a child's): what a rescore after this
    # sync must look at again, besides the time-based windows every account moves through daily.
    changed_accounts: set[int] = field(default_factory=set)

    def bump(self, counter: dict[str, int], entity: str, by: int = 1) -> None:
        if by:
            counter[entity] = counter.get(entity, 0) + by


# Child entities stored by (org, external id): entity -> (model, the record's id field)
KEYED: dict[str, tuple[type[Any], str]] = {
    "tickets": (Ticket, "ticket_id"),
    "invoices": (Invoice, "invoice_id"),
    "notes": (Note, "note_id"),
}


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


class Ingestor:
    def __init__(self, session: Session, org_id: int, source: str) -> None:
        self.session = session
        self.org_id = org_id
        self.source = source

    def ingest(self, batch: RecordBatch) -> IngestReport:
        now = utcnow()
        run = SyncRun(org_id=self.org_id, source=self.source, started_at=now, status="running")
        self.session.add(run)
        self.session.flush()
        self.conn: Connection = self.session.connection()
        self.report = IngestReport(sync_run_id=run.id)
        self.run_id, self.now = run.id, now
        self.read = dict.fromkeys(ENTITIES, 0)
        self.orphans: list[str] = []
        self.orphan_contacts: set[str] = set()  # named by the source, set aside here: not gone
        self.seen = SeenInSync(self.conn)
        self.accounts = dict(
            self.conn.execute(select(Account.external_id, Account.id).where(Account.org_id == self.org_id)).all()
        )
        self._accounts(batch.accounts)
        complete_contacts = "contacts" in batch.complete
        self._contacts(batch.contacts, track_vanished=complete_contacts)
        self._usage(batch.usage)
        for entity, records in (("tickets", batch.tickets), ("invoices", batch.invoices), ("notes", batch.notes)):
            self._keyed(entity, records)
        record_contracts(self.session, self.org_id, self._known("contracts", batch.contracts), self.accounts)
        self._members(batch.team)
        if complete_contacts:
            # Only now is every file read: a read failure in any of them means no one vanishes this time.
            self._vanished(VanishRule.of_problems(True, batch.problems, self.orphan_contacts))
        self.seen.close()  # on failure the rollback drops the temporary tables with the rest
        self.report.problems = [str(p) for p in batch.problems if not p.kept] + self.orphans
        self.report.warnings = [str(p) for p in batch.problems if p.kept]
        run.finished_at = utcnow()
        run.status = "partial" if self.report.problems else "ok"
        run.counts = {"read": self.read, "created": self.report.created, "updated": self.report.updated}
        run.problems = (self.report.problems + self.report.warnings)[:MAX_STORED_PROBLEMS]
        return self.report

    def _known(self, entity: str, records: Iterable[Any]) -> Iterator[Any]:
        """Records naming an account the organization does not have are reported, not stored: the sources'
        matching (bot.sources) usually catches them first; this keeps a direct caller from failing the batch."""
        for record in records:
            if record.account_id in self.accounts:
                self.read[entity] += 1
                yield record
            else:
                self.orphans.append(f"{entity}: unknown account {record.account_id!r}")
                if entity == "contacts":
                    self.orphan_contacts.add(record.contact_id)

    def _accounts(self, records: Iterable[AccountRecord]) -> None:
        table = _table(Account)
        for chunk in chunked(records):
            self.read["accounts"] += len(chunk)
            # Only the fields the source gave: billing knowing seats must not blank the CRM's owners.
            given = [
                {"external_id": r.account_id, **r.model_dump(exclude={"account_id"}, exclude_unset=True)} for r in chunk
            ]
            columns = {c for row in given for c in row} | {"arr", "renewal_date"}  # ARR history compares them
            stored = stored_rows(self.conn, table, ["external_id"], columns, *by_external_id(table, self.org_id, given))
            plan = plan_chunk(stored, given, ["external_id"])
            full = {r.account_id: r for r in chunk}
            new = [
                {"org_id": self.org_id, "external_id": row["external_id"], "source": self.source}
                | full[row["external_id"]].model_dump(exclude={"account_id"})
                for row in plan.new
            ]
            upsert(self.conn, table, new, ["org_id", "external_id"])
            update_by_id(self.conn, table, [row | {"updated_at": utcnow()} for row in plan.changed])
            self.report.bump(self.report.created, "accounts", len(plan.new))
            self.report.bump(self.report.updated, "accounts", len(plan.changed))
            if plan.new:
                ids = self.conn.execute(
                    select(Account.external_id, Account.id).where(
                        Account.org_id == self.org_id, Account.external_id.in_([r["external_id"] for r in new])
                    )
                )
                self.accounts.update(dict(ids.all()))
            self._arr_history(given, stored, full)
            synced = [self.accounts[r["external_id"]] for r in given]
            self.seen.add_accounts(sorted(set(synced)))
            self.report.changed_accounts.update(row["row_id"] for row in plan.changed)
            self.report.changed_accounts.update(self.accounts[row["external_id"]] for row in plan.new)

    def _arr_history(
        self, given: list[dict[str, Any]], stored: dict[Any, dict[str, Any]], full: dict[str, AccountRecord]
    ) -> None:
        """Each synced account's ARR and renewal date before and after this chunk, for the ARR history."""
        sightings = []
        for ext in dict.fromkeys(r["external_id"] for r in given):
            before = stored.get(ext)
            given_values = full[ext].model_dump(include={"arr", "renewal_date"}, exclude_unset=before is not None)
            arr = given_values.get("arr", before["arr"] if before else None)
            renewal = given_values.get("renewal_date", before["renewal_date"] if before else None)
            previous = (before["arr"], before["renewal_date"]) if before else None
            sightings.append(ArrSighting(self.accounts[ext], arr, renewal, previous))
        record_arr_sightings(self.session, self.org_id, self.run_id, self.source, utcnow().date(), sightings)
        self.session.flush()

    def _members(self, records: Iterable[TeamMemberRecord]) -> None:
        """The team is a handful of rows: compared and written through the ORM."""
        existing = {m.email: m for m in self.session.scalars(select(Member).where(Member.org_id == self.org_id))}
        for rec in records:
            self.read["team"] += 1
            values: dict[str, Any] = {"name": rec.name or rec.email.split("@")[0], "role": rec.role}
            # Chat ids and preferences only overwrite when the file gives them (a chat lookup may have).
            for name in ("slack_user_id", "teams_user_id", "timezone", "digest_time"):
                if getattr(rec, name) is not None:
                    values[name] = getattr(rec, name)
            row = existing.get(rec.email)
            if row is None:
                row = Member(org_id=self.org_id, email=rec.email, **values)
                self.session.add(row)
                existing[rec.email] = row
                self.report.bump(self.report.created, "team")
            elif _apply(row, values):
                self.report.bump(self.report.updated, "team")
        self.session.flush()

    def _contacts(self, records: Iterable[ContactRecord], track_vanished: bool) -> None:
        table = _table(Contact)
        for chunk in chunked(self._known("contacts", records)):
            rows = [_contact_values(rec, self.accounts[rec.account_id]) for rec in chunk]
            stored = stored_rows(
                self.conn, table, ["external_id"], [*rows[0], "left_at"], *by_external_id(table, self.org_id, rows)
            )
            plan = plan_chunk(stored, rows, ["external_id"])
            left_at = {ext: row["left_at"] for ext, row in stored.items()}
            for row in plan.new:
                row.update(
                    org_id=self.org_id, first_seen_at=self.now, last_seen_at=self.now, left_at=None, left_evidence=None
                )
            for row in plan.changed:
                row["last_seen_at"] = self.now
            events: list[dict[str, Any]] = []
            transitions: list[dict[str, Any]] = []
            new_by_id = {row["external_id"]: row for row in plan.new}
            for rec, row in zip(chunk, rows, strict=True):
                ext = rec.contact_id
                change = status_transition(rec.status, left_at.get(ext))
                if change is None:
                    continue
                when = departure_time(rec.updated_at, self.now) if change == "left" else None
                left_at[ext] = when
                fields = {"left_at": when, "left_evidence": "status" if change == "left" else None}
                if ext in new_by_id:
                    new_by_id[ext].update(fields)
                else:
                    transitions.append({"row_id": stored[ext]["id"], **fields})
                details = (
                    {"evidence": "status", "is_key": row["is_key"], "role": row["role"]} if change == "left" else {}
                )
                events.append(self._event(ext, row["account_id"], change, details))
                (self.report.departures if change == "left" else self.report.returned).append(ext)
            upsert(self.conn, table, plan.new, ["org_id", "external_id"])
            update_by_id(self.conn, table, plan.changed)
            update_by_id(self.conn, table, transitions)
            if events:
                self.conn.execute(_table(ChangeEvent).insert(), events)
            self.report.bump(self.report.created, "contacts", len(plan.new))
            self.report.bump(self.report.updated, "contacts", len(plan.changed))
            self.report.changed_accounts.update(plan.touched_accounts)
            self.report.changed_accounts.update(e["account_id"] for e in events)
            if track_vanished:
                self.seen.add_contacts([r["external_id"] for r in rows])

    def _vanished(self, rule: VanishRule) -> None:
        """Contacts a complete export no longer lists have left: recorded once, like a status departure.
        Not those the source named in a row it could not take, and no one if any row could not be read."""
        if not rule.applies:
            return
        gone = (c for c in self.seen.vanished_contacts(self.org_id) if rule.may_vanish(c.external_id))
        for chunk in chunked(gone):
            update_by_id(
                self.conn,
                _table(Contact),
                [{"row_id": c.id, "status": "left", "left_at": self.now, "left_evidence": "vanished"} for c in chunk],
            )
            events = [
                self._event(
                    c.external_id, c.account_id, "left", {"evidence": "vanished", "is_key": c.is_key, "role": c.role}
                )
                for c in chunk
            ]
            self.conn.execute(_table(ChangeEvent).insert(), events)
            self.report.departures.extend(c.external_id for c in chunk)
            self.report.changed_accounts.update(c.account_id for c in chunk)

    def _event(self, external_id: str, account_id: int, change: str, details: dict[str, Any]) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "sync_run_id": self.run_id,
            "entity": "contact",
            "external_id": external_id,
            "account_id": account_id,
            "change": change,
            "details": details,
            "created_at": utcnow(),
        }

    def _keyed(self, entity: str, records: Iterable[Any]) -> None:
        model, id_field = KEYED[entity]
        table = _table(model)
        for chunk in chunked(self._known(entity, records)):
            rows = [
                {
                    "org_id": self.org_id,
                    "external_id": getattr(rec, id_field),
                    "account_id": self.accounts[rec.account_id],
                }
                | rec.model_dump(exclude={id_field, "account_id"})
                for rec in chunk
            ]
            stored = stored_rows(self.conn, table, ["external_id"], rows[0], *by_external_id(table, self.org_id, rows))
            self._write(entity, table, plan_chunk(stored, rows, ["external_id"]), ["org_id", "external_id"])

    def _usage(self, records: Iterable[UsageRecord]) -> None:
        table = _table(UsageDay)
        for chunk in chunked(self._known("usage", records)):
            rows = [
                {
                    "org_id": self.org_id,
                    "account_id": self.accounts[rec.account_id],
                    "day": rec.date,
                    "active_users": rec.active_users,
                    "seats_used": rec.seats_used,
                    "events": rec.events,
                }
                for rec in chunk
            ]
            key = ["account_id", "day"]
            # The chunk's accounts over the chunk's days: an index range scan, not thousands of key pairs
            # (an export sorted by account makes this exactly the chunk's rows).
            days = [r["day"] for r in rows]
            stored = stored_rows(
                self.conn,
                table,
                key,
                rows[0],
                table.c.account_id.in_({r["account_id"] for r in rows}),
                table.c.day.between(min(days), max(days)),
            )
            self._write("usage", table, plan_chunk(stored, rows, key), key)

    def _write(self, entity: str, table: Table, plan: Any, conflict_key: list[str]) -> None:
        upsert(self.conn, table, plan.new, conflict_key)
        update_by_id(self.conn, table, plan.changed)
        self.report.bump(self.report.created, entity, len(plan.new))
        self.report.bump(self.report.updated, entity, len(plan.changed))
        self.report.changed_accounts.update(plan.touched_accounts)


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; say whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _contact_values(rec: ContactRecord, account_id: int) -> dict[str, Any]:
    return {
        "external_id": rec.contact_id,
        "account_id": account_id,
        "name": rec.name,
        "email": rec.email,
        "phone": rec.phone,
        "title": rec.title,
        "role": rec.role,
        "is_key": rec.is_key,
        "status": rec.status,
        "source_updated_at": rec.updated_at,
    }
