"""Rescore speed and memory on a large book: 10,000 accounts, 2.25M usage rows (the last 120 days and last
year's same 105 days, what the loader reads of a 13-month history), 50k contacts, 30k tickets, 40k invoices,
on SQLite and (when reachable) PostgreSQL.

    .venv/bin/python benchmarks/bench_scoring.py [--accounts 10000] [--repeats 3] [--backends sqlite,postgresql]

Each measure runs in a fresh process (its peak RSS is its own), >= 3 times, the order alternating:
  read anchor   the snapshots the rescore reads, read and dropped, no rules run
  full rescore  `run_score` of the whole book (what the nightly run does: time-based windows move daily)
  1% changed    a real sync changes the usage of 1% of the accounts; `run_score` of the accounts that
                sync reported as changed (IngestReport.changed_accounts)
Prints min / median and the ratios. Targets (issue 15): full 10k < 10 s, 50k < 60 s, peak RSS < 600 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, select

from bot.book import snapshot_batches
from bot.db import Database
from bot.models import Account, Contact, Invoice, Ticket, UsageDay
from bot.orgs import ensure_org, get_org
from bot.pipeline import run_score, run_sync
from integrations.files import FileSource

AS_OF = date(2026, 11, 22)
CHUNK = 20_000


def _insert(db: Database, model: type, rows: list[dict[str, object]]) -> None:
    with db.session() as session:
        for start in range(0, len(rows), CHUNK):
            session.execute(insert(model), rows[start : start + CHUNK])


def load_book(db: Database, accounts: int) -> None:
    rng = random.Random(1)
    with db.session() as session:
        org_id = ensure_org(session, "bench").id
    _insert(
        db,
        Account,
        [
            {
                "org_id": org_id,
                "external_id": f"A{i}",
                "name": f"Account {i}",
                "arr": rng.randrange(20_000, 250_000),
                "seats_purchased": 100,
                "renewal_date": AS_OF + timedelta(days=rng.randint(10, 360)),
            }
            for i in range(accounts)
        ],
    )
    with db.session() as session:
        ids = list(session.scalars(select(Account.id).where(Account.org_id == org_id)))
    usage = []
    for account_id in ids:
        level, slope = rng.uniform(30, 90), rng.uniform(-0.3, 0.2) / 120
        # The recent 120 days and last year's same weeks: what the loader reads of a 13-month history.
        for ago in (*range(120), *range(364, 364 + 105)):
            users = max(0, round(level * (1 - slope * ago) * rng.uniform(0.95, 1.05)))
            usage.append(
                {
                    "org_id": org_id,
                    "account_id": account_id,
                    "day": AS_OF - timedelta(days=ago),
                    "active_users": users,
                    "seats_used": users + 3,
                    "events": users * 20,
                }
            )
        if len(usage) >= 200_000:
            _insert(db, UsageDay, usage)
            usage = []
    _insert(db, UsageDay, usage)
    now = datetime.combine(AS_OF, datetime.min.time(), tzinfo=UTC)
    roles = ["decision_maker", "champion", "user", "user", "influencer"]
    _insert(
        db,
        Contact,
        [
            {
                "org_id": org_id,
                "account_id": a,
                "external_id": f"C{a}-{k}",
                "name": f"Person {a}-{k}",
                "email": f"p{a}.{k}@example.com",
                "role": roles[k],
                "is_key": k < 2,
                "status": "left" if rng.random() < 0.01 else "active",
                "left_at": now - timedelta(days=3) if rng.random() < 0.01 else None,
            }
            for a in ids
            for k in range(5)
        ],
    )
    _insert(
        db,
        Ticket,
        [
            {
                "org_id": org_id,
                "account_id": rng.choice(ids),
                "external_id": f"T{t}",
                "opened_at": now - timedelta(days=rng.randint(0, 170)),
                "priority": rng.choice(["low", "normal", "high"]),
                "status": rng.choice(["open", "solved", "solved"]),
                "subject": "Question",
                "body": "text",
                "csat": rng.choice([None, 3, 4, 5]),
            }
            for t in range(3 * accounts)
        ],
    )
    _insert(
        db,
        Invoice,
        [
            {
                "org_id": org_id,
                "account_id": ids[i % len(ids)],
                "external_id": f"I{i}",
                "issued_at": AS_OF - timedelta(days=30 * (i // len(ids))),
                "due_at": AS_OF - timedelta(days=30 * (i // len(ids)) - 30),
                "amount": 5000,
                "status": rng.choice(["paid"] * 20 + ["failed", "open"]),
            }
            for i in range(4 * accounts)
        ],
    )


def measure(url: str, what: str, scope_file: str) -> dict[str, float]:
    """Run in a fresh process so its peak memory is the measure's own."""
    db = Database(url)
    with db.session() as session:
        org_id = get_org(session, "bench").id
    started = time.perf_counter()
    if what == "read":  # the anchor: the rows a rescore needs, fetched as plain rows and dropped
        accounts = 0
        with db.session() as session:
            for batch in snapshot_batches(session, org_id, AS_OF):
                accounts += len(batch)
        active = 0
    else:
        scope = json.loads(Path(scope_file).read_text()) if what == "changed" else None
        report = run_score(db, "bench", AS_OF, scope)  # the product's own entry point
        accounts, active = report.accounts, report.active
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": elapsed, "peak_mb": peak_mb, "accounts": accounts, "active_signals": active}


