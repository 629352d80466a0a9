"""Digest delivery under a hostile Slack: 1,000 members' digests through a local fake Slack Web API that
rate-limits chat.postMessage (a burst, then 429 + Retry-After) and answers a seeded share of posts with
429 and 500, some of those 500s after the message landed. A process delivers through the real path: a real
`tandem worker` whose scheduler finds every member's digest due (as after an outage at digest time) and runs
the jobs on its default 10-thread pool, or with --workers 1 one `run_digests` batch (as `tandem digest`),
both with the Slack channel from `chat_channels`; the fake lives in this process and counts, per the
`tandem_delivery` metadata key, what was delivered, duplicated and lost.
Targets: all delivered in < 60 s, 0 duplicated, 0 lost. --crash kills -9 the process after N posts and
starts a new one (a `tandem worker` finds the unfinished run through its planned rows, not through jobs
called by hand): the counts must be the same.

    .venv/bin/python benchmarks/bench_delivery.py [--members 1000] [--crash] [--postgres [URL]] [--workers 10]
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.db import Database  # noqa: E402
from bot.demo.generator import SAMPLE_ANCHOR, SAMPLE_DIR, TEAM  # noqa: E402
from bot.demo.stories import STORIES  # noqa: E402
from bot.models import Account, Delivery, Member, PlannedDigest, Signal  # noqa: E402
from bot.pipeline import run_score, run_sync  # noqa: E402
from integrations.files import FileSource  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402

TOKEN, ORG = "xoxb-bench", "bench"
ID_COLUMNS = ("account_id", "contact_id", "ticket_id", "invoice_id", "note_id")
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


# -- the book: the demo's accounts, copied for each AM/CSM pair --------------------------------------------
def signal_accounts(tmp: Path) -> list[str]:
    """The demo accounts whose stories raise signals (a scratch database scores the demo book)."""
    db = Database(f"sqlite:///{tmp / 'sample.db'}")
    db.migrate()
    run_sync(db, "sample", FileSource(SAMPLE_DIR))
    run_score(db, "sample", SAMPLE_ANCHOR)
    with db.session() as session:
        query = (
            select(Account.external_id).join(Signal, Signal.account_id == Account.id).where(Signal.status == "active")
        )
        found = sorted(set(session.scalars(query)))
    db.dispose()
    return found


def write_book(out: Path, pairs: int, per_pair: int) -> Path:
    """Each pair gets `per_pair` copies of demo accounts, the first one with signals, the others quiet."""
    tables = {f.stem: list(csv.DictReader(f.open(encoding="utf-8"))) for f in SAMPLE_DIR.glob("*.csv")}
    story = signal_accounts(out)
    quiet = [a["account_id"] for a in tables["accounts"] if a["account_id"] not in STORIES]
    by_account: dict[str, dict[str, list[dict[str, str]]]] = {}
    for name, rows in tables.items():
        for row in rows if name != "team" else []:
            by_account.setdefault(row["account_id"], {}).setdefault(name, []).append(row)
    out_rows: dict[str, list[dict[str, str]]] = {name: [] for name in tables}
    zones = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
    for p in range(pairs):
        am, csm = f"am{p:04d}@bench.example", f"csm{p:04d}@bench.example"
        emails = {TEAM[0]["email"]: am, TEAM[1]["email"]: am, TEAM[2]["email"]: csm, TEAM[3]["email"]: csm}
        for role, email in (("am", am), ("csm", csm)):
            out_rows["team"].append(
                {
                    "email": email,
                    "name": f"{role.upper()} {p:04d}",
                    "role": role,
                    "slack_user_id": f"U{role.upper()}{p:04d}",
                    "teams_user_id": "",
                    "timezone": zones[p % len(zones)],
                    "digest_time": "08:30",
                }
            )
        templates = [story[p % len(story)]] + [quiet[(p * per_pair + k) % len(quiet)] for k in range(per_pair - 1)]
        for template in templates:
            for name, rows in by_account[template].items():
                for row in rows:
                    copy = {k: f"P{p:04d}-{v}" if k in ID_COLUMNS else emails.get(v, v) for k, v in row.items()}
                    if name == "accounts":
                        copy["name"], copy["domain"] = f"{row['name']} {p:04d}", f"p{p:04d}.{row['domain']}"
                    if name == "contacts":
                        copy["email"] = f"p{p:04d}.{row['email']}"
                    out_rows[name].append(copy)
    for name, rows in out_rows.items():
        with (out / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(tables[name][0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return out


def prepare(url: str, tmp: Path, members: int, per_pair: int) -> dict[int, str]:
    """Load the book through the file connector and score it; returns member id -> Slack user id."""
    db = Database(url)
    db.migrate()
    book = write_book(tmp, members // 2, per_pair)
    sync = run_sync(db, ORG, FileSource(book))
    score = run_score(db, ORG, SAMPLE_ANCHOR)
    with db.session() as session:
        rows = session.execute(select(Member.id, Member.slack_user_id).where(Member.role.in_(("am", "csm"))))
        slack_ids = {int(mid): str(uid) for mid, uid in rows}
        with_signals = session.scalar(select(func.count(func.distinct(Signal.account_id))))
    db.dispose()
    print(
        f"  book: {len(slack_ids)} members, {score.accounts} accounts ({with_signals} with active signals), "
        f"{score.active} signals, {sum(sync.created.values())} records, {len(sync.problems)} problems"
    )
    return slack_ids


# -- the worker: a separate process, so it can be killed -9 while the fake keeps its record ----------------
def batch() -> None:
    """One `run_digests` batch, as `tandem digest` sends it."""
    from bot.delivery.routing import chat_channels
    from bot.localtime import local_day
    from bot.orgs import get_org
    from bot.pipeline import run_digests
    from bot.settings import get_settings

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    db = Database(settings.database_url)
    with db.session() as session:
        org = get_org(session, settings.org)
        org_id, zone = org.id, org.timezone
    run_digests(db, settings.org, local_day(zone), chat_channels(settings, db, org_id))


def digests_due_now(url: str) -> None:
    """As after an outage at digest time: the scheduler's stored digest jobs are all a minute overdue."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.scheduler.worker import Worker, job_store
    from bot.settings import Settings

    db = Database(url)
    planner = Worker(Settings(database_url=url), db, channels=lambda _org: {})
    planner.start(paused=True)  # stores the jobs, runs nothing
    planner.stop()
    store = job_store(db)
    store.start(BackgroundScheduler(), "default")
    for job in store.get_all_jobs():
        if job.id.startswith("digest:"):
            job._modify(next_run_time=datetime.now(UTC) - timedelta(minutes=1))
            store.update_job(job)
    store.shutdown()
    db.dispose()


