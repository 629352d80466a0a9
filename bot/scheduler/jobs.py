"""The scheduled jobs. The job store persists them by textual reference and integer arguments, so they find
the database and the channels through the runtime the worker installs at start."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from bot.db import Database, org_scope
from bot.delivery.channel import Channel
from bot.delivery.ledger import deliver
from bot.delivery.redeliver import digests_to_retry, messages_to_retry, orphaned_messages
from bot.first_read import send_first_reads
from bot.handoff_relay import remember_root, send_reminders
from bot.job_runs import recorded
from bot.localtime import local_day
from bot.metrics import FAILURES
from bot.models import JobRun, Member, Organization, SourceState, utcnow
from bot.pipeline import run_alerts, run_digests, run_score
from bot.scheduler import planned
from bot.scheduler.claims import claim_org
from bot.settings import Settings
from bot.sources import sync_source
from bot.tenancy import scope_session

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    channels: Callable[[int], dict[str, Channel]]  # organization id -> its delivery channels
    grace: timedelta = timedelta(hours=3)  # how late a digest may still go out


_runtime: Runtime | None = None
SWEEP_THREADS = 8  # a morning's digests left by a dead leader go out about as fast as the scheduler's own pool


def install(runtime: Runtime) -> None:
    global _runtime
    _runtime = runtime


def runtime() -> Runtime:
    if _runtime is None:
        raise RuntimeError("the scheduler runtime is not installed (start a Worker)")
    return _runtime


def nightly(org_id: int) -> None:
    """Sync every configured source, rescore, alert on departures.

    Each step is guarded: a failing source keeps its last good data (and is reported stale), and the
    rest of the run goes on.
    """
    with org_scope(org_id):
        _nightly(org_id)


def _nightly(org_id: int) -> None:
    rt = runtime()
    with _nightly_guard:
        if org_id in _nightly_here:
            return  # this process runs it already (SQLite's claim cannot tell)
        _nightly_here.add(org_id)
    try:
        with claim_org(rt.db, org_id) as claimed:
            if not claimed:
                log.info("nightly run of org %s is in progress elsewhere", org_id)
                return
            with recorded(rt.db, org_id, "nightly") as problems:  # the run holding the claim is on record
                _claimed_nightly(rt, org_id, problems)
    finally:
        with _nightly_guard:
            _nightly_here.discard(org_id)


_nightly_here: set[int] = set()  # organizations whose nightly run is in progress in this process
_nightly_guard = threading.Lock()


def _dead_nightlies(rt: Runtime) -> list[int]:
    """Organizations whose last nightly run is on record as running, recently: if no process holds its
    claim (nightly() checks), the process died mid-run and the night's sync, score and alerts are redone."""
    found = []
    with rt.db.session() as session:
        for org_id in list(session.scalars(select(Organization.id))):
            scope_session(session, org_id)  # each organization's record, read in its own scope
            dead = select(JobRun.id).where(
                JobRun.org_id == org_id,
                JobRun.job == "nightly",
                JobRun.status == "running",
                JobRun.started_at > utcnow() - rt.grace,
            )
            if session.scalar(dead) is not None:
                found.append(org_id)
    return found


def _claimed_nightly(rt: Runtime, org_id: int, problems: list[str]) -> None:
    with rt.db.session() as session:
        org = session.get(Organization, org_id)
        if org is None:
            return
        slug, zone = org.slug, org.timezone
        sources = [
            (s.source, dict(s.config or {}))
            for s in session.scalars(select(SourceState).where(SourceState.org_id == org_id))
            if (s.config or {}).get("kind")
        ]
    for name, _config in sources:
        try:
            sync_source(rt.db, slug, name, rt.settings)  # from its stored cursor; keeps the new one
        except Exception:
            log.exception("source %s of org %s failed; its previous data stays", name, org_id)
            FAILURES.labels("sync").inc()
            problems.append(f"source {name} failed (its previous data stays)")
    today = local_day(zone)
    try:
        run_score(rt.db, slug, today)
    except Exception:
        log.exception("rescore of org %s failed", org_id)
        FAILURES.labels("score").inc()
        problems.append("scoring failed (yesterday's signals stay)")
    channels = rt.channels(org_id)
    run_alerts(rt.db, slug, today, channels)


def reminders(org_id: int) -> None:
    """Hourly in working hours: remind receivers of handoffs nobody acknowledged in time (once each)."""
    with org_scope(org_id), recorded(runtime().db, org_id, "reminders"):
        _reminders(org_id)


def _reminders(org_id: int) -> None:
    rt = runtime()
    with rt.db.session() as session:
        org = session.get(Organization, org_id)
        if org is None:
            return
        zone = org.timezone
    send_reminders(rt.db, org_id, rt.channels(org_id), local_day(zone))


