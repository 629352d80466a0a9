"""support_escalation: serious tickets piling up, old open ones, a low or falling CSAT."""

from __future__ import annotations

from scoring.results import HIGH, MEDIUM, SignalResult
from scoring.rules import Context


def support_escalation(ctx: Context) -> list[SignalResult]:
    f, c = ctx.facts, ctx.config
    reasons = []
    if len(f.serious_opened_30d) >= c.escalation_opened_30d:
        reasons.append(f"{len(f.serious_opened_30d)} urgent/high tickets opened in the last 30 days")
    if len(f.open_serious) >= c.escalation_open:
        reasons.append(f"{len(f.open_serious)} urgent/high tickets still open")
    if f.old_open_serious:
        oldest = min(t.opened_at for t in f.old_open_serious)
        reasons.append(f"an urgent/high ticket open for {(ctx.s.as_of - oldest.date()).days} days")
    low_csat = f.csat_30d is not None and f.csat_30d <= c.low_csat
    falling = f.csat_30d is not None and f.csat_prior is not None and f.csat_prior - f.csat_30d >= 1
    if low_csat or (falling and reasons):
        before = f" (from {f.csat_prior:.1f})" if falling and f.csat_prior is not None else ""
        reasons.append(f"CSAT {f.csat_30d:.1f} over 30 days{before}")
    if not reasons:
        return []
    severe = len(f.open_serious) >= 3 or low_csat
    ids = sorted({t.external_id for t in f.open_serious + f.serious_opened_30d})
    return [
        SignalResult(
            kind="support_escalation",
            severity=HIGH if severe else MEDIUM,
            title=f"Support escalation: {len(f.open_serious)} serious tickets open",
            reasons=reasons,
            evidence={
                "open_serious": len(f.open_serious),
                "opened_30d": len(f.serious_opened_30d),
                "ticket_ids": ids[:20],
                "csat_30d": f.csat_30d,
                "csat_prior": f.csat_prior,
            },
            next_steps={
                "am": "Hold commercial asks; align with your CSM on a recovery plan before the next call.",
                "csm": "Run an escalation review with support today; tell the customer the plan and dates.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
