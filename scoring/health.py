"""Health 0-100 from named components, and its 30-day trend (the same reading, a month earlier)."""

from __future__ import annotations

from datetime import date, timedelta

from scoring.config import ScoringConfig
from scoring.facts import read_facts
from scoring.results import HealthReading
from scoring.snapshot import AccountSnapshot
from scoring.trends import trend, utilisation

NEUTRAL = 60.0  # a component we have no data for neither helps nor condemns


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def components_at(s: AccountSnapshot, config: ScoringConfig, day: date) -> dict[str, float]:
    facts = read_facts(
        s, day, escalation_age_days=config.escalation_age_days, billing_days=config.billing_lookback_days
    )
    usage_trend = trend(s.usage, "active_users", day, config.usage_recent_days, config.usage_baseline_days)
    usage = NEUTRAL if usage_trend is None else _clamp(75 + usage_trend.change * 200)
    used = utilisation(s.usage, s.seats_purchased, day)
    seats = NEUTRAL if used is None else _clamp(used / 0.7 * 100)
    support = 100.0 - 20 * len(facts.open_serious) - min(10 * len(facts.serious_opened_30d), 30)
    support -= 10 * len(facts.old_open_serious)
    if facts.csat_30d is not None and facts.csat_30d <= config.low_csat:
        support -= 25
    elif facts.csat_30d is not None and facts.csat_30d <= 3.5:
        support -= 10
    billing = 100.0 - 30 * len(facts.failed_invoices) - 25 * len(facts.overdue_invoices)
    keys = len(facts.active_key_contacts)
    relationship = NEUTRAL if not s.contacts else (100.0 if keys >= 2 else 50.0 if keys == 1 else 20.0)
    touch = facts.days_since_touch
    engagement = 30.0 if touch is None else _clamp(100 - max(touch - 20, 0) * 100 / 70)
    return {
        "usage": round(usage, 1),
        "seats": round(seats, 1),
        "support": round(_clamp(support), 1),
        "billing": round(_clamp(billing), 1),
        "relationship": round(relationship, 1),
        "engagement": round(engagement, 1),
    }


def score_of(components: dict[str, float], config: ScoringConfig) -> int:
    return round(sum(components[name] * weight for name, weight in config.weights.items()))


def compute_health(s: AccountSnapshot, config: ScoringConfig) -> HealthReading:
    now = components_at(s, config, s.as_of)
    score = score_of(now, config)
    earlier_day = s.as_of - timedelta(days=30)
    has_history = any(p.day <= earlier_day for p in s.usage)
    trend_30d = score - score_of(components_at(s, config, earlier_day), config) if has_history else None
    return HealthReading(score=score, components=now, trend_30d=trend_30d)
