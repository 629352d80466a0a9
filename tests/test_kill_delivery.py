"""kill -9 at the worst moments of a run never loses or doubles a stakeholder alert or a digest.

The real `tandem digest` and `tandem worker` processes deliver to the fake Slack Web API on loopback. The
fake holds one call open at a chosen point (the first DM lookup, a post that has not landed, a post that
landed but whose answer never came); the test kills the process there with SIGKILL, then lets a rerun or
the surviving worker finish. Slack's record, keyed by each message's idempotency key, must hold every
message of the ledger exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from bot.db import Database
from bot.demo.generator import SAMPLE_ANCHOR
from bot.models import Account, Alert, Delivery, Member, PlannedDigest, Signal
from bot.scheduler.worker import Worker, job_store
from bot.settings import Settings
from tests.fakes.slack_api import FakeSlack, Hold
from tests.slack_harness import SLACK_IDS, load_demo, wait_for

TOKEN = "xoxb-kill"
TANDEM = str(Path(sys.executable).with_name("tandem"))
EXTRA_DEPARTURES = 3  # beside the demo's one: 4 alerts, each to an AM and a CSM


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(tokens=(TOKEN,)) as slack:
        for email, user in SLACK_IDS.items():
            slack.add_user(user, email)
        yield slack


@pytest.fixture
def departures(db: Database) -> Database:
    """The demo book with four key stakeholders gone."""
    load_demo(db)
    with db.session() as session:
        template = session.scalars(select(Signal).where(Signal.kind == "stakeholder_left")).first()
        assert template is not None
        taken = {template.account_id}
        for account in session.scalars(select(Account).order_by(Account.id)):
            if len(taken) > EXTRA_DEPARTURES or account.id in taken or not (account.am_email and account.csm_email):
                continue
            taken.add(account.id)
            session.add(
                Signal(
                    org_id=template.org_id,
                    account_id=account.id,
                    kind="stakeholder_left",
                    key=f"CON-GONE-{account.id}",
                    severity=template.severity,
                    title=f"Key stakeholder left {account.name}",
                    reasons=list(template.reasons),
                    evidence={"contact_name": f"Contact {account.id}", "evidence": ["left in the CRM"]},
                    next_steps=dict(template.next_steps),
                )
            )
    return db


def _env(db: Database, fake: FakeSlack) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("TANDEM_", "SLACK_", "OPENAI_", "MICROSOFT_"))}
    return keep | {"TANDEM_DATABASE_URL": db.url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": fake.api_url}


def _start(args: list[str], db: Database, fake: FakeSlack, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([TANDEM, *args], env=_env(db, fake), cwd=log.parent, stdout=out, stderr=out)


def _kill_at(process: subprocess.Popen[bytes], hold: Hold, log: Path) -> None:
    """Wait for the held call, kill -9 the process that made it, then let the held answer go nowhere."""
    try:
        wait_for(lambda: hold.arrived.is_set() or process.poll() is not None, timeout=40)
        assert hold.arrived.is_set(), f"exited before the held call ({process.returncode}):\n{log.read_text()}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        hold.release()
        if process.poll() is None:
            process.kill()


def _delivered(fake: FakeSlack) -> Counter[str]:
    """How many times Slack holds each message, by its idempotency key."""
    return Counter(
        str(((m.get("metadata") or {}).get("event_payload") or {}).get("key")) for m in fake.posts() if m["metadata"]
    )


def _assert_each_once(db: Database, fake: FakeSlack, digests: int) -> None:
    delivered = _delivered(fake)
    with db.session() as session:
        rows = list(session.scalars(select(Delivery)))
        alerts = list(session.scalars(select(Alert)))
    assert {d.idempotency_key: d.status for d in rows} == dict.fromkeys(delivered, "sent")
    assert all(n == 1 for n in delivered.values()), [k for k, n in delivered.items() if n > 1]
    kinds = Counter(key.split(":")[1] for key in delivered)
    assert kinds["alert"] == 2 * len(alerts) and len(alerts) >= 1
    assert kinds["digest"] == digests


def _digest_run(db: Database, fake: FakeSlack, tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [TANDEM, "digest", "--as-of", SAMPLE_ANCHOR.isoformat()],
        env=_env(db, fake),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("method", "after", "lands"),
    [
        ("conversations.open", 0, False),  # (a) the alerts raised and recorded, nothing sent yet
        ("chat.postMessage", 2, False),  # (b) mid-send: two messages out, the third never reached Slack
        ("chat.postMessage", 1, True),  # (c) the second message landed; the process died before recording it
    ],
    ids=["after-alerts-raised", "mid-send", "landed-not-recorded"],
)
def test_a_digest_run_killed_and_run_again_delivers_each_message_once(
    departures: Database, fake: FakeSlack, tmp_path: Path, method: str, after: int, lands: bool
) -> None:
    log = tmp_path / "digest.log"
    hold = fake.hold(method, after=after, lands=lands)
    _kill_at(_start(["digest", "--as-of", SAMPLE_ANCHOR.isoformat()], departures, fake, log), hold, log)
    with departures.session() as session:
        raised = session.scalars(select(Alert)).all()
        intended = session.scalars(select(Delivery).where(Delivery.kind == "alert")).all()
    assert len(raised) == 1 + EXTRA_DEPARTURES
    assert len(intended) == 2 * len(raised)  # every alert's messages were recorded with it
    rerun = _digest_run(departures, fake, tmp_path)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    _assert_each_once(departures, fake, digests=4)


def test_a_failed_delivery_makes_tandem_digest_exit_non_zero_and_shows_in_status(
    departures: Database, fake: FakeSlack, tmp_path: Path
) -> None:
    fake.fail_next("chat.postMessage", 400, times=200)  # Slack refuses every post of the run
    run = _digest_run(departures, fake, tmp_path)
    assert run.returncode == 1 and b"could not be delivered" in run.stderr
    status = subprocess.run([TANDEM, "status"], env=_env(departures, fake), cwd=tmp_path, capture_output=True)
    text = status.stdout.decode()
    assert "message(s) recorded and not sent yet" in text and "attempts" in text


# -- the scheduler: its leader killed mid-run, the second worker alive --------------------------------------
def _digests_due_now(db: Database) -> None:
    """As if the service had been down at digest time: every job's next run is a minute ago."""
    worker = Worker(Settings(database_url=db.url), db, channels=lambda _org: {})
    assert worker.start(paused=True)  # plans and stores the jobs, runs nothing
    worker.stop()
    store = job_store(db)
    store.start(BackgroundScheduler(), "default")
    for job in store.get_all_jobs():
        if job.id.startswith(("digest:", "nightly:")):
            job._modify(next_run_time=datetime.now(UTC) - timedelta(minutes=1))
            store.update_job(job)


