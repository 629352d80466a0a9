"""The demo book: 40 accounts, two AM/CSM pairs, 120 days of history, with stories planted in it.

Deterministic: the same anchor date and seed give byte-identical files.
    python -m bot.demo.generator OUT_DIR [--anchor YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from datetime import date, timedelta
from pathlib import Path

from bot.demo.book import Account, Book
from bot.demo.people import COMPANIES
from bot.demo.stories import STORIES

SAMPLE_DIR = Path(__file__).with_name("sample")
SAMPLE_ANCHOR = date(2026, 11, 22)
SEED = 7
DOMAIN = "tandem-demo.example"
TEAM = [
    {
        "email": f"alice.martin@{DOMAIN}",
        "name": "Alice Martin",
        "role": "am",
        "slack_user_id": "U0DEMOAM1",
        "teams_user_id": "",
        "timezone": "Europe/Paris",
        "digest_time": "08:30",
    },
    {
        "email": f"bruno.costa@{DOMAIN}",
        "name": "Bruno Costa",
        "role": "am",
        "slack_user_id": "U0DEMOAM2",
        "teams_user_id": "",
        "timezone": "America/New_York",
        "digest_time": "08:00",
    },
    {
        "email": f"chloe.dubois@{DOMAIN}",
        "name": "Chloé Dubois",
        "role": "csm",
        "slack_user_id": "",
        "teams_user_id": "29:demo-csm-1",
        "timezone": "Europe/Paris",
        "digest_time": "08:30",
    },
    {
        "email": f"david.okafor@{DOMAIN}",
        "name": "David Okafor",
        "role": "csm",
        "slack_user_id": "",
        "teams_user_id": "29:demo-csm-2",
        "timezone": "America/New_York",
        "digest_time": "09:00",
    },
]
COLUMNS = {
    "accounts": [
        "account_id",
        "name",
        "domain",
        "am_email",
        "csm_email",
        "arr",
        "currency",
        "plan",
        "seats_purchased",
        "contract_start",
        "renewal_date",
        "segment",
        "crm_url",
    ],
    "contacts": [
        "contact_id",
        "account_id",
        "name",
        "email",
        "phone",
        "title",
        "role",
        "is_key",
        "status",
        "updated_at",
    ],
    "usage": ["account_id", "date", "active_users", "seats_used", "events"],
    "tickets": ["ticket_id", "account_id", "opened_at", "closed_at", "priority", "status", "subject", "body", "csat"],
    "invoices": ["invoice_id", "account_id", "issued_at", "due_at", "paid_at", "amount", "currency", "status"],
    "notes": ["note_id", "account_id", "created_at", "author_email", "body"],
    "team": ["email", "name", "role", "slack_user_id", "teams_user_id", "timezone", "digest_time"],
}


def _account(book: Book, index: int) -> Account:
    name = COMPANIES[index - 1]
    arr = book.rng.randrange(20_000, 150_001, 1000)
    seats = max(10, round(arr / 900))
    renewal = book.anchor + timedelta(days=book.rng.randint(150, 360))
    am, csm = (TEAM[0], TEAM[2]) if index <= 20 else (TEAM[1], TEAM[3])
    row = {
        "account_id": f"ACC-{index:03d}",
        "name": name,
        "domain": name.lower().split()[0].replace("'", "") + ".example",
        "am_email": am["email"],
        "csm_email": csm["email"],
        "arr": str(arr),
        "currency": "USD",
        "plan": "Enterprise" if arr >= 120_000 else "Growth" if arr >= 50_000 else "Starter",
        "seats_purchased": str(seats),
        "contract_start": (renewal - timedelta(days=365)).isoformat(),
        "renewal_date": renewal.isoformat(),
        "segment": "Enterprise" if arr >= 120_000 else "Mid-Market" if arr >= 50_000 else "SMB",
        "crm_url": f"https://crm.example/accounts/ACC-{index:03d}",
    }
    return Account(index=index, row=row, seats=seats)


def build(anchor: date, seed: int = SEED) -> Book:
    book = Book(anchor=anchor, rng=random.Random(seed), team=[dict(m) for m in TEAM])
    for index in range(1, len(COMPANIES) + 1):
        account = _account(book, index)
        book.accounts.append(account)
        book.baseline(account)
    for account in book.accounts:
        story = STORIES.get(account.row["account_id"])
        if story is not None:
            story(book, account)
    return book


def _write(path: Path, columns: list[str], rows: list[dict[str, object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def generate(out_dir: Path, anchor: date, seed: int = SEED) -> Path:
    """Write the seven contract CSVs into out_dir and return it."""
    book = build(anchor, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, list[dict[str, object]]] = {
        "accounts": [a.row for a in book.accounts],
        "contacts": sorted(book.contacts, key=lambda r: str(r["contact_id"])),
        "usage": sorted(book.usage, key=lambda r: (str(r["account_id"]), str(r["date"]))),
        "tickets": book.tickets,
        "invoices": book.invoices,
        "notes": sorted(book.notes, key=lambda r: (str(r["account_id"]), str(r["created_at"]))),
        "team": book.team,
    }
    for name, rows in tables.items():
        _write(out_dir / f"{name}.csv", COLUMNS[name], rows)
    return out_dir


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the Tandem demo book as CSV files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--anchor", type=date.fromisoformat, default=SAMPLE_ANCHOR, help="the data's today")
    args = parser.parse_args()
    generate(args.out_dir, args.anchor)
    if args.out_dir.resolve() == SAMPLE_DIR.resolve():
        (SAMPLE_DIR / "meta.json").write_text(json.dumps({"anchor": args.anchor.isoformat(), "seed": SEED}) + "\n")


if __name__ == "__main__":
    main()
