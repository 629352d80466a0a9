"""The scheduler: jobs persist, missed digests catch up once inside the grace window, one leader, and a
failing source, member or delivery never stops the rest."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, insert, select

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.message import OutgoingMessage
from bot.delivery.routing import outbox_channels
from bot.models import Delivery, HealthScore, Member, SourceState
from bot.pipeline import run_digests
from bot.scheduler import jobs
from bot.scheduler.leader import LeaderLock
from bot.scheduler.worker import Worker, job_store
from bot.settings import Settings
from bot.sources import remember_source
from bot.status import all_status
from tests.slack_harness import load_demo, wait_for


@pytest.fixture
def book(db: Database) -> Iterator[Database]:
    """The demo book, and an empty job table (it is APScheduler's, outside our metadata)."""

    def clear() -> None:
        store = job_store(db)
        store.start(BackgroundScheduler(), "default")
        store.remove_all_jobs()

    clear()
    load_demo(db)
    yield db
    clear()


def _worker(db: Database, out: Path, grace: timedelta = timedelta(hours=3)) -> Worker:
    return Worker(Settings(database_url=db.url), db, channels=lambda _org: outbox_channels(out), grace=grace)


def _member_id(db: Database, email: str = "alice.martin@tandem-demo.example") -> int:
    with db.session() as session:
        member_id = session.scalar(select(Member.id).where(Member.email == email))
    assert member_id is not None
    return member_id


def _digests_sent(db: Database, member_id: int) -> int:
    with db.session() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.member_id == member_id, Delivery.kind == "digest", Delivery.status == "sent")
            )
            or 0
        )


def test_jobs_are_planned_per_org_and_member_and_survive_a_restart(book: Database, tmp_path: Path) -> None:
    worker = _worker(book, tmp_path)
    assert worker.start(paused=True)
    ids = {j.id for j in worker.scheduler.get_jobs(jobstore="default")}
    alice = worker.scheduler.get_job(f"digest:{_member_id(book)}")
    worker.stop()
    assert (
        len([i for i in ids if i.startswith("digest:")]) == 4 and len([i for i in ids if i.startswith("nightly:")]) == 1
    )
    assert "Europe/Paris" in repr(alice.trigger) and "hour='8'" in repr(alice.trigger)
    stored = Worker.stored_next_runs(book)
    assert set(stored) == ids  # still there with no scheduler running


def _miss(book: Database, tmp_path: Path, member_id: int, ago: timedelta) -> None:
    """As if the service was down when the digest was due: its stored next run is `ago` in the past."""
    worker = _worker(book, tmp_path)
    assert worker.start(paused=True)
    worker.stop()
    store = job_store(book)
    store.start(BackgroundScheduler(), "default")
    job = store.lookup_job(f"digest:{member_id}")
    assert job is not None
    job._modify(next_run_time=datetime.now(UTC) - ago)
    store.update_job(job)


def test_a_digest_missed_inside_the_grace_window_is_sent_once_on_restart(book: Database, tmp_path: Path) -> None:
    member_id = _member_id(book)
    _miss(book, tmp_path, member_id, timedelta(hours=1))
    restarted = _worker(book, tmp_path)
    assert restarted.start()
    wait_for(lambda: _digests_sent(book, member_id) == 1)
    restarted.stop()
    again = _worker(book, tmp_path)
    again.start()
    time.sleep(0.5)
    again.stop()
    assert _digests_sent(book, member_id) == 1
    assert len(list(tmp_path.glob("*.json"))) == 1


def test_a_digest_missed_beyond_the_grace_window_is_not_sent(book: Database, tmp_path: Path) -> None:
    member_id = _member_id(book)
    _miss(book, tmp_path, member_id, timedelta(hours=4))
    restarted = _worker(book, tmp_path)
    assert restarted.start()
    time.sleep(1.0)
    next_run = restarted.scheduler.get_job(f"digest:{member_id}").next_run_time
    restarted.stop()
    assert _digests_sent(book, member_id) == 0
    assert next_run > datetime.now(UTC)  # rescheduled for its next morning


def test_only_one_process_leads_the_scheduler(book: Database) -> None:
    first, second = LeaderLock(book), LeaderLock(book)
    assert first.try_acquire()
    if book.dialect != "postgresql":
        pytest.skip("SQLite is the embedded single-process mode: its one process always leads")
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    second.release()


class _Recording:
    platform, local = "slack", False

    def __init__(self, refuse: str | None = None) -> None:
        self.sent: list[str] = []
        self.refuse = refuse
        self.lock = threading.Lock()

    def send(self, message: OutgoingMessage) -> str:
        if message.recipient.email == self.refuse:
            raise ConnectionError("the remote service hung up")
        with self.lock:
            self.sent.append(message.idempotency_key)
        return f"C:{len(self.sent)}"

    def already_sent(self, message: OutgoingMessage) -> str | None:
        return None


