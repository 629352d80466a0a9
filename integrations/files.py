"""The reference connector: a directory of CSV exports in the data contract's format."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from integrations.base import Problem, SourceBatch, SourceError, StreamedBatch
from integrations.csv_rows import read_header, read_rows
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

# A generous cap on one cell: a hostile file should produce a clear problem, not exhaust memory.
MAX_FIELD_BYTES = 1_000_000
csv.field_size_limit(MAX_FIELD_BYTES)

# file name -> (batch attribute, record model, required?)
FILES: dict[str, tuple[str, type[BaseModel], bool]] = {
    "accounts.csv": ("accounts", AccountRecord, True),
    "contacts.csv": ("contacts", ContactRecord, False),
    "usage.csv": ("usage", UsageRecord, False),
    "tickets.csv": ("tickets", TicketRecord, False),
    "invoices.csv": ("invoices", InvoiceRecord, False),
    "notes.csv": ("notes", NoteRecord, False),
    # ARR history before Tandem was connected: a CRM's contracts or a billing system's subscriptions.
    "contracts.csv": ("contracts", ContractRecord, False),
    "subscriptions.csv": ("contracts", ContractRecord, False),
    "team.csv": ("team", TeamMemberRecord, False),
}


def required_columns(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]


def describe_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        column = ".".join(str(p) for p in err["loc"]) or "row"
        value = err.get("input")
        shown = f" (got {str(value)[:40]!r})" if isinstance(value, str) and value else ""
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing" or not value:
            message = "required value is missing"
        parts.append(f"{column}: {message}{shown}")
    return "; ".join(parts)


# The column that identifies a row of each file: a second row with the same id is reported, not merged.
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "accounts": ("account_id",),
    "contacts": ("contact_id",),
    "usage": ("account_id", "date"),
    "tickets": ("ticket_id",),
    "invoices": ("invoice_id",),
    "notes": ("note_id",),
    "contracts": ("contract_id",),  # when the export gives one
    "team": ("email",),
}


class FileSource:
    """Reads accounts.csv (required) and the optional files beside it."""

    name = "files"

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> SourceBatch:
        return self.stream().materialized()

    def stream(self) -> StreamedBatch:
        """Check every file's header now (a missing required file or column stops before any row is
        stored); read the rows only as the batch is consumed."""
        if not self.path.is_dir():
            raise SourceError(f"{self.path} is not a directory of CSV files")
        present = {}
        empty: list[Problem] = []
        for filename, (_attr, model, required) in FILES.items():
            file = self.path / filename
            if not file.is_file():
                if required:
                    raise SourceError(f"{file}: required file is missing")
                continue
            if not required and file.stat().st_size == 0:
                empty.append(Problem(filename, "empty file (0 bytes): read as no rows", kept=True))
                continue
            self._check_header(file, model)
            present[filename] = file
        batch = StreamedBatch(
            problems=empty, complete={"accounts"} | ({"contacts"} if "contacts.csv" in present else set())
        )
        known_accounts: set[str] = set()  # filled as accounts.csv is read, which is consumed first
        for filename, file in present.items():
            attr, model, _required = FILES[filename]
            records = self._records(file, attr, model, known_accounts, batch.problems)
            # Two files may fill one entity (contracts.csv and subscriptions.csv): read one after the other.
            setattr(batch, attr, chain(getattr(batch, attr), records))
        return batch

    def _records(
        self, file: Path, attr: str, model: type[BaseModel], known_accounts: set[str], problems: list[Problem]
    ) -> Iterator[Any]:
        first_at: dict[tuple[Any, ...], str] = {}  # a row's id -> the line it was first seen on, in this file
        for where, row in self._rows(file, problems):
            contact_id = (row.get("contact_id") or "").strip() or None if attr == "contacts" else None
            try:
                record = model.model_validate(row)
            except ValidationError as exc:
                # A contacts row we cannot attribute to anyone could be anyone's: no departures this time.
                unknown = attr == "contacts" and contact_id is None
                problems.append(Problem(where, describe_error(exc), contact_id=contact_id, read_failure=unknown))
                continue
            key = tuple(getattr(record, k, None) for k in ROW_KEYS.get(attr, ()))
            identified = bool(key) and None not in key
            if identified and key in first_at:
                shown = " ".join(str(k) for k in key)
                reason = f"duplicate {'/'.join(ROW_KEYS[attr])} {shown}, first at line {first_at[key]}"
                problems.append(Problem(where, reason, contact_id=contact_id))
                continue
            if identified:
                first_at[key] = where.rsplit(":", 1)[1]
            if isinstance(record, AccountRecord):
                known_accounts.add(record.account_id)
            elif (account_id := getattr(record, "account_id", None)) is not None and account_id not in known_accounts:
                problems.append(Problem(where, f"unknown account_id {account_id!r}", contact_id=contact_id))
                continue
            yield record

    def _check_header(self, file: Path, model: type[BaseModel]) -> None:
        columns = set(read_header(file))
        missing = [c for c in required_columns(model) if c not in columns]
        if missing:
            raise SourceError(f"{file}: missing required column(s): {', '.join(missing)}")

    def _rows(self, file: Path, problems: list[Problem]) -> Iterator[tuple[str, dict[str, Any]]]:
        return read_rows(file, problems)
