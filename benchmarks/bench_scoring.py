"""Rescore speed and memory on a large book: 10,000 accounts, 2.25M usage rows (the last 120 days and last
year's same 105 days, what the loader reads of a 13-month history), 50k contacts, 30k tickets, 40k invoices.
Prints the time and peak memory of a full rescore and of one after 1% of accounts changed, on SQLite and
(when reachable) PostgreSQL. Targets: full < 20 s and < 1 GB; incremental < 2 s.

    .venv/bin/python benchmarks/bench_scoring.py [--accounts 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import insert, select

from bot.db import Database
from bot.models import Account, Contact, Invoice, Ticket, UsageDay
from bot.orgs import ensure_org, get_org
from bot.rescore import rescore

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


def measure(url: str, share: float) -> dict[str, float]:
    """Run in a fresh process so its peak memory is the rescore's own."""
    db = Database(url)
    with db.session() as session:
        org = get_org(session, "bench")
        scope = None
        if share < 1:
            ids = list(session.scalars(select(Account.id).where(Account.org_id == org.id)))
            scope = random.Random(2).sample(ids, max(1, int(len(ids) * share)))
        started = time.perf_counter()
        report = rescore(session, org, AS_OF, scope)
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(elapsed, 2),
        "peak_mb": round(peak_mb),
        "accounts": report.accounts,
        "active_signals": report.active,
    }


def run(url: str, label: str) -> None:
    db = Database(url)
    db.migrate()
    started = time.perf_counter()
    load_book(db, ARGS.accounts)
    print(f"[{label}] loaded {ARGS.accounts} accounts in {time.perf_counter() - started:.1f} s")
    for name, share in (("full rescore", 1.0), ("rescore again (steady state)", 1.0), ("1% changed", 0.01)):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", url, "--share", str(share)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(out.stdout)
        print(
            f"[{label}] {name}: {figures['seconds']} s, peak {figures['peak_mb']} MB, "
            f"{figures['accounts']} accounts, {figures['active_signals']} active signals"
        )
    db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--measure")
    parser.add_argument("--share", type=float, default=1.0)
    ARGS = parser.parse_args()
    if ARGS.measure:
        print(json.dumps(measure(ARGS.measure, ARGS.share)))
        sys.exit(0)
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite")
    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(ARGS.postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"[postgresql] skipped: {exc}")
        sys.exit(0)
    try:
        run(ARGS.postgres.rsplit("/", 1)[0] + f"/{name}", "postgresql")
    finally:
        with psycopg.connect(ARGS.postgres, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
