"""Usage: an expansion window opening, or a sustained drop. Both read window means, never one day."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from scoring.config import ScoringConfig
from scoring.results import HIGH, MEDIUM, SignalResult
from scoring.rules import Context, money, pct
from scoring.seasons import YEAR_DAYS
from scoring.snapshot import AccountSnapshot
from scoring.trends import Off, Series, WindowChange, growth, peak, usage_series, window_change, working_mean

LAST_WEEK = 7  # a fall that the last week no longer shows has recovered: an outage, not a trend
EVENTS_MIN_USERS = 10  # events speak for a team of at least this many daily users (or with no user count)


@dataclass(frozen=True)
class UsageFacts:
    users: WindowChange | None  # active users, recent window against the baseline window
    users_long: WindowChange | None  # the last 14 days against the 14 ending usage_long_days before
    users_last_week: WindowChange | None  # the last week against the same baseline: a recovery shows here
    events: WindowChange | None
    events_long: WindowChange | None
    health_change: WindowChange | None  # what the health usage component reads (the drop as it stands)
    seats_used: float | None  # seats in use on the busiest weekday of the last two weeks (users if unreported)
    utilisation: float | None  # seats_used / seats purchased
    utilisation_long_ago: float | None  # the same usage_long_days before: idle seats that stay idle
    utilisation_recent: float | None  # last 14 days
    utilisation_before: float | None  # the 16 days before those (days 15-30)
    over_licence: float | None  # the lowest utilisation of the last expansion_over_days, in 4-week blocks
    user_growth: float | None  # last 14 days against 14 days ending expansion_growth_days earlier
    user_growth_abs: float | None  # the same in users a day
    users_vs_last_year: WindowChange | None  # the last 14 working days against the same weeks a year ago


def _guarded(t: WindowChange | None, yoy: WindowChange | None, threshold: float) -> float | None:
    """Growth, unless last year's season could not be divided out and the same weeks a year ago were as high."""
    if t is None:
        return None
    if not t.seasonal and yoy is not None and t.change > 0 and yoy.change < threshold:
        return min(t.change, max(yoy.change, 0.0))
    return t.change


def _mean(ser: Series, end: date, days: int, off: Off) -> float | None:
    return working_mean(ser, end, days, off)


