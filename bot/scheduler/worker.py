"""The worker: APScheduler with its jobs in the database, run by whichever replica holds the leader lock.

- Jobs persist (SQLAlchemy job store), so a restart loses nothing. A job whose time passed while no
  scheduler ran fires once on restart if still within the grace window (default 3 h), never twice
  (coalesce), and is skipped beyond it; the delivery ledger makes any second attempt a no-op anyway.
- Several replicas: only the advisory-lock holder schedules; the others wait to take over.
- Each digest job's next run is also written down as a planned row (planned.py): a leader that dies
  mid-run loses nothing, the next leader's sweep (every poll) finishes the day's digests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from bot.db import Database
from bot.delivery.channel import Channel
from bot.delivery.routing import chat_channels
from bot.metrics import SCHEDULER_LEADER
from bot.scheduler import jobs, planned
from bot.scheduler.leader import LeaderLock
from bot.scheduler.plan import JobSpec, plan
from bot.settings import Settings

log = logging.getLogger(__name__)

JOBS_TABLE = "tandem_scheduler_jobs"
REFRESH_MINUTES = 10  # members and timezones added through the admin API are picked up this often


def job_store(db: Database) -> SQLAlchemyJobStore:
    """Jobs live in the database; with SQLite, in a file beside it, so the scheduler's own writes never
    collide with a job's transaction on the same file (SQLite has one writer at a time)."""
    if db.dialect == "sqlite" and db.engine.url.database not in (None, "", ":memory:"):
        return SQLAlchemyJobStore(url=f"sqlite:///{db.engine.url.database}.jobs", tablename=JOBS_TABLE)
    return SQLAlchemyJobStore(engine=db.engine, tablename=JOBS_TABLE)


def ensure_job_table(engine: Engine) -> None:
    """Create APScheduler's job table with the schema's owner (PostgreSQL; SQLite keeps jobs in a file)."""
    if engine.dialect.name == "postgresql":
        SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE).start(BackgroundScheduler(), "default")


def _signature(job: Job) -> str:
    return f"{job.func_ref}{tuple(job.args)}{job.trigger!r}"


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        channels: Callable[[int], dict[str, Channel]] | None = None,
        grace: timedelta | None = None,
        poll_seconds: float = 15.0,
    ) -> None:
        self.db, self.poll_seconds = db, poll_seconds
        self.grace = grace if grace is not None else timedelta(hours=settings.digest_grace_hours)
        channels = channels or (lambda org_id: chat_channels(settings, db, org_id))
        jobs.install(jobs.Runtime(settings, db, channels, self.grace))
        self.lock = LeaderLock(db)
        self.scheduler = self._new_scheduler()
        self._stop = threading.Event()

    # -- jobs ---------------------------------------------------------------------------------------------
    def reconcile(self) -> None:
        """Make the stored jobs match the organizations and members; untouched jobs keep their next run."""
        wanted: dict[str, JobSpec] = {spec.id: spec for spec in plan(self.db)}
        stored = {job.id: job for job in self.scheduler.get_jobs(jobstore="default")}
        for job_id, job in stored.items():
            if job_id not in wanted:
                job.remove()
        for job_id, spec in wanted.items():
            job = stored.get(job_id)
            if job is not None and _signature(job) == spec.signature:
                continue
            self.scheduler.add_job(
                spec.func, spec.trigger, args=spec.args, id=job_id, name=job_id, replace_existing=True
            )
        self._plan_digests()

    def _plan_digests(self) -> None:
        """Each digest job's next run, written down as a planned row before APScheduler hands the job out."""
        due = [
            planned.Due(member_id=job.args[0], org_id=job.args[1], due_at=job.next_run_time)
            for job in self.scheduler.get_jobs(jobstore="default")
            if job.id.startswith("digest:") and len(job.args) == 2 and job.next_run_time is not None
        ]
        planned.plan(self.db, due)

    @staticmethod
    def stored_next_runs(db: Database) -> dict[str, str]:
        """Job id -> next run (ISO), read from the job store: what `tandem status` shows."""
        store = job_store(db)
        store.start(BackgroundScheduler(), "default")  # creates the table on a database no worker has used yet
        return {j.id: j.next_run_time.isoformat() for j in store.get_all_jobs() if j.next_run_time is not None}

    # -- life cycle ---------------------------------------------------------------------------------------
    def start(self, paused: bool = False) -> bool:
        """Start scheduling if this process can lead; returns whether it leads."""
        if not self.lock.try_acquire():
            return False
        # Paused until the plan is written: a job missed while no scheduler ran fires at once on resume, and
        # APScheduler moves its next run on as it hands it out.
        self.scheduler.start(paused=True)
        self.reconcile()
        self.scheduler.add_job(
            self.reconcile, "interval", minutes=REFRESH_MINUTES, id="refresh", jobstore="memory", replace_existing=True
        )
        self.scheduler.add_job(
            jobs.sweep,
            "interval",
            seconds=max(self.poll_seconds, 1.0),
            id="sweep",
            jobstore="memory",
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # at once: a run the previous leader left unfinished
        )
        if not paused:
            self.scheduler.resume()
        SCHEDULER_LEADER.set(1)
        log.info("this process leads the scheduler")
        return True

    def stop(self) -> None:
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.lock.release()
        SCHEDULER_LEADER.set(0)

    def run_forever(self) -> None:
        """Lead when possible; follow (and retry) otherwise; step down when the lock is lost."""
        while not self._stop.is_set():
            if self.scheduler.running:
                if not self.lock.still_held():
                    log.warning("scheduler lock lost: stepping down")
                    self.scheduler.shutdown(wait=False)
                    SCHEDULER_LEADER.set(0)
                    self.scheduler = self._new_scheduler()  # a shut-down APScheduler cannot restart
            else:
                self.start()
            self._stop.wait(self.poll_seconds)

    def run_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="tandem-scheduler", daemon=True)
        thread.start()
        return thread

    def _new_scheduler(self) -> BackgroundScheduler:
        return BackgroundScheduler(
            jobstores={
                "default": job_store(self.db),
                "memory": MemoryJobStore(),
            },
            job_defaults={"coalesce": True, "misfire_grace_time": int(self.grace.total_seconds()), "max_instances": 1},
            timezone="UTC",
        )
