"""Sync of a large CSV book (`tandem sync --source files`): time and peak memory, side by side with
anchors measured in the same run.

    .venv/bin/python benchmarks/bench_sync.py [--accounts 10000] [--repeats 3] [--backends sqlite,postgresql]

Per account: 120 days of usage, 5 contacts, 3 tickets, 4 invoices, 2 notes. Each repeat, in a fresh database
and a fresh process per measure (peak RSS is that process's own):
  floor    the same rows written by a plain bulk load (executemany on SQLite, COPY on PostgreSQL): no
           validation, no comparison, no change detection. The least any sync can cost.
  read     the book read and validated, nothing written: the least a re-sync can cost.
  sync     the product's sync into the empty database.
  resync   the product's sync of the same, unchanged book again (must write nothing).
The order alternates between repeats. Prints min / median per measure and the ratios to the anchors.
Targets (issue 15): sync < 60 s and < 400 MB; resync < 15 s and writes nothing; 50k peak within 1.2x of 10k.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_book import write_book

from bot.db import Database
from bot.models import Account, ChangeEvent, Contact, Invoice, Note, Ticket, UsageDay
from bot.orgs import ensure_org
from bot.pipeline import run_sync
from integrations.files import FileSource

ORG = "bench"
# file -> (table, columns as in the file, in order; "account_id" is mapped to the stored id)
FLOOR_FILES = {
    "contacts.csv": (
        "contacts",
        ["external_id", "account_id", "name", "email", "title", "role", "is_key", "status", "source_updated_at"],
    ),
    "usage.csv": ("usage_days", ["account_id", "day", "active_users", "seats_used", "events"]),
    "tickets.csv": (
        "tickets",
        ["external_id", "account_id", "opened_at", "closed_at", "priority", "status", "subject", "body", "csat"],
    ),
    "invoices.csv": (
        "invoices",
        ["external_id", "account_id", "issued_at", "due_at", "paid_at", "amount", "currency", "status"],
    ),
    "notes.csv": ("notes", ["external_id", "account_id", "created_at", "author_email", "body"]),
}
NOT_NULL_EXTRAS = {
    "contacts": {"first_seen_at": "2026-11-22T00:00:00+00:00", "last_seen_at": "2026-11-22T00:00:00+00:00"}
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _book_counts(db: Database) -> dict[str, int]:
    with db.session() as s:
        return {
            m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Account, Contact, UsageDay, Ticket, Invoice, Note, ChangeEvent)
        }


def measure_sync(url: str, book: Path) -> dict[str, Any]:
    db = Database(url)
    before = _book_counts(db)
    started = time.perf_counter()
    report = run_sync(db, ORG, FileSource(book))
    seconds = time.perf_counter() - started
    after = _book_counts(db)
    return {
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "written": sum(report.created.values()) + sum(report.updated.values()),
        "new_rows": sum(after.values()) - sum(before.values()),
        "departures": len(report.departures),
    }


def measure_read(book: Path) -> dict[str, Any]:
    started = time.perf_counter()
    batch = FileSource(book).stream()
    n = sum(
        sum(1 for _ in getattr(batch, e))
        for e in ("accounts", "contacts", "usage", "tickets", "invoices", "notes", "team")
    )
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb(), "records": n}


def measure_floor(url: str, book: Path) -> dict[str, Any]:
    """The rows of the book written by the driver's own bulk path, streamed from the files."""
    db = Database(url)
    with db.session() as s:
        org_id = ensure_org(s, ORG).id
    started = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        postgres = db.dialect == "postgresql"
        if not postgres:
            cur.execute("BEGIN")  # one transaction, as the sync has (the engine's connections autocommit)
        with (book / "accounts.csv").open(newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            cols = ["org_id", "external_id", *header[1:], "source", "created_at", "updated_at"]
            extra = ["files", "2026-11-22T00:00:00+00:00", "2026-11-22T00:00:00+00:00"]
            _bulk(cur, postgres, "accounts", cols, ([org_id, *row, *extra] for row in reader))
        cur.execute(f"SELECT external_id, id FROM accounts WHERE org_id = {org_id}")
        ids = dict(cur.fetchall())
        for name, (table, columns) in FLOOR_FILES.items():
            extras = NOT_NULL_EXTRAS.get(table, {})
            position = columns.index("account_id")
            with (book / name).open(newline="") as handle:
                reader = csv.reader(handle)
                next(reader)
                rows = (
                    [org_id, *row[:position], ids[row[position]], *row[position + 1 :], *extras.values()]
                    for row in reader
                )
                _bulk(cur, postgres, table, ["org_id", *columns, *extras], rows)
        raw.commit()
    finally:
        raw.close()
    return {"seconds": time.perf_counter() - started, "peak_mb": _peak_mb()}


def _bulk(cur: Any, postgres: bool, table: str, columns: list[str], rows: Any) -> None:
    names = ", ".join(columns)
    if postgres:
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([None if v == "" else v for v in row])
        return
    marks = ", ".join("?" * len(columns))
    batch: list[list[Any]] = []
    for row in rows:
        batch.append([None if v == "" else v for v in row])
        if len(batch) >= 10_000:
            cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)
            batch = []
    if batch:
        cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", batch)


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--measure", *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


