"""The connector interface: a source yields one batch of normalized records plus its per-row problems."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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

ENTITIES = ("accounts", "contacts", "usage", "tickets", "invoices", "notes", "contracts", "team")


class SourceError(Exception):
    """The source cannot be read at all (a missing required file or column, a refused login).
    Nothing is stored when it is raised: the previous good data stays."""


@dataclass(frozen=True)
class Problem:
    """One record that could not be taken, and why. `where` is 'file:line' or a source's record id.

    `kept`: only a warning, the record was stored. `contact_id`: the contact a rejected row was about (so it
    is not taken for gone). `read_failure`: rows may be missing or unattributable after this (malformed
    quoting, a ragged or undecodable line): no contact may be inferred to have left from this batch.
    """

    where: str
    reason: str
    kept: bool = False
    contact_id: str | None = None
    read_failure: bool = False

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class SourceBatch:
    accounts: list[AccountRecord] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    usage: list[UsageRecord] = field(default_factory=list)
    tickets: list[TicketRecord] = field(default_factory=list)
    invoices: list[InvoiceRecord] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)
    contracts: list[ContractRecord] = field(default_factory=list)  # ARR history before Tandem
    team: list[TeamMemberRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Entities given in full (a complete export): what is absent from them has disappeared from the
    # source. Contacts vanishing from a complete export is how a departure shows before the CRM flags it.
    complete: set[str] = field(default_factory=set)
    # Where an incremental source stopped (e.g. {"updated_after": "..."}): stored with the source's state
    # once the batch is in, and handed back on the next sync. None for sources read in full each time.
    cursor: dict[str, Any] | None = None

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ENTITIES}


@dataclass
class StreamedBatch:
    """A batch whose records are read as they are consumed (a large export is never held whole).

    The entities are consumed once, in ENTITIES order (accounts first: a source may check its other
    records against the accounts it has read). Problems accumulate as records are read."""

    accounts: Iterable[AccountRecord] = ()
    contacts: Iterable[ContactRecord] = ()
    usage: Iterable[UsageRecord] = ()
    tickets: Iterable[TicketRecord] = ()
    invoices: Iterable[InvoiceRecord] = ()
    notes: Iterable[NoteRecord] = ()
    contracts: Iterable[ContractRecord] = ()
    team: Iterable[TeamMemberRecord] = ()
    problems: list[Problem] = field(default_factory=list)
    complete: set[str] = field(default_factory=set)
    cursor: dict[str, Any] | None = None

    def materialized(self) -> SourceBatch:
        batch = SourceBatch(problems=self.problems, complete=self.complete, cursor=self.cursor)
        for name in ENTITIES:
            setattr(batch, name, list(getattr(self, name)))
        return batch


class Connector(Protocol):
    """What every source implements. `name` identifies it in storage (source_states, accounts.source)."""

    name: str

    def load(self) -> SourceBatch: ...


@runtime_checkable
class StreamingConnector(Protocol):
    """A connector that can also hand its records over as they are read (see StreamedBatch)."""

    name: str

    def stream(self) -> StreamedBatch: ...
