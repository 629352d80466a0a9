"""pair_desync: expansion pushed (or open) on an account the CSM side sees as fragile."""

from __future__ import annotations

import re
from datetime import timedelta

from scoring.facts import end_of
from scoring.results import HIGH, SignalResult
from scoring.rules import Context
from scoring.rules.growth import expansion_case, fragile

PUSH = re.compile(r"upsell|up-sell|expan|more seats|add-on|add on|cross-sell|quote|upgrade", re.IGNORECASE)


def pair_desync(ctx: Context) -> list[SignalResult]:
    if not fragile(ctx):
        return []
    s = ctx.s
    since = end_of(s.as_of) - timedelta(days=ctx.config.am_push_days)
    pushes = [
        n
        for n in s.notes
        if n.created_at >= since
        and s.am_email
        and (n.author_email or "").lower() == s.am_email.lower()
        and PUSH.search(n.body or "")
    ]
    case = expansion_case(ctx)
    if not pushes and case is None:
        return []
    why = []
    if pushes:
        why.append(
            f"The AM is pushing expansion (note {pushes[-1].external_id} on {pushes[-1].created_at:%b %d})"
        )
    if case is not None:
        why.append("Usage says expansion: " + case[0][0])
    fragility = [f"health {ctx.health.score}/100"]
    if ctx.has("support_escalation"):
        fragility.append(f"{len(ctx.facts.open_serious)} serious tickets open")
    return [
        SignalResult(
            kind="pair_desync",
            severity=HIGH,
            title="AM and CSM out of sync: expansion on a fragile account",
            reasons=[*why, "The CSM side shows the account fragile: " + ", ".join(fragility)],
            evidence={
                "push_notes": [n.external_id for n in pushes],
                "expansion_reading": case is not None,
                "health": ctx.health.score,
                "open_serious": len(ctx.facts.open_serious),
            },
            next_steps={
                "am": "Pause the expansion ask and agree a joint plan with your CSM before the next call.",
                "csm": "Tell your AM what the customer is living through now; agree when to reopen expansion.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