class Backend:
    def __init__(self, name: str, tmp: Path, admin_url: str) -> None:
        self.name, self.tmp, self.admin_url = name, tmp, admin_url
        self.created: list[str] = []

    def fresh(self) -> str:
        if self.name == "sqlite":
            url = f"sqlite:///{self.tmp / f'{uuid.uuid4().hex[:8]}.db'}"
        else:
            db_name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{db_name}"')
            self.created.append(db_name)
            url = self.admin_url.rsplit("/", 1)[0] + f"/{db_name}"
        db = Database(url)
        db.migrate()
        db.dispose()
        return url

    def drop_all(self) -> None:
        for db_name in self.created:
            with psycopg.connect(self.admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def run_backend(backend: Backend, book: Path, repeats: int) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {"floor": [], "read": [], "sync": [], "resync": []}
    for repeat in range(repeats):
        steps = ["floor", "read", "sync"] if repeat % 2 == 0 else ["sync", "read", "floor"]
        for step in steps:
            if step == "floor":
                results["floor"].append(_child("floor", backend.fresh(), str(book)))
            elif step == "read":
                results["read"].append(_child("read", "-", str(book)))
            else:
                url = backend.fresh()
                results["sync"].append(_child("sync", url, str(book)))
                results["resync"].append(_child("sync", url, str(book)))
        print(
            f"[{backend.name}] repeat {repeat + 1}: "
            + ", ".join(f"{k} {v[-1]['seconds']:.1f} s" for k, v in results.items()),
            flush=True,
        )
    return results


def report(label: str, results: dict[str, list[dict[str, Any]]]) -> None:
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in results.items()}
    for name, runs in results.items():
        secs = [r["seconds"] for r in runs]
        peaks = [r["peak_mb"] for r in runs]
        print(
            f"[{label}] {name:<7} min {min(secs):6.1f} s  median {statistics.median(secs):6.1f} s  "
            f"peak RSS median {statistics.median(peaks):5.0f} MB (max {max(peaks):.0f})"
        )
    writes = [r["written"] for r in results["resync"]]
    new_rows = [r["new_rows"] for r in results["resync"]]
    print(f"[{label}] sync / floor {med['sync'] / med['floor']:.2f}x; resync / read {med['resync'] / med['read']:.2f}x")
    print(f"[{label}] resync rows created or updated: {max(writes)}; rows added (incl. change events): {max(new_rows)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--measure", nargs=3, metavar=("WHAT", "URL", "BOOK"))
    args = parser.parse_args()
    if args.measure:
        what, url, book = args.measure
        if what == "floor":
            print(json.dumps(measure_floor(url, Path(book))))
        elif what == "read":
            print(json.dumps(measure_read(Path(book))))
        else:
            print(json.dumps(measure_sync(url, Path(book))))
        return
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        started = time.perf_counter()
        book = write_book(tmp / "book", args.accounts)
        print(f"book of {args.accounts} accounts written in {time.perf_counter() - started:.1f} s", flush=True)
        for name in args.backends.split(","):
            backend = Backend(name, tmp, args.postgres)
            try:
                report(f"{name} {args.accounts}", run_backend(backend, book, args.repeats))
            finally:
                backend.drop_all()


if __name__ == "__main__":
    main()
