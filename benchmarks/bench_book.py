"""A large CSV book for the sync and rescore benchmarks, written row by row (never held whole):
per account 120 days of usage, 5 contacts, 3 tickets, 4 invoices and 2 notes."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

AS_OF = date(2026, 11, 22)
ROLES = ["decision_maker", "champion", "user", "user", "influencer"]

COLUMNS = {
    "accounts.csv": [
        "account_id",
        "name",
        "domain",
        "am_email",
        "csm_email",
        "arr",
        "currency",
        "seats_purchased",
        "renewal_date",
    ],
    "contacts.csv": ["contact_id", "account_id", "name", "email", "title", "role", "is_key", "status", "updated_at"],
    "usage.csv": ["account_id", "date", "active_users", "seats_used", "events"],
    "tickets.csv": [
        "ticket_id",
        "account_id",
        "opened_at",
        "closed_at",
        "priority",
        "status",
        "subject",
        "body",
        "csat",
    ],
    "invoices.csv": ["invoice_id", "account_id", "issued_at", "due_at", "paid_at", "amount", "currency", "status"],
    "notes.csv": ["note_id", "account_id", "created_at", "author_email", "body"],
    "team.csv": ["email", "name", "role"],
}


def _rows(name: str, accounts: int, rng: random.Random) -> Iterator[list[object]]:
    for i in range(accounts):
        a = f"A{i:06d}"
        if name == "accounts.csv":
            renewal = AS_OF + timedelta(days=rng.randint(10, 360))
            yield [
                a,
                f"Account {i}",
                f"a{i}.example",
                "am@vendor.example",
                "csm@vendor.example",
                rng.randrange(20_000, 250_000),
                "USD",
                100,
                renewal,
            ]
        elif name == "contacts.csv":
            for k in range(5):
                yield [
                    f"C{i:06d}-{k}",
                    a,
                    f"Person {i}-{k}",
                    f"p{k}@a{i}.example",
                    "Director",
                    ROLES[k],
                    str(k < 2).lower(),
                    "active",
                    "2026-06-01T10:00:00Z",
                ]
        elif name == "usage.csv":
            level, slope = rng.uniform(30, 90), rng.uniform(-0.3, 0.2) / 120
            for ago in range(119, -1, -1):
                users = max(0, round(level * (1 - slope * ago) * rng.uniform(0.95, 1.05)))
                yield [a, AS_OF - timedelta(days=ago), users, users + 3, users * 20]
        elif name == "tickets.csv":
            for k in range(3):
                opened = AS_OF - timedelta(days=rng.randint(0, 170))
                yield [
                    f"T{i:06d}-{k}",
                    a,
                    f"{opened}T09:00:00Z",
                    "",
                    rng.choice(["low", "normal", "high"]),
                    rng.choice(["open", "solved"]),
                    "Question",
                    "How do I export?",
                    rng.choice(["", 3, 4, 5]),
                ]
        elif name == "invoices.csv":
            for k in range(4):
                issued = AS_OF - timedelta(days=30 * k)
                yield [
                    f"I{i:06d}-{k}",
                    a,
                    issued,
                    issued + timedelta(days=30),
                    issued + timedelta(days=10),
                    "5000.00",
                    "USD",
                    "paid",
                ]
        elif name == "notes.csv":
            for k in range(2):
                yield [
                    f"N{i:06d}-{k}",
                    a,
                    f"{AS_OF - timedelta(days=7 * k)}T15:00:00Z",
                    "am@vendor.example",
                    "Quarterly review went well.",
                ]


def write_book(path: Path, accounts: int, seed: int = 1) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, columns in COLUMNS.items():
        rng = random.Random(f"{seed}-{name}")
        with (path / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            if name == "team.csv":
                writer.writerows([["am@vendor.example", "Ann Am", "am"], ["csm@vendor.example", "Carl Csm", "csm"]])
            else:
                writer.writerows(_rows(name, accounts, rng))
    return path
