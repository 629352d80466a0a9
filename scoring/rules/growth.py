"""Usage signals: an expansion window opening, a sustained drop."""

from __future__ import annotations

import math
from datetime import timedelta

from scoring.results import HIGH, MEDIUM, SignalResult
from scoring.rules import Context, pct
from scoring.trends import mean_of, trend, utilisation, window


def expansion_case(ctx: Context) -> tuple[list[str], dict[str, object]] | None:
    """The raw expansion reading, before the health gate (pair_desync needs it on fragile accounts)."""
    s, c = ctx.s, ctx.config
    now = utilisation(s.usage, s.seats_purchased, s.as_of)
    before = utilisation(s.usage, s.seats_purchased, s.as_of - timedelta(days=21))
    recent = mean_of(window(s.usage, s.as_of, 14), "active_users")
    earlier = mean_of(window(s.usage, s.as_of - timedelta(days=60), 14), "active_users")
    growth = (recent - earlier) / earlier if recent is not None and earlier else None
    reasons = []
    if now is not None and before is not None and now >= c.expansion_utilisation and now > before + 0.02:
        reasons.append(
            f"Seat use {now:.0%} of {s.seats_purchased} seats, up from {before:.0%} three weeks ago"
        )
    if (
        growth is not None
        and growth >= c.expansion_growth
        and now is not None
        and now >= c.expansion_growth_utilisation
    ):
        reasons.append(f"Active users {pct(growth)} over 60 days")
    if not reasons:
        return None
    return reasons, {"utilisation": now, "utilisation_3w_ago": before, "user_growth_60d": growth}


def fragile(ctx: Context) -> bool:
    return ctx.unhealthy or ctx.has("support_escalation")


def expansion(ctx: Context) -> list[SignalResult]:
    case = expansion_case(ctx)
    if case is None or fragile(ctx):
        return []
    reasons, evidence = case
    seats = ctx.s.seats_purchased or 0
    extra = max(math.ceil(seats * ctx.config.expansion_extra_seats), 1)
    value = ctx.arr / seats * extra if seats and ctx.arr else None
    utilised = evidence.get("utilisation")
    return [
        SignalResult(
            kind="expansion",
            severity=HIGH if isinstance(utilised, float) and utilised >= 1.0 else MEDIUM,
            title=f"Expansion window: {len(reasons) and reasons[0].split(',')[0]}",
            reasons=[*reasons, f"Health {ctx.health.score}: the account can take an expansion talk"],
            evidence=evidence | {"extra_seats": extra},
            next_steps={
                "am": f"Propose {extra} more seats with the usage data; ask who else should be on the contract.",
                "csm": "Share which teams adopted fastest so the AM's proposal names real users.",
            },
            value_at_stake=value,
        )
    ]


def usage_drop(ctx: Context) -> list[SignalResult]:
    c, s = ctx.config, ctx.s
    for field, label in (("active_users", "Active users"), ("events", "Events")):
        t = trend(s.usage, field, s.as_of, c.usage_recent_days, c.usage_baseline_days)
        if t is None or t.change > -c.usage_drop or t.below_share < c.usage_below_share:
            continue
        return [
            SignalResult(
                kind="usage_drop",
                severity=HIGH if t.change <= -0.35 else MEDIUM,
                title=f"{label} {pct(t.change)} over the last {c.usage_recent_days} days",
                reasons=[
                    f"{label} averaged {t.recent:.0f} over the last {c.usage_recent_days} days against "
                    f"{t.baseline:.0f} before ({pct(t.change)})",
                    f"{t.below_share:.0%} of recent days below the earlier average: a trend, not a dip",
                ],
                evidence={
                    "field": field,
                    "recent_mean": round(t.recent, 1),
                    "baseline_mean": round(t.baseline, 1),
                    "change": round(t.change, 3),
                    "below_share": round(t.below_share, 2),
                },
                next_steps={
                    "am": "Ask your CSM what changed before you next talk money with this customer.",
                    "csm": "Find which teams stopped using the product and book a session with their lead.",
                },
                value_at_stake=ctx.arr or None,
            )
        ]
    return []
