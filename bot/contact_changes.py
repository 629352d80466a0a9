"""How a sync sees stakeholders come and go: a departure by the source's status, a return, and a contact
vanishing from a complete export. Kept apart from the writing so each rule reads on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select

from bot.models import Contact

Transition = Literal["left", "returned"]


def status_transition(status: str, left_at: datetime | None) -> Transition | None:
    """The source says the contact left (and Tandem had not seen it), or is back (after a departure)."""
    if status == "left" and left_at is None:
        return "left"
    if status == "active" and left_at is not None:
        return "returned"
    return None


def departure_time(source_updated_at: datetime | None, now: datetime) -> datetime:
    """The source's own timestamp dates the departure; absent that, the sync's time."""
    return source_updated_at or now


@dataclass(frozen=True)
class VanishedContact:
    id: int
    external_id: str
    account_id: int
    is_key: bool
    role: str | None


class SeenInSync:
    """The contacts and accounts one sync saw, kept in temporary tables (not in memory: a large book has
    hundreds of thousands of contacts), so what vanished is one anti-join at the end."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        meta = MetaData()
        options: dict[str, Any] = {"prefixes": ["TEMPORARY"]}
        if conn.dialect.name == "postgresql":
            options["postgresql_on_commit"] = "DROP"
        self.contacts = Table("tandem_sync_seen_contacts", meta, Column("external_id", String(200)), **options)
        self.accounts = Table("tandem_sync_seen_accounts", meta, Column("account_id", Integer), **options)
        for table in (self.contacts, self.accounts):
            table.drop(conn, checkfirst=True)
            table.create(conn)

    def add_contacts(self, external_ids: list[str]) -> None:
        if external_ids:
            self.conn.execute(self.contacts.insert(), [{"external_id": e} for e in external_ids])

    def add_accounts(self, account_ids: list[int]) -> None:
        if account_ids:
            self.conn.execute(self.accounts.insert(), [{"account_id": a} for a in account_ids])

    def vanished_contacts(self, org_id: int) -> list[VanishedContact]:
        """Contacts of the accounts this sync covered, not gone yet, that its complete export no longer
        lists: a departure seen before the CRM flags it."""
        rows = self.conn.execute(
            select(Contact.id, Contact.external_id, Contact.account_id, Contact.is_key, Contact.role)
            .where(Contact.org_id == org_id, Contact.left_at.is_(None))
            .where(Contact.account_id.in_(select(self.accounts.c.account_id)))
            .where(Contact.external_id.not_in(select(self.contacts.c.external_id)))
            .order_by(Contact.id)
        )
        return [VanishedContact(*row) for row in rows]

    def close(self) -> None:
        for table in (self.contacts, self.accounts):
            table.drop(self.conn, checkfirst=True)
