"""Renewal signals: at risk (with its drivers named), or healthy and time to prepare the value story."""

from __future__ import annotations

from scoring.results import CRITICAL, HIGH, LOW, MEDIUM, SignalResult
from scoring.rules import Context, pct
from scoring.trends import trend

DRIVER_KINDS = {
    "usage_drop": "usage falling",
    "support_escalation": "open escalations",
    "billing_risk": "failed or overdue invoices",
    "stakeholder_left": "a key stakeholder left",
    "single_threaded": "single-threaded",
}


def renewal_risk(ctx: Context) -> list[SignalResult]:
    s, c, h = ctx.s, ctx.config, ctx.health
    days = s.days_to_renewal
    if days is None or days < 0 or days > c.renewal_window_days:
        return []
    falling = h.trend_30d is not None and h.trend_30d <= -c.sharp_decline
    if not ctx.unhealthy and not falling:
        return []
    reasons = [
        f"Renewal in {days} days with health {h.score}/100"
        + (f" ({h.trend_30d:+d} in 30 days)" if h.trend_30d is not None else "")
    ]
    usage = trend(s.usage, "active_users", s.as_of, c.usage_recent_days, c.usage_baseline_days)
    if usage is not None and usage.change < 0:
        reasons.append(f"Usage trend {pct(usage.change)}")
    drivers = [label for kind, label in DRIVER_KINDS.items() if ctx.has(kind)]
    if drivers:
        reasons.append("Drivers: " + ", ".join(drivers))
    if ctx.facts.csat_30d is not None and ctx.facts.csat_30d <= 3:
        reasons.append(f"CSAT {ctx.facts.csat_30d:.1f} over 30 days")
    weakest = sorted(h.components.items(), key=lambda kv: kv[1])[:2]
    return [
        SignalResult(
            kind="renewal_risk",
            severity=CRITICAL if days <= 30 else HIGH if days <= 60 else MEDIUM,
            title=f"Renewal in {days} days at risk",
            reasons=reasons,
            evidence={
                "days_to_renewal": days,
                "renewal_date": s.renewal_date.isoformat() if s.renewal_date else None,
                "health": h.score,
                "trend_30d": h.trend_30d,
                "drivers": drivers,
                "weakest_components": dict(weakest),
            },
            next_steps={
                "am": "Build a save plan with your CSM this week: fix the drivers before any pricing talk.",
                "csm": "Lead a recovery review with the customer: show a fix for each driver and its date.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]


def renewal_prep(ctx: Context) -> list[SignalResult]:
    s, c = ctx.s, ctx.config
    days = s.days_to_renewal
    if days is None or days < 0 or ctx.unhealthy or ctx.has("renewal_risk"):
        return []
    reached = [m for m in sorted(c.prep_milestones) if days <= m]
    if not reached:
        return []
    milestone = reached[0]
    usage = trend(s.usage, "active_users", s.as_of, 30, 60)
    solved = [
        t for t in s.tickets if t.status in ("solved", "closed") and (s.as_of - t.opened_at.date()).days <= 90
    ]
    story = []
    if usage is not None:
        story.append(f"Active users {pct(usage.change)} over the last 30 days against the 60 before")
    story.append(f"{len(solved)} tickets resolved in 90 days")
    if ctx.facts.csat_30d is not None:
        story.append(f"CSAT {ctx.facts.csat_30d:.1f}")
    return [
        SignalResult(
            kind="renewal_prep",
            key=str(milestone),
            severity=MEDIUM if milestone <= 30 else LOW,
            title=f"Renewal in {days} days: prepare the value story",
            reasons=[f"Healthy account (health {ctx.health.score}) renewing on {s.renewal_date}", *story],
            evidence={
                "days_to_renewal": days,
                "milestone": milestone,
                "tickets_resolved_90d": len(solved),
                "usage_change": round(usage.change, 3) if usage else None,
            },
            next_steps={
                "am": "Arrive with the value demonstrated rather than with a discount: draft the renewal story.",
                "csm": "Gather the outcomes and adoption figures the AM needs for the renewal story.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