def test_two_workers_on_one_database_deliver_each_message_once(book: Database) -> None:
    if book.dialect != "postgresql":
        pytest.skip("SQLite is the embedded single-process mode")
    channel = _Recording()
    channels: dict[str, Channel] = {"slack": channel, "teams": channel}
    day = datetime.now(UTC).date()
    threads = [threading.Thread(target=run_digests, args=(book, "default", day, channels)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(channel.sent) == len(set(channel.sent)) == 4


def test_one_members_failed_delivery_does_not_stop_the_others(book: Database) -> None:
    channel = _Recording(refuse="bruno.costa@tandem-demo.example")
    report = run_digests(book, "default", datetime.now(UTC).date(), {"slack": channel, "teams": channel})
    assert report.count("sent") == 3 and report.count("failed") == 1
    with book.session() as session:
        failed = session.scalars(select(Delivery).where(Delivery.status != "sent")).one()
    assert "ConnectionError" in (failed.error or "")


def test_a_failing_source_keeps_its_data_and_the_digest_says_it_is_stale(book: Database, tmp_path: Path) -> None:
    remember_source(book, "default", "files", {"kind": "files", "path": str(tmp_path / "gone")})
    with book.session() as session:
        org_id = session.scalar(select(Member.org_id))
        accounts_before = session.scalar(select(func.count()).select_from(HealthScore))
    _worker(book, tmp_path / "out")
    assert org_id is not None
    jobs.nightly(org_id)  # the source fails; score and alerts still run
    with book.session() as session:
        state = session.scalars(select(SourceState).where(SourceState.source == "files")).one()
        assert state.last_error and "not a directory" in state.last_error
        assert (session.scalar(select(func.count()).select_from(HealthScore)) or 0) >= (accounts_before or 0)
    report = run_digests(book, "default", datetime.now(UTC).date(), {})
    assert all(any(s.startswith("files (since") for s in d.stale_sources) for _, d in report.digests)
    with book.session() as session:  # `tandem status` says the last nightly run was partial, and why
        [org_report] = all_status(session, {})
    [nightly] = [j for j in org_report.last_jobs if j["job"] == "nightly"]
    assert nightly["status"] == "partial" and "source files failed" in nightly["error"] and nightly["finished_at"]


def test_an_org_claim_excludes_a_second_run_but_not_the_runs_own_writes(book: Database) -> None:
    if book.dialect != "postgresql":
        pytest.skip("SQLite is the embedded single-process mode")
    from bot.scheduler.claims import claim_org

    with book.session() as session:
        org_id = session.scalar(select(Member.org_id))
    assert org_id is not None
    with claim_org(book, org_id) as first:
        assert first
        with claim_org(book, org_id) as second:
            assert not second  # skipped at once, not waited for
        # The run's own work, on other connections, inserts rows referencing the organization.
        with book.engine.connect() as conn, conn.begin():
            conn.exec_driver_sql("SET LOCAL lock_timeout = '2s'")  # a blocked insert fails the test, fast
            conn.execute(insert(SourceState).values(org_id=org_id, source="claim-check", config={}))
    with claim_org(book, org_id) as again:
        assert again


@pytest.mark.parametrize(
    ("line", "weekdays"),
    [
        ("0 2 * * *", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}),
        ("0 2 * * 1-5", {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}),
        ("0 2 * * 0", {"Sunday"}),
        ("0 2 * * 7", {"Sunday"}),
        ("0 2 * * sat,sun", {"Saturday", "Sunday"}),
        ("0 2 * * */2", {"Sunday", "Tuesday", "Thursday", "Saturday"}),
    ],
)
def test_crontab_weekdays_mean_what_cron_means(line: str, weekdays: set[str]) -> None:
    from zoneinfo import ZoneInfo

    from bot.scheduler.plan import crontab_trigger

    trigger = crontab_trigger(line, ZoneInfo("Europe/Paris"))
    fired: set[str] = set()
    moment: datetime | None = datetime(2026, 11, 23, tzinfo=ZoneInfo("Europe/Paris"))
    for _ in range(14):
        assert moment is not None
        moment = trigger.get_next_fire_time(None, moment + timedelta(minutes=1))
        assert moment is not None and moment.hour == 2
        fired.add(moment.strftime("%A"))
    assert fired == weekdays


@pytest.mark.parametrize("line", ["", "0 2 * *", "0 2 * * 8", "0 2 * * 5-1", "0 2 * * */0", "99 2 * * *"])
def test_bad_crontab_lines_are_refused(line: str) -> None:
    from bot.scheduler.plan import crontab_trigger

    with pytest.raises(ValueError):
        crontab_trigger(line)
