"""Pair: the AM side is pushing (or could push) expansion while the CSM side shows the account fragile."""

from __future__ import annotations

import re
from datetime import timedelta

from scoring.results import CRITICAL, HIGH, SignalResult
from scoring.rules import Context, day
from scoring.rules.growth import expansion_opportunity
from scoring.snapshot import NoteView

PUSH = re.compile(
    r"up-?sell|expan(?:sion|d)|(?:more|additional|extra) (?:seats|licen[cs]es|users)|add-?on|quote"
    r"|cross-?sell|upgrade",
    re.IGNORECASE,
)


def am_push(ctx: Context) -> NoteView | None:
    """The AM's latest note within the window that talks about selling more."""
    am = (ctx.s.am_email or "").lower()
    if not am:
        return None
    since = ctx.s.as_of - timedelta(days=ctx.config.am_push_days)
    pushes = [
        n
        for n in ctx.s.notes
        if (n.author_email or "").lower() == am
        and since < n.created_at.date() <= ctx.s.as_of
        and PUSH.search(n.body or "")
    ]
    return max(pushes, key=lambda n: n.created_at, default=None)


def pair_desync(ctx: Context) -> list[SignalResult]:
    if not ctx.fragile:
        return []
    push, opportunity = am_push(ctx), expansion_opportunity(ctx)
    if push is None and opportunity is None:
        return []
    c, f, h = ctx.config, ctx.facts, ctx.health
    fragility = []
    if ctx.unhealthy:
        fragility.append(f"health {h.score}/100 (healthy is {c.health_threshold:.0f}+)")
    if ctx.has("support_escalation"):
        fragility.append(f"{len(f.support.open_serious)} urgent/high tickets open")
        if f.support.csat_recent is not None:
            fragility.append(f"CSAT {f.support.csat_recent:.1f}")
    fragile = ", ".join(fragility)
    reasons = []
    if push is not None:
        body = (push.body or "").strip().replace("\n", " ")
        reasons.append(f"Expansion pitched on {day(push.created_at.date())}: \u201c{body[:140]}\u201d")
    if opportunity is not None:
        reasons.extend(opportunity.reasons)
    reasons.append(f"The account is fragile: {fragile}")
    escalated = any(s.kind == "support_escalation" and s.severity == CRITICAL for s in ctx.fired)
    return [
        SignalResult(
            kind="pair_desync",
            severity=CRITICAL if escalated and push is not None else HIGH,
            title="Expansion pitched on a fragile account" if push else "Expansion case on a fragile account",
            reasons=reasons,
            evidence={
                "am_note_id": push.external_id if push else None,
                "am_note_on": push.created_at.date().isoformat() if push else None,
                "expansion": opportunity.evidence if opportunity else None,
                "health": h.score,
                "support_escalation": ctx.has("support_escalation"),
                "open_urgent_high": [t.external_id for t in f.support.open_serious],
                "csat_recent": round(f.support.csat_recent, 2) if f.support.csat_recent is not None else None,
            },
            next_steps={
                "am": f"Hold the expansion ask: the account is fragile ({fragile}). Sync with your CSM and "
                "sequence it after the fixes land.",
                "csm": "Your AM is "
                + ("pitching an expansion" if push else "looking at an expansion case")
                + f" while the account is fragile ({fragile}): brief the AM today on what must be fixed first.",
            },
            value_at_stake=(opportunity.value if opportunity else None) or ctx.arr or None,
        )
    ]
