"""Renewal: at risk (with its drivers named), or healthy and time to prepare the value story."""

from __future__ import annotations

from scoring.results import CRITICAL, HIGH, LOW, MEDIUM, SignalResult
from scoring.rules import Context, day, money, pct, plural
from scoring.rules.growth import find_drop

USAGE_DRIVER = -0.10  # a usage fall this large is worth naming as a driver even below usage_drop
LOW_UTILISATION = 0.50  # half the seats unused before a renewal is a downsell risk, not a value story
VALUE_UTILISATION = 0.70  # seat use worth citing in a value story


def _drivers(ctx: Context) -> tuple[list[str], dict[str, object]]:
    """The reasons an at-risk renewal is at risk, each with its number, and the same as evidence."""
    c, f = ctx.config, ctx.facts
    reasons: list[str] = []
    found: dict[str, object] = {}
    drop = find_drop(ctx)
    usage = f.usage.users or f.usage.health_change
    if drop is not None:
        reasons.append(f"{drop.label} {drop.comparison} ({drop.t.baseline:.0f} → {drop.t.recent:.0f}/day)")
        found["usage_change"] = round(drop.t.change, 3)
        found["usage_comparison"] = drop.comparison
    elif usage is not None and usage.change <= USAGE_DRIVER:
        reasons.append(f"Active users {pct(usage.change)} ({usage.baseline:.0f} → {usage.recent:.0f}/day)")
        found["usage_change"] = round(usage.change, 3)
    if "seats" in _whole_picture(ctx) and f.usage.utilisation is not None:
        reasons.append(f"Only {f.usage.utilisation:.0%} of {ctx.s.seats_purchased} seats used: downsell risk")
        found["utilisation"] = round(f.usage.utilisation, 3)
    if f.support.open_serious:
        reasons.append(f"{plural(len(f.support.open_serious), 'open urgent/high ticket')}")
        found["open_escalations"] = [t.external_id for t in f.support.open_serious]
    if f.support.csat_low(c) or f.support.csat_falling(c):
        reasons.append(f"Low CSAT: {f.support.csat_recent:.1f} over {c.support_window_days} days")
        found["csat"] = round(f.support.csat_recent or 0, 2)
    if f.billing.failed or f.billing.overdue:
        reasons.append(
            f"{plural(len(f.billing.failed), 'failed invoice')}, {len(f.billing.overdue)} overdue "
            f"({money(f.billing.outstanding, ctx.s.currency)} outstanding)"
        )
        found["problem_invoices"] = [i.external_id for i in f.billing.problems]
    lost = f.relationship.recent_departures(f.day, 90)
    if lost:
        names = ", ".join(f"{d.contact.name or d.contact.external_id} ({d.contact.role or 'key'})" for d in lost)
        reasons.append(f"Lost key contact: {names}")
        found["departed_contacts"] = [d.contact.external_id for d in lost]
    if len(f.relationship.active_key) < c.min_key_contacts:
        reasons.append(f"Single-threaded: {plural(len(f.relationship.active_key), 'active key contact')}")
        found["active_key_contacts"] = len(f.relationship.active_key)
    days = f.relationship.days_since_touch
    if days is None or days >= c.no_contact_days:
        reasons.append(f"No touch for {days} days" if days is not None else "No touch on record")
        found["days_since_touch"] = days
    return reasons, found


def _whole_picture(ctx: Context) -> list[str]:
    """What an AM counts against a renewal beyond the health score, each enough on its own."""
    c, f = ctx.config, ctx.facts
    out = []
    close = ctx.renewal_within(c.renewal_prep_days)  # weeks away: seats and people decide the renewal now
    if ctx.has("usage_drop"):
        out.append("usage")
    idle = [f.usage.utilisation, f.usage.utilisation_long_ago]
    if close and all(u is not None and u < LOW_UTILISATION for u in idle):  # idle now and two months ago
        out.append("seats")
    if ctx.has("support_escalation"):
        out.append("escalation")
    if close and f.relationship.recent_departures(f.day, c.renewal_window_days):
        out.append("departure")
    if any(r.kind == "billing_risk" and r.severity >= HIGH for r in ctx.fired):
        out.append("billing")
    return out


