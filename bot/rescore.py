"""Nightly rescore: read snapshots, run the rules, persist health and signals, diff against yesterday.

A batch of accounts at a time (bot.book.snapshot_batches), so memory does not grow with the book."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.book import BATCH_ACCOUNTS, load_snapshots, snapshot_batches
from bot.models import HealthScore, Organization, Signal, utcnow
from scoring.config import ScoringConfig
from scoring.engine import score_account
from scoring.results import SignalResult
from scoring.snapshot import AccountSnapshot


@dataclass
class RescoreReport:
    accounts: int = 0
    active: int = 0
    new: list[int] = field(default_factory=list)  # signal ids that appeared (or came back)
    worsened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)


def org_scoring_config(org: Organization) -> ScoringConfig:
    """The organization's thresholds over the defaults; an invalid configuration is refused here."""
    return ScoringConfig.from_settings(dict((org.settings or {}).get("scoring", {})))


def rescore(
    session: Session, org: Organization, as_of: date, account_ids: Iterable[int] | None = None
) -> RescoreReport:
    """Score the whole book (account_ids None) or the given accounts, a bounded batch at a time: each
    batch's snapshots, health rows and signals are written and released before the next is read."""
    config = org_scoring_config(org)
    report = RescoreReport()
    now = utcnow()
    if account_ids is None:
        batches: Iterable[list[AccountSnapshot]] = snapshot_batches(session, org.id, as_of)
    else:
        ids = sorted(set(account_ids))
        batches = (
            load_snapshots(session, org.id, as_of, ids[start : start + BATCH_ACCOUNTS])
            for start in range(0, len(ids), BATCH_ACCOUNTS)
        )
    for snapshots in batches:
        _rescore_batch(session, org.id, as_of, config, snapshots, report, now)
    return report


def _rescore_batch(
    session: Session,
    org_id: int,
    as_of: date,
    config: ScoringConfig,
    snapshots: list[AccountSnapshot],
    report: RescoreReport,
    now: datetime,
) -> None:
    scope = [s.account_id for s in snapshots]
    if not scope:
        return
    report.accounts += len(snapshots)
    existing_health = {
        h.account_id: h
        for h in session.scalars(
            select(HealthScore).where(
                HealthScore.org_id == org_id, HealthScore.day == as_of, HealthScore.account_id.in_(scope)
            )
        )
    }
    signals = {
        (s.account_id, s.kind, s.key): s
        for s in session.scalars(select(Signal).where(Signal.org_id == org_id, Signal.account_id.in_(scope)))
    }
    seen: set[tuple[int, str, str]] = set()
    created: list[Signal] = []  # flushed once per batch: one batched INSERT, not one per signal
    for snap in snapshots:
        reading = score_account(snap, config)
        health = existing_health.get(snap.account_id)
        components = dict(reading.health.components) | {"trend_30d": reading.health.trend_30d}
        if health is None:
            health = HealthScore(
                org_id=org_id, account_id=snap.account_id, day=as_of, score=reading.health.score, components=components
            )
            session.add(health)
            existing_health[snap.account_id] = health
        else:
            health.score, health.components = reading.health.score, components
        for result in reading.signals:
            ident = (snap.account_id, result.kind, result.key)
            seen.add(ident)
            row = signals.get(ident)
            if row is None:
                row = Signal(org_id=org_id, account_id=snap.account_id, kind=result.kind, key=result.key)
                session.add(row)
                signals[ident] = row
                _fill(row, result, now)
                row.first_seen_at = now
                created.append(row)
                continue
            if row.status != "active":
                # It ended and came back: a new window. A Done or a snooze given to the old one does not
                # silence this one.
                row.status, row.resolved_at, row.first_seen_at = "active", None, now
                row.announced_severity = row.handled_at = row.snoozed_until = None
                _fill(row, result, now)
                report.new.append(row.id)
                continue
            if result.severity > row.severity:
                report.worsened.append(row.id)
            _fill(row, result, now)
    for ident, row in signals.items():
        if ident not in seen and row.status == "active":
            row.status, row.resolved_at = "resolved", now
            report.resolved.append(row.id)
    session.flush()
    report.new.extend(row.id for row in created)
    report.active += sum(1 for row in signals.values() if row.status == "active")
    for obj in [*existing_health.values(), *signals.values()]:  # written: the session need not keep them
        session.expunge(obj)


def _fill(row: Signal, result: SignalResult, now: datetime) -> None:
    row.severity = result.severity
    row.title = result.title
    row.reasons = list(result.reasons)
    row.evidence = dict(result.evidence)
    row.next_steps = dict(result.next_steps)
    row.value_at_stake = Decimal(str(round(result.value_at_stake, 2))) if result.value_at_stake else None
    row.last_seen_at = now
