"""Nightly rescore: read snapshots, run the rules, persist health and signals, diff against yesterday."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.book import load_snapshots
from bot.models import HealthScore, Organization, Signal, utcnow
from scoring.config import ScoringConfig
from scoring.engine import score_account
from scoring.results import SignalResult


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


def rescore(session: Session, org: Organization, as_of: date, account_ids: list[int] | None = None) -> RescoreReport:
    config = org_scoring_config(org)
    snapshots = load_snapshots(session, org.id, as_of, account_ids)
    scope = {s.account_id for s in snapshots}
    report = RescoreReport(accounts=len(snapshots))
    health_query = select(HealthScore).where(HealthScore.org_id == org.id, HealthScore.day == as_of)
    signal_query = select(Signal).where(Signal.org_id == org.id)
    if account_ids is not None:  # an incremental rescore reads only its own accounts' rows
        health_query = health_query.where(HealthScore.account_id.in_(scope))
        signal_query = signal_query.where(Signal.account_id.in_(scope))
    existing_health = {h.account_id: h for h in session.scalars(health_query)}
    signals = {(s.account_id, s.kind, s.key): s for s in session.scalars(signal_query)}
    seen: set[tuple[int, str, str]] = set()
    now = utcnow()
    created: list[Signal] = []  # flushed once at the end: one batched INSERT, not one per signal
    for snap in snapshots:
        reading = score_account(snap, config)
        health = existing_health.get(snap.account_id)
        components = dict(reading.health.components) | {"trend_30d": reading.health.trend_30d}
        if health is None:
            session.add(
                HealthScore(
                    org_id=org.id,
                    account_id=snap.account_id,
                    day=as_of,
                    score=reading.health.score,
                    components=components,
                )
            )
        else:
            health.score, health.components = reading.health.score, components
        for result in reading.signals:
            ident = (snap.account_id, result.kind, result.key)
            seen.add(ident)
            row = signals.get(ident)
            if row is None:
                row = Signal(org_id=org.id, account_id=snap.account_id, kind=result.kind, key=result.key)
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
    report.active = sum(1 for ident, row in signals.items() if row.status == "active")
    return report


def _fill(row: Signal, result: SignalResult, now: datetime) -> None:
    row.severity = result.severity
    row.title = result.title
    row.reasons = list(result.reasons)
    row.evidence = dict(result.evidence)
    row.next_steps = dict(result.next_steps)
    row.value_at_stake = Decimal(str(round(result.value_at_stake, 2))) if result.value_at_stake else None
    row.last_seen_at = now
