"""Usage: an expansion window opening, or a sustained drop. Both read window means, never one day."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from scoring.config import ScoringConfig
from scoring.results import HIGH, MEDIUM, SignalResult
from scoring.rules import Context, money, pct
from scoring.snapshot import AccountSnapshot
from scoring.trends import Series, WindowChange, growth, usage_series, window_change

HEALTH_BASELINE_DAYS = 56  # health compares the recent window with eight weeks before: slow slides show
UTILISATION_DAYS = 7  # "seat use now" is the last week's mean


@dataclass(frozen=True)
class UsageFacts:
    users: WindowChange | None  # active users, recent window against the baseline window
    events: WindowChange | None
    health_change: WindowChange | None  # active users (events if none) against HEALTH_BASELINE_DAYS
    seats_used: float | None  # mean seats used over the last week (active users when not reported)
    utilisation: float | None  # seats_used / seats purchased
    utilisation_recent: float | None  # last 14 days
    utilisation_before: float | None  # the 16 days before those (days 15-30)
    user_growth: float | None  # last 14 days against 14 days ending expansion_growth_days earlier


def _mean(ser: Series, end: date, days: int) -> float | None:
    return ser.mean(end, days, min_points=max(days // 2, 1))


def usage_facts(
    s: AccountSnapshot, c: ScoringConfig, day: date, by_metric: dict[str, Series] | None = None
) -> UsageFacts:
    by_metric = by_metric or usage_series(s.usage)
    users, events, seats = by_metric["active_users"], by_metric["events"], by_metric["seats_used"]
    if not seats.days:
        seats = users  # no seat assignment reported: active users are the closest measure
    recent, base = c.usage_recent_days, c.usage_baseline_days
    health_series = users if users.days else events
    used = _mean(seats, day, UTILISATION_DAYS)
    purchased = s.seats_purchased or 0

    def share(v: float | None) -> float | None:
        return v / purchased if v is not None and purchased > 0 else None

    return UsageFacts(
        # A recent day is "below" when at least half the drop threshold under its weekday's usual level.
        users=window_change(users, day, recent, base, c.usage_drop / 2),
        events=window_change(events, day, recent, base, c.usage_drop / 2),
        health_change=window_change(health_series, day, recent, HEALTH_BASELINE_DAYS),
        seats_used=used,
        utilisation=share(used),
        utilisation_recent=share(_mean(seats, day, 14)),
        utilisation_before=share(_mean(seats, day - timedelta(days=14), 16)),
        user_growth=growth(users, day, c.expansion_growth_days),
    )


@dataclass(frozen=True)
class Opportunity:
    reasons: list[str]
    evidence: dict[str, Any]
    extra_seats: int
    value: float | None


def expansion_opportunity(ctx: Context) -> Opportunity | None:
    """The usage case for more seats, before any health gate (pair_desync reads it on fragile accounts)."""
    c, u, seats = ctx.config, ctx.facts.usage, ctx.s.seats_purchased
    if not seats or u.utilisation is None:
        return None
    reasons = []
    rising = (
        u.utilisation_recent is not None
        and u.utilisation_before is not None
        and u.utilisation_recent - u.utilisation_before >= c.expansion_seat_rise
    )
    if u.utilisation >= c.expansion_seat_utilisation and rising:
        reasons.append(
            f"Seat use {u.utilisation:.0%} of {seats} seats and rising "
            f"({u.utilisation_before:.0%} → {u.utilisation_recent:.0%} over 30 days)"
        )
    if (
        u.user_growth is not None
        and u.user_growth >= c.expansion_user_growth
        and u.utilisation >= c.expansion_growth_utilisation
    ):
        reasons.append(
            f"Active users {pct(u.user_growth)} over {c.expansion_growth_days} days at {u.utilisation:.0%} seat use"
        )
    if not reasons:
        return None
    over = math.ceil((u.seats_used or 0) - seats)
    extra = max(math.ceil(seats * c.expansion_extra_seats), over, 1)
    value = ctx.arr / seats * extra if ctx.arr else None
    evidence = {
        "seats_purchased": seats,
        "seats_used": round(u.seats_used, 1) if u.seats_used is not None else None,
        "utilisation": round(u.utilisation, 3),
        "utilisation_before": round(u.utilisation_before, 3) if u.utilisation_before is not None else None,
        "user_growth": round(u.user_growth, 3) if u.user_growth is not None else None,
        "extra_seats": extra,
        "price_per_seat": round(ctx.arr / seats, 2) if ctx.arr else None,
    }
    return Opportunity(reasons, evidence, extra, value)


def expansion(ctx: Context) -> list[SignalResult]:
    o = expansion_opportunity(ctx)
    if o is None or ctx.fragile:  # never upsell into a fire; pair_desync tells both sides instead
        return []
    both = len(o.reasons) == 2
    full = (ctx.facts.usage.utilisation or 0) >= 1.0
    value = money(o.value, ctx.s.currency)
    return [
        SignalResult(
            kind="expansion",
            severity=HIGH if both or full else MEDIUM,
            title=f"Expansion: about {o.extra_seats} more seats (~{value})",
            reasons=[*o.reasons, f"Health {ctx.health.score}/100: ready for a growth conversation"],
            evidence=o.evidence | {"health": ctx.health.score},
            next_steps={
                "am": f"Propose {o.extra_seats} more seats (~{value}/year) with the adoption figures; ask who "
                "else should be licensed.",
                "csm": "Give the AM the teams and users driving adoption, and check onboarding capacity for "
                f"{o.extra_seats} more seats.",
            },
            value_at_stake=o.value,
        )
    ]


def usage_drop(ctx: Context) -> list[SignalResult]:
    c, u = ctx.config, ctx.facts.usage
    for field, label, t in (("active_users", "Active users", u.users), ("events", "Events", u.events)):
        if t is None or t.change > -c.usage_drop or t.below_share < c.usage_drop_share_below:
            continue
        steep = t.change <= -2 * c.usage_drop
        return [
            SignalResult(
                kind="usage_drop",
                severity=HIGH if steep or ctx.renewal_within(c.renewal_high_days + 30) else MEDIUM,
                title=f"{label} {pct(t.change)} over the last {c.usage_recent_days} days",
                reasons=[
                    f"{label} averaged {t.recent:.0f}/day over the last {c.usage_recent_days} days against "
                    f"{t.baseline:.0f} in the {c.usage_baseline_days} days before ({pct(t.change)})",
                    f"{t.below_share:.0%} of recent days were {c.usage_drop / 2:.0%}+ below their usual level: "
                    "a trend, not a dip",
                ],
                evidence={
                    "metric": field,
                    "recent_mean": round(t.recent, 1),
                    "baseline_mean": round(t.baseline, 1),
                    "change": round(t.change, 3),
                    "below_share": round(t.below_share, 2),
                    "recent_days": c.usage_recent_days,
                    "baseline_days": c.usage_baseline_days,
                    "since": (ctx.s.as_of - timedelta(days=c.usage_recent_days - 1)).isoformat(),
                },
                next_steps={
                    "am": f"{label} are down {abs(t.change):.0%}: before any commercial talk, ask your CSM what "
                    "changed and hold pricing discussions until there is a recovery plan.",
                    "csm": f"{label} are down {abs(t.change):.0%} over {c.usage_recent_days} days: find which "
                    "teams stopped using the product and book a session with their lead this week.",
                },
                value_at_stake=ctx.arr or None,
            )
        ]
    return []
