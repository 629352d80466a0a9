"""billing_risk: failed payments and overdue invoices."""

from __future__ import annotations

from scoring.results import HIGH, MEDIUM, SignalResult
from scoring.rules import Context


def billing_risk(ctx: Context) -> list[SignalResult]:
    failed, overdue = ctx.facts.failed_invoices, ctx.facts.overdue_invoices
    if not failed and not overdue:
        return []
    outstanding = sum(i.amount or 0.0 for i in failed + overdue)
    reasons = []
    if failed:
        reasons.append(f"{len(failed)} failed payment(s) in the last {ctx.config.billing_lookback_days} days")
    for i in overdue:
        assert i.due_at is not None
        reasons.append(f"invoice {i.external_id} overdue by {(ctx.s.as_of - i.due_at).days} days")
    severe = len(failed) + len(overdue) >= 2 or (ctx.arr and outstanding >= 0.1 * ctx.arr)
    return [
        SignalResult(
            kind="billing_risk",
            severity=HIGH if severe else MEDIUM,
            title=f"Billing: {len(failed)} failed, {len(overdue)} overdue",
            reasons=reasons[:5],
            evidence={
                "failed": [i.external_id for i in failed],
                "overdue": [i.external_id for i in overdue],
                "outstanding": round(outstanding, 2),
            },
            next_steps={
                "am": "Ask finance and the buyer whether it is a card problem or a budget one.",
                "csm": "Mention the payment issue to your contact gently; flag any budget worry to the AM.",
            },
            value_at_stake=outstanding or None,
        )
    ]
