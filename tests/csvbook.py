"""Writing small CSV books for tests, in the data contract's format."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

ACCOUNTS = [
    {
        "account_id": "A1",
        "name": "Alpha Corp",
        "domain": "alpha.example",
        "am_email": "am@us.example",
        "csm_email": "csm@us.example",
        "arr": "120000",
        "currency": "USD",
        "seats_purchased": "50",
        "renewal_date": "2027-03-01",
    },
    {
        "account_id": "A2",
        "name": "Beta GmbH",
        "domain": "beta.example",
        "am_email": "am@us.example",
        "csm_email": "csm@us.example",
        "arr": "60000",
        "currency": "USD",
        "renewal_date": "2027-06-30",
    },
]
CONTACTS = [
    {
        "contact_id": "C1",
        "account_id": "A1",
        "name": "Ann Key",
        "email": "ann@alpha.example",
        "role": "champion",
        "is_key": "yes",
        "status": "active",
    },
    {
        "contact_id": "C2",
        "account_id": "A1",
        "name": "Bob Boss",
        "email": "bob@alpha.example",
        "role": "decision_maker",
        "is_key": "true",
        "status": "active",
    },
    {"contact_id": "C3", "account_id": "A2", "name": "Cy User", "role": "user", "is_key": "0"},
]
TEAM = [
    {
        "email": "am@us.example",
        "name": "Ada AM",
        "role": "am",
        "slack_user_id": "U1",
        "timezone": "Europe/Paris",
    },
    {
        "email": "csm@us.example",
        "name": "Cem CSM",
        "role": "csm",
        "teams_user_id": "29:x",
        "digest_time": "09:00",
    },
]


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_book(directory: Path, **files: list[dict[str, Any]]) -> Path:
    """A book with the default accounts, contacts and team unless overridden (pass name=[] to omit)."""
    directory.mkdir(parents=True, exist_ok=True)
    book = {"accounts": ACCOUNTS, "contacts": CONTACTS, "team": TEAM} | files
    for name, rows in book.items():
        target = directory / f"{name}.csv"
        if rows:
            write_csv(target, rows)
        elif target.exists():
            target.unlink()
    return directory
