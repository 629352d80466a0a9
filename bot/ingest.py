"""Storing a source batch: upsert by source id, and remember what changed.

Everything happens in one transaction: a batch lands whole or not at all, so a sync that fails midway
leaves the previous good data in place. Per-row problems were already set aside by the connector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.arr_history import ArrSighting, record_arr_sightings, record_contracts
from bot.models import (
    Account,
    ChangeEvent,
    Contact,
    Invoice,
    Member,
    Note,
    SyncRun,
    Ticket,
    UsageDay,
    utcnow,
)
from integrations.base import SourceBatch
from integrations.records import ContactRecord
from integrations.vanishing import VanishRule

MAX_STORED_PROBLEMS = 1000


@dataclass
class IngestReport:
    sync_run_id: int
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    departures: list[str] = field(default_factory=list)  # contact external ids newly seen as gone
    returned: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # rows skipped
    warnings: list[str] = field(default_factory=list)  # about rows that were kept

    def bump(self, counter: dict[str, int], entity: str) -> None:
        counter[entity] = counter.get(entity, 0) + 1


def _apply(row: Any, values: dict[str, Any]) -> bool:
    """Set the values that differ; say whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


class Ingestor:
    def __init__(self, session: Session, org_id: int, source: str) -> None:
        self.session = session
        self.org_id = org_id
        self.source = source

    def ingest(self, batch: SourceBatch) -> IngestReport:
        now = utcnow()
        run = SyncRun(org_id=self.org_id, source=self.source, started_at=now, status="running")
        self.session.add(run)
        self.session.flush()
        report = IngestReport(
            sync_run_id=run.id,
            problems=[str(p) for p in batch.problems if not p.kept],
            warnings=[str(p) for p in batch.problems if p.kept],
        )
        vanishing = VanishRule.of(batch)  # before orphans are set aside: whom the source named is not gone
        accounts = self._accounts(batch, report)
        _set_aside_orphans(batch, accounts, report)
        record_contracts(self.session, self.org_id, batch.contracts, accounts)
        self._members(batch, report)
        self._contacts(batch, accounts, report, run, now, vanishing)
        self._children(batch, accounts, report)
        run.finished_at = utcnow()
        run.status = "partial" if report.problems else "ok"
        run.counts = {"read": batch.counts(), "created": report.created, "updated": report.updated}
        run.problems = (report.problems + report.warnings)[:MAX_STORED_PROBLEMS]
        return report

    def _accounts(self, batch: SourceBatch, report: IngestReport) -> dict[str, int]:
        existing = {
            a.external_id: a for a in self.session.scalars(select(Account).where(Account.org_id == self.org_id))
        }
        before = {ext: (a.arr, a.renewal_date) for ext, a in existing.items()}
        for rec in batch.accounts:
            # Only the fields the source gave: billing knowing seats must not blank the CRM's owners.
            values = rec.model_dump(exclude={"account_id"}, exclude_unset=True)
            row = existing.get(rec.account_id)
            if row is None:
                values = rec.model_dump(exclude={"account_id"})
                row = Account(org_id=self.org_id, external_id=rec.account_id, source=self.source, **values)
                self.session.add(row)
                existing[rec.account_id] = row
                report.bump(report.created, "accounts")
            elif _apply(row, values):
                row.updated_at = utcnow()
                report.bump(report.updated, "accounts")
        self.session.flush()
        self._arr_history(batch, existing, before, report)
        return {ext: row.id for ext, row in existing.items()}

    def _arr_history(
        self,
        batch: SourceBatch,
        rows: dict[str, Account],
        before: dict[str, tuple[Any, Any]],
        report: IngestReport,
    ) -> None:
        synced = {rec.account_id: rows[rec.account_id] for rec in batch.accounts}
        sightings = [ArrSighting(row.id, row.arr, row.renewal_date, before.get(ext)) for ext, row in synced.items()]
        day = utcnow().date()
        record_arr_sightings(self.session, self.org_id, report.sync_run_id, self.source, day, sightings)

    def _members(self, batch: SourceBatch, report: IngestReport) -> None:
        existing = {m.email: m for m in self.session.scalars(select(Member).where(Member.org_id == self.org_id))}
        for rec in batch.team:
            values: dict[str, Any] = {"name": rec.name or rec.email.split("@")[0], "role": rec.role}
            # Chat ids and preferences only overwrite when the file gives them (a chat lookup may have).
            for name in ("slack_user_id", "teams_user_id", "timezone", "digest_time"):
                if getattr(rec, name) is not None:
                    values[name] = getattr(rec, name)
            row = existing.get(rec.email)
            if row is None:
                self.session.add(Member(org_id=self.org_id, email=rec.email, **values))
                report.bump(report.created, "team")
            elif _apply(row, values):
                report.bump(report.updated, "team")

    def _contacts(
        self,
        batch: SourceBatch,
        accounts: dict[str, int],
        report: IngestReport,
        run: SyncRun,
        now: datetime,
        vanishing: VanishRule,
    ) -> None:
        existing = {
            c.external_id: c for c in self.session.scalars(select(Contact).where(Contact.org_id == self.org_id))
        }
        seen: set[str] = set()
        for rec in batch.contacts:
            seen.add(rec.contact_id)
            row = existing.get(rec.contact_id)
            values = _contact_values(rec, accounts)
            if row is None:
                row = Contact(org_id=self.org_id, external_id=rec.contact_id, first_seen_at=now, **values)
                self.session.add(row)
                existing[rec.contact_id] = row
                report.bump(report.created, "contacts")
            elif _apply(row, values):
                report.bump(report.updated, "contacts")
            row.last_seen_at = now
            if rec.status == "left" and row.left_at is None:
                # The source's own timestamp dates the departure; absent that, now.
                self._departed(row, rec.updated_at or now, "status", run, report)
            elif rec.status == "active" and row.left_at is not None:
                row.left_at = None
                row.left_evidence = None
                self._event(run, row, "returned", {})
                report.returned.append(row.external_id)
        if vanishing.applies:
            synced_accounts = {accounts[a.account_id] for a in batch.accounts}
            for ext, row in existing.items():
                if ext in seen or not vanishing.may_vanish(ext):
                    continue
                if row.left_at is not None or row.account_id not in synced_accounts:
                    continue
                row.status = "left"
                self._departed(row, now, "vanished", run, report)
        self.session.flush()

    def _departed(self, row: Contact, when: datetime, evidence: str, run: SyncRun, report: IngestReport) -> None:
        row.left_at = when
        row.left_evidence = evidence
        self.session.flush()
        self._event(run, row, "left", {"evidence": evidence, "is_key": row.is_key, "role": row.role})
        report.departures.append(row.external_id)

    def _event(self, run: SyncRun, row: Contact, change: str, details: dict[str, Any]) -> None:
        self.session.add(
            ChangeEvent(
                org_id=self.org_id,
                sync_run_id=run.id,
                entity="contact",
                external_id=row.external_id,
                account_id=row.account_id,
                change=change,
                details=details,
            )
        )

    def _children(self, batch: SourceBatch, accounts: dict[str, int], report: IngestReport) -> None:
        keyed: list[tuple[str, type[Any], list[Any], str]] = [
            ("tickets", Ticket, batch.tickets, "ticket_id"),
            ("invoices", Invoice, batch.invoices, "invoice_id"),
            ("notes", Note, batch.notes, "note_id"),
        ]
        for entity, model, records, id_field in keyed:
            existing = {
                r.external_id: r for r in self.session.scalars(select(model).where(model.org_id == self.org_id))
            }
            for rec in records:
                values = rec.model_dump(exclude={id_field, "account_id"})
                values["account_id"] = accounts[rec.account_id]
                ext = getattr(rec, id_field)
                row = existing.get(ext)
                if row is None:
                    row = model(org_id=self.org_id, external_id=ext, **values)
                    self.session.add(row)
                    existing[ext] = row
                    report.bump(report.created, entity)
                elif _apply(row, values):
                    report.bump(report.updated, entity)
        self._usage(batch, accounts, report)
        self.session.flush()

    def _usage(self, batch: SourceBatch, accounts: dict[str, int], report: IngestReport) -> None:
        if not batch.usage:
            return
        ids = {accounts[u.account_id] for u in batch.usage}
        existing = {
            (u.account_id, u.day): u
            for u in self.session.scalars(
                select(UsageDay).where(UsageDay.org_id == self.org_id, UsageDay.account_id.in_(ids))
            )
        }
        for rec in batch.usage:
            account_id = accounts[rec.account_id]
            values = {"active_users": rec.active_users, "seats_used": rec.seats_used, "events": rec.events}
            row = existing.get((account_id, rec.date))
            if row is None:
                row = UsageDay(org_id=self.org_id, account_id=account_id, day=rec.date, **values)
                self.session.add(row)
                existing[(account_id, rec.date)] = row
                report.bump(report.created, "usage")
            elif _apply(row, values):
                report.bump(report.updated, "usage")


def _contact_values(rec: ContactRecord, accounts: dict[str, int]) -> dict[str, Any]:
    return {
        "account_id": accounts[rec.account_id],
        "name": rec.name,
        "email": rec.email,
        "phone": rec.phone,
        "title": rec.title,
        "role": rec.role,
        "is_key": rec.is_key,
        "status": rec.status,
        "source_updated_at": rec.updated_at,
    }


def _set_aside_orphans(batch: SourceBatch, accounts: dict[str, int], report: IngestReport) -> None:
    """Records naming an account the organization does not have are reported, not stored: the sources'
    matching (bot.sources) usually catches them first; this keeps a direct caller from failing the batch."""
    for entity in ("contacts", "usage", "tickets", "invoices", "notes", "contracts"):
        records = getattr(batch, entity)
        kept = [r for r in records if r.account_id in accounts]
        if len(kept) != len(records):
            for r in records:
                if r.account_id not in accounts:
                    report.problems.append(f"{entity}: unknown account {r.account_id!r}")
            setattr(batch, entity, kept)
