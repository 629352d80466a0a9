"""Building a book row by row: one quiet, healthy baseline per account that stories then change."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.demo.people import FIRST, LAST, NOTE_TEMPLATES, PHONES, TICKET_TEMPLATES, TITLES

USAGE_DAYS = 120
Row = dict[str, Any]


def stamp(day: date, hour: int = 10) -> str:
    return datetime.combine(day, time(hour)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    index: int
    row: Row
    seats: int
    contacts: list[Row] = field(default_factory=list)


@dataclass
class Book:
    anchor: date
    rng: random.Random
    accounts: list[Account] = field(default_factory=list)
    contacts: list[Row] = field(default_factory=list)
    usage: list[Row] = field(default_factory=list)
    tickets: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    notes: list[Row] = field(default_factory=list)
    team: list[Row] = field(default_factory=list)
    # Ids come from counters, not list lengths: stories remove rows, and an id must never be reused.
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str, width: int) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}-{self.counters[prefix]:0{width}d}"

    def day(self, days_ago: int) -> date:
        return self.anchor - timedelta(days=days_ago)

    def person(self, account: Account) -> tuple[str, str]:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        return f"{first} {last}", f"{first.lower()}.{last.lower()}@{account.row['domain']}"

    def phone(self) -> str:
        return self.rng.choice(PHONES).format(a=self.rng.randint(10, 99), b=self.rng.randint(10, 99))

    def add_contact(
        self,
        account: Account,
        role: str,
        is_key: bool,
        *,
        name: str | None = None,
        email: str | None = None,
        status: str = "active",
        updated: date | None = None,
        title: str | None = None,
    ) -> Row:
        default_name, default_email = self.person(account)
        row = {
            "contact_id": self.next_id("CON", 4),
            "account_id": account.row["account_id"],
            "name": name or default_name,
            "email": email or default_email,
            "phone": self.phone(),
            "title": title or self.rng.choice(TITLES[role]),
            "role": role,
            "is_key": "true" if is_key else "false",
            "status": status,
            "updated_at": stamp(updated or self.day(self.rng.randint(30, 200))),
        }
        self.contacts.append(row)
        account.contacts.append(row)
        return row

    def set_usage(
        self,
        account: Account,
        active: Callable[[int], float],
        seats_used: Callable[[int], float] | None = None,
        events_per_user: float | None = None,
    ) -> None:
        """Replace the account's usage with `active(days_ago)` (and seats), with a little daily noise."""
        ext = account.row["account_id"]
        self.usage = [u for u in self.usage if u["account_id"] != ext]
        per_user = events_per_user or self.rng.uniform(18, 30)
        for days_ago in range(USAGE_DAYS - 1, -1, -1):
            users = max(0, round(active(days_ago) * self.rng.uniform(0.97, 1.03)))
            seats = round(seats_used(days_ago)) if seats_used else round(users * 1.05)
            self.usage.append(
                {
                    "account_id": ext,
                    "date": self.day(days_ago).isoformat(),
                    "active_users": users,
                    "seats_used": min(max(seats, users), account.seats),
                    "events": round(users * per_user),
                }
            )

    def add_note(self, account: Account, days_ago: int, body: str, author: str | None = None) -> None:
        self.notes.append(
            {
                "note_id": self.next_id("N", 5),
                "account_id": account.row["account_id"],
                "created_at": stamp(self.day(days_ago), 15),
                "author_email": author or account.row["csm_email"],
                "body": body,
            }
        )

    def add_ticket(
        self,
        account: Account,
        opened_ago: int,
        *,
        priority: str,
        subject: str,
        body: str = "",
        closed_ago: int | None = None,
        csat: int | None = None,
        status: str | None = None,
    ) -> None:
        self.tickets.append(
            {
                "ticket_id": self.next_id("T", 5),
                "account_id": account.row["account_id"],
                "opened_at": stamp(self.day(opened_ago), 9),
                "closed_at": stamp(self.day(closed_ago), 17) if closed_ago is not None else "",
                "priority": priority,
                "status": status or ("solved" if closed_ago is not None else "open"),
                "subject": subject,
                "body": body,
                "csat": csat if csat is not None else "",
            }
        )

    def add_invoice(
        self,
        account: Account,
        issued_ago: int,
        amount: float,
        status: str,
        paid_ago: int | None = None,
        terms: int = 30,
    ) -> None:
        issued = self.day(issued_ago)
        self.invoices.append(
            {
                "invoice_id": self.next_id("INV", 5),
                "account_id": account.row["account_id"],
                "issued_at": issued.isoformat(),
                "due_at": (issued + timedelta(days=terms)).isoformat(),
                "paid_at": self.day(paid_ago).isoformat() if paid_ago is not None else "",
                "amount": f"{amount:.2f}",
                "currency": "USD",
                "status": status,
            }
        )

    def baseline(self, account: Account) -> None:
        """A quiet, healthy account: steady usage, two key contacts, regular touches, bills paid."""
        utilisation = self.rng.uniform(0.5, 0.75)
        level = account.seats * utilisation
        self.set_usage(account, lambda _ago: level)
        self.add_contact(account, "decision_maker", True)
        self.add_contact(account, "champion", True)
        for _ in range(self.rng.randint(1, 2)):
            self.add_contact(account, self.rng.choice(["user", "influencer"]), False)
        ago = self.rng.randint(2, 15)
        while ago < USAGE_DAYS:
            contact = self.rng.choice(account.contacts)
            template = self.rng.choice(NOTE_TEMPLATES)
            author = self.rng.choice([account.row["am_email"], account.row["csm_email"]])
            body = template.format(name=contact["name"], email=contact["email"], phone=contact["phone"])
            self.add_note(account, ago, body, author)
            ago += self.rng.randint(10, 20)
        for _ in range(self.rng.randint(0, 3)):
            subject, body = self.rng.choice(TICKET_TEMPLATES)
            contact = self.rng.choice(account.contacts)
            opened = self.rng.randint(5, 110)
            self.add_ticket(
                account,
                opened,
                priority=self.rng.choice(["low", "normal"]),
                subject=subject,
                body=body.format(name=contact["name"], email=contact["email"], phone=contact["phone"]),
                closed_ago=opened - self.rng.randint(1, 4),
                csat=self.rng.choice([4, 5]),
            )
        quarterly = float(account.row["arr"]) / 4
        for quarter in range(4):
            issued_ago = 90 * quarter + self.rng.randint(0, 5)
            paid = issued_ago - self.rng.randint(5, 25)
            if paid >= 0:
                self.add_invoice(account, issued_ago, quarterly, "paid", paid)
            else:
                self.add_invoice(account, issued_ago, quarterly, "open")