def usage_facts(
    s: AccountSnapshot,
    c: ScoringConfig,
    day: date,
    by_metric: dict[str, Series] | None = None,
    off: Off = frozenset(),
    brief: bool = False,
) -> UsageFacts:
    """The usage facts of `day`; `brief` reads only what health needs (the 30-day-ago side of its trend)."""
    by_metric = by_metric or usage_series(s.usage_last_year + s.usage)
    users, events, seats = by_metric["active_users"], by_metric["events"], by_metric["seats_used"]
    if not seats.days:
        seats = users  # no seat assignment reported: active users are the closest measure
    recent, base = c.usage_recent_days, c.usage_baseline_days
    year = YEAR_DAYS if s.usage_last_year else None
    margin = c.usage_drop / 2  # a recent day is "below" when half the drop threshold under its weekday's level
    used = peak(seats, day, 14, off)
    purchased = s.seats_purchased or 0

    def share(v: float | None) -> float | None:
        return v / purchased if v is not None and purchased > 0 else None

    def trends(ser: Series, year: int | None) -> tuple[WindowChange | None, WindowChange | None]:
        short = window_change(ser, day, recent, base, margin, off, last_year=year)
        long = window_change(ser, day, recent, recent, margin, off, gap_days=c.usage_long_days, last_year=year)
        return short, long

    u_short, u_long = trends(users, year)
    u_week = window_change(users, day, LAST_WEEK, base, margin, off, gap_days=recent, last_year=year)
    e_short = e_long = None
    if events.days and not (brief and users.days):
        # Events speak when users hold (no season then) or when there is no user count: last year only then.
        e_short, e_long = trends(events, None if users.days else year)
    health = u_long or u_short if users.days else e_long or e_short
    if health and u_week and users.days and -c.usage_drop / 2 < u_week.change and u_week.change > health.change:
        health = u_week  # back to its level last week: read the recovery, not the outage
    if brief:
        return UsageFacts(u_short, u_long, u_week, e_short, e_long, health, used, share(used), *[None] * 7)
    grown = growth(users, day, c.expansion_growth_days, off=off, last_year=year)
    yoy = window_change(users, day, recent, recent, off=off, gap_days=YEAR_DAYS) if year else None
    blocks = [share(_mean(seats, day - timedelta(days=k), 28, off)) for k in range(0, c.expansion_over_days, 28)]
    return UsageFacts(
        users=u_short,
        users_long=u_long,
        users_last_week=u_week,
        events=e_short,
        events_long=e_long,
        health_change=health,
        seats_used=used,
        utilisation=share(used),
        utilisation_recent=share(_mean(seats, day, 14, off)),
        utilisation_before=share(_mean(seats, day - timedelta(days=14), 16, off)),
        utilisation_long_ago=share(peak(seats, day - timedelta(days=c.usage_long_days), 14, off)),
        over_licence=min(b for b in blocks if b is not None) if blocks and None not in blocks else None,
        user_growth=_guarded(grown, yoy, c.expansion_user_growth),
        user_growth_abs=grown.recent - grown.baseline if grown else None,
        users_vs_last_year=yoy,
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
    if u.over_licence is not None and u.over_licence >= c.expansion_over_licence:
        weeks = c.expansion_over_days // 7
        reasons.append(
            f"Seat use {u.utilisation:.0%} of {seats} seats, over licence (at least {u.over_licence:.0%}) for "
            f"{weeks} weeks: a true-up is due"
        )
    rise = (
        (u.utilisation_recent - u.utilisation_before) * seats
        if u.utilisation_recent is not None and u.utilisation_before is not None
        else None
    )
    # A rise must be a share of the seats and whole people: one seat more on a 5-seat team is a wobble.
    team = seats >= c.expansion_min_team
    rising = team and rise is not None and rise >= max(c.expansion_seat_rise * seats, 1)
    if not reasons and u.utilisation >= c.expansion_seat_utilisation and rising:
        reasons.append(
            f"Seat use {u.utilisation:.0%} of {seats} seats and rising "
            f"({u.utilisation_before:.0%} → {u.utilisation_recent:.0%} over 30 days)"
        )
    if (
        u.user_growth is not None
        and u.user_growth >= c.expansion_user_growth
        and team
        and (u.user_growth_abs or 0) >= 1
        and u.utilisation >= c.expansion_growth_utilisation
    ):
        reasons.append(
            f"Active users {pct(u.user_growth)} over {c.expansion_growth_days} days (working days, holidays left "
            f"out) at {u.utilisation:.0%} seat use"
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
        "over_licence_since": round(u.over_licence, 3) if u.over_licence is not None else None,
        "user_growth": round(u.user_growth, 3) if u.user_growth is not None else None,
        "extra_seats": extra,
        "price_per_seat": round(ctx.arr / seats, 2) if ctx.arr else None,
        "comparison": reasons[0],
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


@dataclass(frozen=True)
class Drop:
    label: str  # "Active users" | "Events"
    metric: str
    t: WindowChange
    path: str  # short | long
    comparison: str  # the sentence that says what was compared with what


def _compared(c: ScoringConfig, t: WindowChange, path: str, steady: bool) -> str:
    if path == "long":
        said = f"{pct(t.change)} over {c.usage_long_days // 7} weeks, " + ("steady" if steady else "sudden")
    else:
        said = f"{pct(t.change)} over the last {c.usage_recent_days} days against the {c.usage_baseline_days} before"
    if t.last_year_change is not None:
        said += f" ({pct(t.change)} vs the same weeks last year, which moved {pct(t.last_year_change)})"
    return said


def find_drop(ctx: Context) -> Drop | None:
    """The sustained fall, if any: short or long window, same weekdays, holidays out, last year's season out."""
    c, u = ctx.config, ctx.facts.usage
    users_ref = u.users_long or u.users
    users_base = users_ref.baseline if users_ref is not None else None
    candidates = [("Active users", "active_users", u.users, u.users_long, c.usage_min_users)]
    users_hold = all(t is None or t.change > -c.usage_drop / 2 for t in (u.users, u.users_long))
    if users_base is None or (users_base >= EVENTS_MIN_USERS and users_hold):
        candidates.append(("Events", "events", u.events, u.events_long, 0.0))
    week = u.users_last_week
    for label, metric, short, long, floor in candidates:
        for path, t in (("long", long), ("short", short)):
            if t is None or t.change > -c.usage_drop or t.below_share < c.usage_drop_share_below:
                continue
            if t.baseline - t.recent < floor:  # a handful of users: a floor on people, not a percentage
                continue
            yoy = u.users_vs_last_year
            if not t.seasonal and yoy is not None and yoy.change > -c.usage_drop / 2:
                continue  # no season to divide out, but the same weeks last year were as low: a season
            users_fell = u.users is not None and u.users.change <= -c.usage_drop / 2
            if week is not None and (metric == "active_users" or users_fell):
                long_base = u.users_long.baseline if u.users_long else None  # the user count, in its units
                back = week.recent / long_base - 1 if path == "long" and long_base else week.change
                if back > -c.usage_drop / 2 and week.below_share < 0.5:
                    continue  # the last days are back at their level: an outage that recovered
            steady = path == "long" and short is not None and short.raw_change < 0 and short.change > t.change
            return Drop(label, metric, t, path, _compared(c, t, path, steady))
    return None


def usage_drop(ctx: Context) -> list[SignalResult]:
    c = ctx.config
    d = find_drop(ctx)
    if d is None:
        return []
    t, label = d.t, d.label
    steep = t.change <= -2 * c.usage_drop
    span = f"{c.usage_long_days // 7} weeks" if d.path == "long" else f"{c.usage_recent_days} days"
    return [
        SignalResult(
            kind="usage_drop",
            severity=HIGH if steep or ctx.renewal_within(c.renewal_high_days + 30) else MEDIUM,
            title=f"{label} {pct(t.change)} over the last {span}",
            reasons=[
                f"{label} {d.comparison}: {t.baseline:.0f} → {t.recent:.0f}/day on the same weekdays, holidays "
                "left out",
                f"{t.below_share:.0%} of recent days were {c.usage_drop / 2:.0%}+ below their usual level: "
                "a trend, not a dip",
            ],
            evidence={
                "metric": d.metric,
                "comparison": d.comparison,
                "window": d.path,
                "recent_mean": round(t.recent, 1),
                "baseline_mean": round(t.baseline, 1),
                "change": round(t.change, 3),
                "raw_change": round(t.raw_change, 3),
                "last_year_change": round(t.last_year_change, 3) if t.last_year_change is not None else None,
                "below_share": round(t.below_share, 2),
                "recent_days": c.usage_recent_days,
                "baseline_days": c.usage_recent_days if d.path == "long" else c.usage_baseline_days,
                "since": (ctx.s.as_of - timedelta(days=c.usage_recent_days - 1)).isoformat(),
            },
            next_steps={
                "am": f"{label} are down {abs(t.change):.0%} ({d.comparison}): before any commercial talk, ask "
                "your CSM what changed and hold pricing discussions until there is a recovery plan.",
                "csm": f"{label} are down {abs(t.change):.0%} ({d.comparison}): find which teams stopped using "
                "the product and book a session with their lead this week.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
