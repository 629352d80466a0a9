"""The scheduled jobs. The job store persists them by textual reference and integer arguments, so they find
the database and the channels through the runtime the worker installs at start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.db import Database, org_scope
from bot.delivery.channel import Channel
from bot.delivery.ledger import deliver
from bot.delivery.redeliver import digests_to_retry, messages_to_retry
from bot.first_read import send_first_reads
from bot.handoff_relay import remember_root, send_reminders
from bot.job_runs import recorded
from bot.localtime import local_day
from bot.metrics import FAILURES
from bot.models import Member, Organization, SourceState, utcnow
from bot.pipeline import run_alerts, run_digests, run_score
from bot.scheduler.claims import claim_org
from bot.settings import Settings
from bot.sources import sync_source

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    channels: Callable[[int], dict[str, Channel]]  # organization id -> its delivery channels


_runtime: Runtime | None = None


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
    with claim_org(rt.db, org_id) as claimed:
        if not claimed:
            log.info("nightly run of org %s is in progress elsewhere", org_id)
            return
        with recorded(rt.db, org_id, "nightly") as problems:  # the run holding the claim is the one on record
            _claimed_nightly(rt, org_id, problems)


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
    """One member's digest at their local time; the ledger makes a second run of the same day a no-op.
    (Jobs planned before the organization was an argument have none: the next plan replaces them.)"""
    if org_id is not None:
        with org_scope(org_id), recorded(runtime().db, org_id, "digests"):
            _member_digest(member_id)
    else:
        _member_digest(member_id)


def _member_digest(member_id: int) -> None:
    rt = runtime()
    with rt.db.session() as session:
        member = session.get(Member, member_id)
        if member is None or not member.active:
            return
        org = session.get_one(Organization, member.org_id)
        slug, org_id, day = org.slug, org.id, local_day(member.timezone, org.timezone)
    run_digests(rt.db, slug, day, rt.channels(org_id), member_ids=[member_id], settings=rt.settings)