def renewal_risk(ctx: Context) -> list[SignalResult]:
    c, h, s = ctx.config, ctx.health, ctx.s
    days = ctx.days_to_renewal
    if days is None or not ctx.renewal_within(c.renewal_window_days):
        return []
    picture = _whole_picture(ctx)
    if not (ctx.unhealthy or ctx.falling or picture):
        return []
    trend = f" ({h.trend_30d:+d} in 30 days)" if h.trend_30d is not None else ""
    why = "below" if ctx.unhealthy else "falling fast toward" if ctx.falling else "above"
    drivers, found = _drivers(ctx)
    weakest = sorted(h.components.items(), key=lambda kv: kv[1])[:2]
    named = "; ".join(drivers) if drivers else "weakest: " + ", ".join(f"{k} {v:.0f}" for k, v in weakest)
    renewal = s.renewal_date.isoformat() if s.renewal_date else "?"
    renews = day(s.renewal_date) if s.renewal_date else "?"
    return [
        SignalResult(
            kind="renewal_risk",
            severity=CRITICAL
            if days <= c.renewal_critical_days or ("departure" in picture and days <= c.renewal_high_days)
            else HIGH
            if days <= c.renewal_high_days or "departure" in picture
            else MEDIUM,
            title=f"Renewal in {days} days at risk: health {h.score}{trend}",
            reasons=[
                f"Renews {renews} ({days} days) with health {h.score}/100{trend}, {why} the "
                f"healthy mark of {c.health_threshold:.0f}"
                + (f"; at risk on {', '.join(picture)}" if picture and not ctx.unhealthy else ""),
                *drivers,
            ],
            evidence={
                "days_to_renewal": days,
                "renewal_date": renewal,
                "health": h.score,
                "trend_30d": h.trend_30d,
                "threshold": c.health_threshold,
                "drivers": found,
                "at_risk_on": picture,
                "comparison": f"health {h.score} against the {c.health_threshold:.0f} threshold{trend}, "
                f"{days} days before renewal" + (f", at risk on {', '.join(picture)}" if picture else ""),
                "weakest_components": dict(weakest),
                "arr": ctx.arr,
            },
            next_steps={
                "am": f"{money(ctx.arr or None, s.currency)} renews in {days} days at risk ({named}): agree a "
                "save plan with your CSM this week and fix the drivers before any pricing talk.",
                "csm": f"Renewal in {days} days with health {h.score} ({named}): run a recovery review with "
                "the customer and give the AM a fix and a date for each driver.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]


def renewal_prep(ctx: Context) -> list[SignalResult]:
    c, s, f = ctx.config, ctx.s, ctx.facts
    days = ctx.days_to_renewal
    if days is None or not ctx.renewal_within(c.renewal_prep_days) or ctx.unhealthy or ctx.falling:
        return []
    if any(ctx.has(k) for k in ("renewal_risk", "usage_drop", "support_escalation", "stakeholder_left")):
        return []
    milestone = min(m for m in c.renewal_prep_milestones if m >= days)
    solved = [
        t
        for t in s.tickets
        if (t.closed_at is not None or t.status in ("solved", "closed"))
        and (s.as_of - (t.closed_at or t.opened_at).date()).days <= 90
    ]
    story: list[str] = []
    evidence: dict[str, object] = {"days_to_renewal": days, "milestone": milestone, "health": ctx.health.score}
    # The value story cites strengths only: half the seats unused is a risk, never value.
    if f.usage.user_growth is not None and f.usage.user_growth >= 0:
        story.append(f"Active users {pct(f.usage.user_growth)} over {c.expansion_growth_days} days")
        evidence["user_growth"] = round(f.usage.user_growth, 3)
    if f.usage.utilisation is not None:
        evidence["utilisation"] = round(f.usage.utilisation, 3)
        if f.usage.utilisation >= VALUE_UTILISATION:  # low seat use is a weakness to work on, never value
            story.append(f"Seat use {f.usage.utilisation:.0%}")
    if solved:
        story.append(f"{plural(len(solved), 'ticket')} resolved in 90 days")
    evidence["tickets_resolved_90d"] = len(solved)
    if f.support.csat_recent is not None and f.support.csat_recent >= 4:
        story.append(f"CSAT {f.support.csat_recent:.1f}")
        evidence["csat"] = round(f.support.csat_recent, 2)
    facts = ", ".join(story) or "the outcomes they bought it for"
    return [
        SignalResult(
            kind="renewal_prep",
            key=str(milestone),
            severity=LOW if milestone == c.renewal_prep_milestones[0] else MEDIUM,
            title=f"Renewal in {days} days: prepare the value story",
            reasons=[f"Healthy account (health {ctx.health.score}/100)", *story],
            evidence=evidence,
            next_steps={
                "am": f"Renewal in {days} days: draft the value story ({facts}) and book the renewal "
                "conversation; lead with value, not a discount.",
                "csm": f"Renewal in {days} days: gather the outcomes behind the numbers ({facts}) and a "
                "customer quote for the AM's value story.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