def finished(url: str, members: int) -> bool:
    """Every member's digest run done and nothing left pending in the ledger (what the worker cannot say by
    exiting: it runs until stopped)."""
    db = Database(url)
    try:
        with db.session() as session:
            done = session.scalar(select(func.count()).where(PlannedDigest.status == "done")) or 0
            in_flight = Delivery.status == "pending", Delivery.error.is_(None)  # failed ones wait for redelivery
            pending = session.scalar(select(func.count()).where(*in_flight)) or 0
    finally:
        db.dispose()
    return done >= members and pending == 0


def spawn(url: str, api_url: str, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MICROSOFT_", "TANDEM_", "SLACK_"))}
    env |= {"TANDEM_DATABASE_URL": url, "TANDEM_ORG": ORG, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": api_url}
    if workers == 1:
        command = [sys.executable, __file__, "--worker", "--workers", "1"]
    else:
        command = [str(Path(sys.executable).with_name("tandem")), "worker", "--poll", "1"]
    with log.open("ab") as err:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=err, stderr=err)


def wait_done(process: subprocess.Popen[bytes], url: str, members: int, scheduled: bool) -> int:
    """The batch's exit code; a worker is stopped (SIGTERM) once the run is finished."""
    if not scheduled:
        return process.wait()
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline and not finished(url, members):
        time.sleep(0.25)
    if process.poll() is not None:
        return process.returncode or 1  # a worker does not exit by itself
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return 0 if finished(url, members) else 1


# -- the run and its figures ----------------------------------------------------------------------------------
def count(fake: FakeSlack, slack_ids: dict[int, str]) -> dict[str, Any]:
    posts = fake.posts()
    keys = Counter(str(((m.get("metadata") or {}).get("event_payload") or {}).get("key")) for m in posts)
    reached = {int(key.split(":", 1)[0]) for key in keys if ":digest:" in key}
    calls = list(fake.state.calls)
    return {
        "posts": len(posts),
        "delivered": len(keys),
        "duplicated": sum(n - 1 for n in keys.values()),
        "lost": len(set(slack_ids) - reached),
        "calls": Counter(c.method for c in calls),
        "served": Counter(f"{c.status} {c.cause}" for c in calls if c.status != 200),
        "landed_500": sum(c.landed for c in calls),
    }


def ledger(url: str) -> str:
    db = Database(url)
    with db.session() as session:
        rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    db.dispose()
    return ", ".join(f"{status} {n}" for status, n in sorted(rows)) or "empty"


def run(url: str, label: str, args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        slack_ids = prepare(url, Path(tmp), args.members, args.accounts_per_pair)
        print(f"[{label}] loaded in {time.perf_counter() - started:.1f} s")
        limits = {"chat.postMessage": (args.burst, args.rate)}
        with FakeSlack(tokens=(TOKEN,), method_limits=limits) as fake:
            for uid in slack_ids.values():
                fake.add_user(uid, f"{uid.lower()}@bench.example")
            fake.random_failures(args.p429, args.p500, args.lands, seed=args.seed)
            log = Path(tmp) / "worker.log"
            scheduled = args.workers != 1
            if scheduled:
                digests_due_now(url)
            started = time.perf_counter()
            process = spawn(url, fake.api_url, args.workers, log)
            try:
                if args.crash:
                    while len(fake.posts()) < args.kill_after and process.poll() is None:
                        time.sleep(0.005)
                    what = "exited by itself" if process.poll() is not None else "killed -9"
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                    killed = time.perf_counter() - started
                    print(
                        f"[{label}] worker {what} after {killed:.1f} s, {len(fake.posts())} posts seen "
                        f"(ledger then: {ledger(url)}); restarting it"
                    )
                    process = spawn(url, fake.api_url, args.workers, log)
                code = wait_done(process, url, len(slack_ids), scheduled)
            finally:
                if process.poll() is None:
                    process.kill()
            wall = time.perf_counter() - started
            figures = count(fake, slack_ids)
        lines = log.read_text().splitlines()
        if code != 0:
            print(f"[{label}] worker exited {code}:\n" + "\n".join(lines[-40:]))
        elif warnings := Counter(re.sub(r"\d+", "N", x) for x in lines if x.startswith(("WARNING", "ERROR"))):
            causes = Counter(x for x in lines if x.startswith(("sqlite3.", "psycopg.", "slack_sdk.")))
            print(f"[{label}] worker logged {warnings.total()} warnings/errors: {dict(warnings.most_common(4))}")
            print(f"[{label}]   caused by: {dict(causes.most_common(3))}")
    calls = ", ".join(f"{m} {n}" for m, n in figures["calls"].most_common())
    served = ", ".join(f"{k.strip()} {n}" for k, n in sorted(figures["served"].items()))
    restart = f", of which the restarted worker {wall - killed:.1f} s" if args.crash else ""
    print(f"[{label}] wall time {wall:.1f} s (worker start to exit{restart}; {args.workers} threads)")
    print(f"[{label}] API calls {sum(figures['calls'].values())}: {calls}")
    print(f"[{label}] faults served: {served or 'none'}; of the 500s, {figures['landed_500']} had posted the message")
    print(
        f"[{label}] delivered {figures['delivered']}, duplicated {figures['duplicated']}, lost {figures['lost']} "
        f"of {len(slack_ids)} members; ledger: {ledger(url)}"
    )
    counts_ok = code == 0 and figures["delivered"] == len(slack_ids) and figures["duplicated"] == figures["lost"] == 0
    ok = counts_ok and (args.crash or wall < 60)  # after a crash, the counts must be the same; time is not a target
    target = "0 duplicated, 0 lost after the crash" if args.crash else "all delivered in < 60 s, 0 duplicated, 0 lost"
    print(f"[{label}] targets ({target}): {'met' if ok else 'NOT MET'}")
    return ok


@contextmanager
def throwaway_postgres(server: str) -> Iterator[str]:
    name = f"tandem_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--accounts-per-pair", type=int, default=2)
    parser.add_argument(
        "--workers", type=int, default=10, help="1: one run_digests batch; otherwise a `tandem worker` (10 threads)"
    )
    parser.add_argument("--rate", type=float, default=20.0, help="chat.postMessage calls per second")
    parser.add_argument("--burst", type=float, default=50.0, help="chat.postMessage burst")
    parser.add_argument("--p429", type=float, default=0.03, help="share of posts answered 429 at random")
    parser.add_argument("--p500", type=float, default=0.03, help="share of posts answered 500 at random")
    parser.add_argument("--lands", type=float, default=0.5, help="share of those 500s whose message landed")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--crash", action="store_true", help="kill -9 the worker mid-run, then restart it")
    parser.add_argument("--kill-after", type=int, default=400, help="posts seen at the fake before the kill")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, help="a server to create a throwaway DB on")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        batch()
        return
    mode = " crash" if args.crash else ""
    if args.postgres:
        with throwaway_postgres(args.postgres) as url:
            ok = run(url, f"postgresql{mode}", args)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            ok = run(f"sqlite:///{Path(tmp) / 'bench.db'}", f"sqlite{mode}", args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