def _planned_done(db: Database) -> bool:
    with db.session() as session:
        statuses = [
            p.status for p in session.scalars(select(PlannedDigest).where(PlannedDigest.due_at <= datetime.now(UTC)))
        ]
    return len(statuses) == 4 and set(statuses) == {"done"}


def _all_sent(db: Database) -> bool:
    with db.session() as session:
        rows = session.scalars(select(Delivery.status)).all()
    return bool(rows) and set(rows) == {"sent"}


def test_the_surviving_worker_finishes_the_run_of_a_leader_killed_mid_run(
    departures: Database, fake: FakeSlack, tmp_path: Path
) -> None:
    if departures.dialect != "postgresql":
        pytest.skip("two workers share a PostgreSQL database; SQLite is the embedded single-process mode")
    with departures.session() as session:
        members = session.scalars(select(Member).where(Member.role.in_(("am", "csm")))).all()
        for m in members:
            m.digest_time = "08:30"
    _digests_due_now(departures)
    hold = fake.hold("chat.postMessage", after=2)
    leader_log, follower_log = tmp_path / "leader.log", tmp_path / "follower.log"
    leader = _start(["worker", "--poll", "1"], departures, fake, leader_log)
    follower: subprocess.Popen[bytes] | None = None
    try:
        wait_for(lambda: hold.arrived.is_set() or leader.poll() is not None, timeout=40)
        follower = _start(["worker", "--poll", "1"], departures, fake, follower_log)
        _kill_at(leader, hold, leader_log)
        wait_for(lambda: _planned_done(departures) and _all_sent(departures), timeout=45)
    finally:
        for process in (leader, follower):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
    _assert_each_once(departures, fake, digests=4)
    status = subprocess.run([TANDEM, "status", "--json"], env=_env(departures, fake), cwd=tmp_path, capture_output=True)
    (org,) = json.loads(status.stdout)
    assert org["planned_digests"]["counts"] == {"done": 4} and not org["pending_deliveries"]
    digests = [job for job in org["last_jobs"] if job["job"] == "digests"]
    assert digests and digests[0]["status"] == "ok"  # not `running` forever: the survivor's run is on record
    assert all(job["status"] != "running" for job in org["last_jobs"])
