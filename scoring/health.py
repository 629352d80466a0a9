"""Health 0-100 from named components, and its 30-day trend (the same reading on the data of a month ago).

Each component is 0-100. The score is their weighted mean over the components the data allows (weights
renormalised), pulled down when an acute component (usage, support, billing) is failing: a fire in one
place must not hide behind good averages elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from scoring.config import ScoringConfig
from scoring.results import HealthReading
from scoring.rules import Facts
from scoring.rules.billing import LONG_OVERDUE_DAYS, billing_facts
from scoring.rules.growth import usage_facts
from scoring.rules.relationship import RECENT_DEPARTURE_DAYS, TextHit, relationship_facts, text_hits
from scoring.rules.support import support_facts
from scoring.seasons import calendar_off
from scoring.snapshot import AccountSnapshot
from scoring.trends import Series, usage_series

TREND_DAYS = 30
ACUTE = ("usage", "support", "billing")
DRAG_FLOOR = 40.0  # an acute component under this drags the score ...
DRAG = 0.5  # ... by half the shortfall
USAGE_ZERO = -0.40  # a 40% fall in active users scores 0; flat or growing scores 100
SEATS_FULL, SEATS_ZERO = 0.70, 0.20  # seat utilisation scoring 100 and 0
TOUCH_FRESH, TOUCH_ZERO = 14, 90  # days since the last note scoring 100 and 0
KEY_CONTACT_SCORE = (0.0, 50.0, 85.0, 100.0)  # by active key contacts: 0, 1, 2, 3+


def _clamp(v: float) -> float:
    return float(max(0.0, min(100.0, v)))


@dataclass(frozen=True)
class Prepared:
    """What is read once per snapshot, whatever day the facts are for: free text and usage series."""

    hits: list[TextHit]
    usage: dict[str, Series]
    off: frozenset[int]  # days off in the account's calendar


def prepare(s: AccountSnapshot) -> Prepared:
    off = calendar_off(s.country, s.as_of.year)
    return Prepared(hits=text_hits(s), usage=usage_series(s.usage_last_year + s.usage, off), off=off)


def gather_facts(
    s: AccountSnapshot, config: ScoringConfig, day: date, prepared: Prepared | None = None, brief: bool = False
) -> Facts:
    """Everything the rules and health read, as the data stood at the end of `day` (`brief`: health's part)."""
    p = prepared or prepare(s)
    return Facts(
        day=day,
        usage=usage_facts(s, config, day, p.usage, p.off, brief),
        support=support_facts(s, config, day),
        billing=billing_facts(s, config, day),
        relationship=relationship_facts(s, config, day, p.hits),
    )


def components(f: Facts, config: ScoringConfig) -> dict[str, float]:
    """Each component 0-100; a component the data cannot measure is absent, not guessed."""
    out: dict[str, float] = {}
    if f.usage.health_change is not None:
        out["usage"] = _clamp(100 * (1 - min(f.usage.health_change.change, 0) / USAGE_ZERO))
    if f.usage.utilisation is not None:
        out["seats"] = _clamp(100 * (f.usage.utilisation - SEATS_ZERO) / (SEATS_FULL - SEATS_ZERO))
    sp = f.support
    support: float = 100 - 15 * len(sp.open_serious) - 5 * len(sp.opened_serious) - 10 * len(sp.aged_serious)
    if sp.csat_recent is not None:
        support -= 20 * max(0.0, 4 - sp.csat_recent)
    out["support"] = _clamp(support)
    b = f.billing
    late = 30 if b.max_days_overdue > LONG_OVERDUE_DAYS else 20
    out["billing"] = _clamp(100 - 30 * len(b.failed) - late * len(b.overdue))
    r = f.relationship
    if r.has_contacts:
        base = KEY_CONTACT_SCORE[min(len(r.active_key), 3)]
        out["relationship"] = _clamp(base - 15 * len(r.recent_departures(f.day, RECENT_DEPARTURE_DAYS)))
    touch = r.days_since_touch
    # No note at all reads as no touch: the same fact no_contact fires on.
    out["engagement"] = 0.0 if touch is None else _clamp(100 * (TOUCH_ZERO - touch) / (TOUCH_ZERO - TOUCH_FRESH))
    return {k: round(v, 1) for k, v in out.items()}


def score_of(parts: dict[str, float], config: ScoringConfig) -> int:
    weights = config.health_weights.model_dump()
    total = sum(weights[k] for k in parts)
    mean = sum(parts[k] * weights[k] for k in parts) / total if total > 0 else 50.0
    acute = [parts[k] for k in ACUTE if k in parts]
    drag = DRAG * max(0.0, DRAG_FLOOR - min(acute)) if acute else 0.0
    return round(_clamp(mean - drag))


def _history_before(s: AccountSnapshot, day: date) -> bool:
    """Enough data for a reading on `day`: usage reaching back to it (or no usage feed at all)."""
    return not s.usage or s.usage[0].day <= day


def health_reading(s: AccountSnapshot, config: ScoringConfig, facts: Facts, prepared: Prepared) -> HealthReading:
    parts = components(facts, config)
    score = score_of(parts, config)
    earlier = s.as_of - timedelta(days=TREND_DAYS)
    trend = None
    if _history_before(s, earlier):
        then = components(gather_facts(s, config, earlier, prepared, brief=True), config)
        if then.keys() == parts.keys():  # the same components, or the trend measures a data change
            trend = score - score_of(then, config)
    return HealthReading(score=score, components=parts, trend_30d=trend)


def compute_health(s: AccountSnapshot, config: ScoringConfig | None = None) -> HealthReading:
    """Health now, with trend_30d = health now minus health on the data as of as_of - 30 days."""
    config = config or ScoringConfig()
    prepared = prepare(s)
    return health_reading(s, config, gather_facts(s, config, s.as_of, prepared), prepared)