def redeliver(org_id: int) -> None:
    """Every quarter hour: send again what failed for a passing reason: digests the same local day, rebuilt;
    alerts, handoffs and replies as they were rendered."""
    with org_scope(org_id), recorded(runtime().db, org_id, "redeliver"):
        _redeliver(org_id)


def _redeliver(org_id: int) -> None:
    rt = runtime()
    with rt.db.session() as session:
        org = session.get(Organization, org_id)
        if org is None:
            return
        slug, zone = org.slug, org.timezone
        due = digests_to_retry(session, org_id, utcnow())
        messages = messages_to_retry(session, org_id, utcnow())
        zones = {m.id: m.timezone for m in session.scalars(select(Member).where(Member.org_id == org_id))}
    for member_id, day in due:
        if day != local_day(zones.get(member_id), zone):
            continue  # a new day has begun for them: tomorrow's digest will say what still matters
        run_digests(rt.db, slug, day, rt.channels(org_id), member_ids=[member_id], settings=rt.settings)
    channels = rt.channels(org_id) if messages else {}
    for message in messages:
        if message.platform not in channels:
            continue
        try:  # one failure does not stop the others
            remember_root(rt.db, org_id, message, deliver(rt.db, org_id, channels[message.platform], message))
        except Exception:
            log.exception("retrying a %s failed", message.kind)


def first_reads(org_id: int) -> None:
    """Every few minutes: the one-time "your book today" message to members owed it, in their working hours."""
    rt = runtime()
    send_first_reads(rt.db, org_id, rt.channels(org_id))


def member_digest(member_id: int, org_id: int | None = None) -> None:
    """One member's digest at their local time, through the day's planned row (see planned.py); the ledger
    makes a second run of the same day a no-op. (Jobs planned before the organization was an argument have
    none: the next plan replaces them.)"""
    if org_id is None:
        _member_digest(member_id)
        return
    row_id = planned.row_for_now(runtime().db, org_id, member_id)
    if row_id is not None:
        planned_digest(org_id, row_id)


def planned_digest(org_id: int, row_id: int) -> None:
    """Run one planned digest unless another process holds it or it is done."""
    rt = runtime()

    def run(member_id: int, day: date) -> None:
        with org_scope(org_id), recorded(rt.db, org_id, "digests"):
            _digest_of(rt, member_id, day)

    planned.run_planned(rt.db, org_id, row_id, run)


def sweep() -> None:
    """Every poll on the leader: finish the digests due within the grace window that nobody ran (their job
    was handed out by a leader that died) or whose run died with its process; redo a nightly run that died;
    send the alerts and replies a dead process left recorded and unsent."""
    rt = runtime()

    def finish(due: tuple[int, int]) -> None:
        try:  # one member's failure does not stop the others
            planned_digest(*due)
        except Exception:
            log.exception("a planned digest of org %s failed", due[0])

    with ThreadPoolExecutor(SWEEP_THREADS, thread_name_prefix="tandem-sweep") as pool:
        list(pool.map(finish, planned.overdue(rt.db, rt.grace)))
    for org_id in _dead_nightlies(rt):
        try:
            nightly(org_id)
        except Exception:
            log.exception("finishing the nightly run of org %s failed", org_id)
    with rt.db.session() as session:
        org_ids = list(session.scalars(select(Organization.id)))
    for org_id in org_ids:
        with org_scope(org_id):
            _send_orphans(rt, org_id)


def _send_orphans(rt: Runtime, org_id: int) -> None:
    """Alerts, handoffs and replies whose sender died mid-run: sent from the ledger's copy now, not at the
    next quarter-hour (the claim and the platform check keep each one exactly-once)."""
    with rt.db.session() as session:
        messages = orphaned_messages(session, org_id, utcnow())
    channels = rt.channels(org_id) if messages else {}
    for message in messages:
        if message.platform not in channels:
            continue
        try:
            remember_root(rt.db, org_id, message, deliver(rt.db, org_id, channels[message.platform], message))
        except Exception:
            log.exception("sending an orphaned %s failed", message.kind)


def _member_digest(member_id: int) -> None:
    rt = runtime()
    with rt.db.session() as session:
        member = session.get(Member, member_id)
        if member is None:
            return
        day = local_day(member.timezone, session.get_one(Organization, member.org_id).timezone)
    _digest_of(rt, member_id, day)


def _digest_of(rt: Runtime, member_id: int, day: date) -> None:
    with rt.db.session() as session:
        member = session.get(Member, member_id)
        if member is None or not member.active:
            return
        org = session.get_one(Organization, member.org_id)
        slug, org_id = org.slug, org.id
    run_digests(rt.db, slug, day, rt.channels(org_id), member_ids=[member_id], settings=rt.settings)