def change_one_percent(db: Database, workdir: Path) -> list[int]:
    """1% of the accounts get new usage for their last 30 days, through the product's sync (a CSV export of
    those accounts): the accounts the sync reports as changed are what an incremental rescore takes."""
    with db.session() as session:
        org_id = get_org(session, "bench").id
        rows = session.execute(select(Account.external_id, Account.name).where(Account.org_id == org_id)).all()
    chosen = random.Random(2).sample(rows, max(1, len(rows) // 100))
    book = workdir / "changed"
    book.mkdir(exist_ok=True)
    with (book / "accounts.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_id", "name"])
        writer.writerows(chosen)
    with (book / "usage.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_id", "date", "active_users", "seats_used", "events"])
        for external_id, _name in chosen:
            for ago in range(30):
                writer.writerow([external_id, AS_OF - timedelta(days=ago), 5, 8, 100])  # usage collapsed
    report = run_sync(db, "bench", FileSource(book))
    return sorted(report.changed_accounts)


def _child(url: str, what: str, scope_file: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--what", what, "--scope", str(scope_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(url: str, label: str, workdir: Path) -> None:
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    load_book(db, ARGS.accounts)
    print(f"[{label}] loaded {ARGS.accounts} accounts in {time.perf_counter() - started:.1f} s", flush=True)
    _child(url, "full", workdir / "none")  # the first rescore creates the signals; the runs below update them
    changed = change_one_percent(db, workdir)
    scope_file = workdir / "scope.json"
    scope_file.write_text(json.dumps(changed))
    print(f"[{label}] sync of a 1% change: {len(changed)} accounts reported changed", flush=True)
    results: dict[str, list[dict[str, float]]] = {"read": [], "full": [], "changed": []}
    for repeat in range(ARGS.repeats):
        order = list(results) if repeat % 2 == 0 else list(reversed(results))
        for what in order:
            results[what].append(_child(url, what, scope_file))
    for what, runs in results.items():
        secs, peaks = [r["seconds"] for r in runs], [r["peak_mb"] for r in runs]
        print(
            f"[{label}] {NAMES[what]:<34} min {min(secs):6.2f} s  median {statistics.median(secs):6.2f} s  "
            f"peak RSS median {statistics.median(peaks):5.0f} MB  ({runs[-1]['accounts']:.0f} accounts)"
        )
    med = {what: statistics.median(r["seconds"] for r in runs) for what, runs in results.items()}
    print(
        f"[{label}] full rescore / read anchor {med['full'] / med['read']:.2f}x; "
        f"1% changed / full {med['changed'] / med['full']:.3f}x"
    )
    db.dispose()


NAMES = {
    "read": "read anchor (snapshots, no rules)",
    "full": "full rescore",
    "changed": "rescore of the 1% a sync changed",
}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--measure")
    parser.add_argument("--what", default="full")
    parser.add_argument("--scope", default="")
    ARGS = parser.parse_args()
    if ARGS.measure:
        print(json.dumps(measure(ARGS.measure, ARGS.what, ARGS.scope)))
        sys.exit(0)
    if "sqlite" in ARGS.backends:
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", Path(tmp))
    if "postgresql" not in ARGS.backends:
        sys.exit(0)
    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(ARGS.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"[postgresql] skipped: {exc}")
        sys.exit(0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(ARGS.postgres.rsplit("/", 1)[0] + f"/{name}", "postgresql", Path(tmp))
    finally:
        with psycopg.connect(ARGS.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
