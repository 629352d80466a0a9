"""The golden sync scenario: the demo book, then a changed re-sync, then the same again; and a normalized
dump of every stored book row after each step.

The dump replaces database ids with external ids and "now" timestamps with the number of the sync run that
wrote them, so two implementations that store the same thing produce the same dump. Contacts'
last_seen_at is left out: it no longer moves when nothing about a contact changed (a re-sync of an
unchanged book writes nothing).

    python -m tests.golden_sync OUT.json    # capture (the fixture was captured before the bulk rewrite)
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.demo.generator import SAMPLE_DIR
from bot.models import Account, ChangeEvent, Contact, Invoice, Member, Note, SyncRun, Ticket, UsageDay
from bot.pipeline import run_sync
from integrations.files import FileSource

ORG = "golden"
FIXTURE = Path(__file__).parent / "fixtures" / "golden_sync" / "demo_book.json"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _edit(book: Path, name: str, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> None:
    _write(book / name, change(_rows(book / name)))


def changed_book(book: Path) -> None:
    """Every kind of change a re-sync meets: updates, new rows, a vanished and a departed contact, a
    returning one, and rows that are refused."""

    def accounts(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["arr"], rows[1]["plan"] = "999000", "Enterprise Plus"
        new = dict(rows[2], account_id="ACC-NEW", name="Newco Ltd", domain="newco.example")
        return [*rows, new, dict(rows[3], account_id="", name="No id")]  # the last one is refused

    def contacts(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        active = [r for r in rows if r["status"] == "active"]
        next(r for r in rows if r["status"] == "left")["status"] = "active"  # back again
        vanished = active[0]["contact_id"]  # gone from the complete export: a departure
        active[1]["status"], active[1]["updated_at"] = "left", "2026-11-20T09:00:00Z"
        active[2]["title"] = "Chief Everything Officer"
        new = dict(active[3], contact_id="CON-NEW", account_id="ACC-NEW", email="new@newco.example")
        return [r for r in rows if r["contact_id"] != vanished] + [new]

    def usage(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows[:50]:
            row["active_users"] = str(int(row["active_users"] or 0) + 1)
        rows[60]["events"] = ""
        new = dict(rows[0], account_id="ACC-NEW")
        return [*rows, new, dict(rows[0], account_id="ACC-NOPE"), dict(rows[1], date="not a date")]

    def tickets(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["status"], rows[0]["closed_at"] = "solved", "2026-11-21T10:00:00Z"
        return [*rows, dict(rows[1], ticket_id="T-NEW", account_id="ACC-NEW")]

    def invoices(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["paid_at"], rows[0]["status"] = "2026-11-21", "paid"
        return rows

    def notes(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        return [*rows, dict(rows[0], note_id="N-NEW", body="Met the new team.")]

    def team(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[0]["name"] = "Alice Martin-Roy"
        return rows

    for name, change in (
        ("accounts.csv", accounts),
        ("contacts.csv", contacts),
        ("usage.csv", usage),
        ("tickets.csv", tickets),
        ("invoices.csv", invoices),
        ("notes.csv", notes),
        ("team.csv", team),
    ):
        _edit(book, name, change)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _columns(model: Any) -> list[str]:
    return [column.key for column in model.__table__.columns]


class _Runs:
    """Names a timestamp written during a sync by that sync's number ("run 2")."""

    def __init__(self, runs: list[SyncRun]) -> None:
        self.windows = [(r.started_at, r.finished_at) for r in runs]

    def name(self, value: datetime | None) -> Any:
        for number, (start, end) in enumerate(self.windows, 1):
            if value is not None and end is not None and start <= value <= end:
                return f"run {number}"
        return _plain(value)


def dump(db: Database) -> dict[str, list[Any]]:
    """Every stored book row of the golden organization, ids replaced by external ids, sorted."""
    with db.session() as s:
        runs = list(s.scalars(select(SyncRun).order_by(SyncRun.id)))
        when = _Runs(runs)
        run_number = {r.id: n for n, r in enumerate(runs, 1)}
        ext = dict(s.execute(select(Account.id, Account.external_id)).all())
        out: dict[str, list[Any]] = {}
        out["accounts"] = [
            {
                **{c: _plain(getattr(a, c)) for c in _columns(Account) if c not in ("id", "org_id")},
                "created_at": when.name(a.created_at),
                "updated_at": when.name(a.updated_at),
            }
            for a in s.scalars(select(Account))
        ]
        out["contacts"] = [
            {
                **{c: _plain(getattr(r, c)) for c in _columns(Contact) if c not in ("id", "org_id", "last_seen_at")},
                "account_id": ext[r.account_id],
                "first_seen_at": when.name(r.first_seen_at),
                "left_at": when.name(r.left_at),
            }
            for r in s.scalars(select(Contact))
        ]
        children: tuple[tuple[str, Any], ...] = (
            ("usage", UsageDay),
            ("tickets", Ticket),
            ("invoices", Invoice),
            ("notes", Note),
        )
        for name, model in children:
            out[name] = [
                {
                    **{c: _plain(getattr(r, c)) for c in _columns(model) if c not in ("id", "org_id")},
                    "account_id": ext[r.account_id],
                }
                for r in s.scalars(select(model))
            ]
        out["team"] = [
            {
                **{c: _plain(getattr(m, c)) for c in _columns(Member) if c not in ("id", "org_id")},
                "created_at": when.name(m.created_at),
            }
            for m in s.scalars(select(Member))
        ]
        out["change_events"] = [
            {
                "run": run_number[e.sync_run_id],
                "entity": e.entity,
                "external_id": e.external_id,
                "account_id": ext.get(e.account_id) if e.account_id else None,
                "change": e.change,
                "details": e.details,
            }
            for e in s.scalars(select(ChangeEvent))
        ]
        out["sync_runs"] = [
            {"source": r.source, "status": r.status, "counts": r.counts, "problems": sorted(r.problems)} for r in runs
        ]
    for rows in out.values():
        rows.sort(key=lambda row: json.dumps(row, sort_keys=True, default=str))
    return out


def digest(tables: dict[str, list[Any]]) -> dict[str, dict[str, Any]]:
    """Per table: the row count and a hash of the canonical rows (the fixture keeps these)."""
    return {
        name: {
            "rows": len(rows),
            "sha256": hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest(),
        }
        for name, rows in tables.items()
    }


def run_scenario(
    db: Database, workdir: Path, after_each: Callable[[], None] | None = None
) -> list[dict[str, list[Any]]]:
    """Sync the demo book, a changed copy of it, and the changed copy again; the dump after each."""
    book = workdir / "book"
    shutil.copytree(SAMPLE_DIR, book)
    dumps = [_after(db, book, after_each)]
    changed_book(book)
    dumps.append(_after(db, book, after_each))
    dumps.append(_after(db, book, after_each))
    return dumps


def _after(db: Database, book: Path, after_each: Callable[[], None] | None) -> dict[str, list[Any]]:
    run_sync(db, ORG, FileSource(book))
    if after_each is not None:
        after_each()
    return dump(db)


def capture(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{Path(tmp) / 'golden.db'}")
        db.migrate()
        dumps = run_scenario(db, Path(tmp))
        db.dispose()
    steps = [{"tables": digest(d), "change_events": d["change_events"], "sync_runs": d["sync_runs"]} for d in dumps]
    out.write_text(json.dumps(steps, indent=1, sort_keys=True, default=str) + "\n")


if __name__ == "__main__":
    capture(Path(sys.argv[1]) if len(sys.argv) > 1 else FIXTURE)
