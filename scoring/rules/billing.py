"""Billing: failed payments and overdue invoices, with the amount outstanding."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scoring.config import ScoringConfig
from scoring.results import CRITICAL, HIGH, LOW, MEDIUM, SignalResult
from scoring.rules import Context, money, plural
from scoring.snapshot import AccountSnapshot, InvoiceView

LONG_OVERDUE_DAYS = 30  # past this, overdue is no longer a slow payables run
HABIT_MIN_PAID = 3  # paid invoices needed before a payer's habit is known
HABIT_SLACK_DAYS = 7
GRACE_DAYS = 3  # late by up to their usual lateness plus this is still their habit


def unpaid_on(i: InvoiceView, day: date) -> bool:
    if i.paid_at is not None:
        return i.paid_at > day  # paid later: it was unpaid then
    return i.status not in ("paid", "void")


@dataclass(frozen=True)
class BillingFacts:
    failed: list[InvoiceView]  # failed, still unpaid, dated within the billing window
    overdue: list[InvoiceView]  # past due and unpaid (not counted again when failed)
    outstanding: float  # amount of both
    max_days_overdue: int
    usual_days_late: int | None  # how late this payer usually pays (paid invoices of the last year), if known
    always_paid: bool  # every earlier invoice of the window got paid, none failed unpaid

    @property
    def problems(self) -> list[InvoiceView]:
        return self.failed + self.overdue


def billing_facts(s: AccountSnapshot, c: ScoringConfig, day: date) -> BillingFacts:
    failed: list[InvoiceView] = []
    overdue: list[InvoiceView] = []
    for i in s.invoices:
        dated = i.due_at or i.issued_at
        if (i.issued_at or dated or day) > day or not unpaid_on(i, day):
            continue
        if i.status == "failed" and dated is not None and (day - dated).days <= c.billing_window_days:
            failed.append(i)
        elif (i.due_at is not None and i.due_at < day) or (i.status == "overdue" and i.due_at is None):
            overdue.append(i)
    late = [(day - i.due_at).days for i in failed + overdue if i.due_at is not None and i.due_at < day]
    paid = [
        (i.paid_at - i.due_at).days
        for i in s.invoices
        if i.paid_at is not None and i.due_at is not None and i.paid_at <= day and i.status != "void"
    ]
    lateness = sorted(max(0, d) for d in paid)
    return BillingFacts(
        failed=failed,
        overdue=overdue,
        outstanding=sum(i.amount or 0.0 for i in failed + overdue),
        max_days_overdue=max(late, default=0),
        usual_days_late=lateness[(len(lateness) * 3) // 4] if len(lateness) >= HABIT_MIN_PAID else None,
        always_paid=not any(i.status == "failed" and i.paid_at is None and i not in failed for i in s.invoices),
    )


def habitual(f: BillingFacts) -> bool:
    """A payer who is always about this late, and always pays: their usual rhythm, not a risk."""
    if f.failed or f.usual_days_late is None or not f.always_paid or len(f.overdue) > 1:
        return False
    if f.max_days_overdue <= GRACE_DAYS:  # a payment run away, from a payer who pays
        return True
    return f.usual_days_late >= GRACE_DAYS and f.max_days_overdue <= f.usual_days_late + HABIT_SLACK_DAYS


def billing_risk(ctx: Context) -> list[SignalResult]:
    c, f, s = ctx.config, ctx.facts.billing, ctx.s
    if not f.problems:
        return []
    reasons = []
    if f.failed:
        reasons.append(f"{plural(len(f.failed), 'failed payment')} in the last {c.billing_window_days} days")
    if f.overdue:
        reasons.append(f"{plural(len(f.overdue), 'invoice')} overdue and unpaid (up to {f.max_days_overdue} days late)")
    currency = s.currency or next((i.currency for i in f.problems if i.currency), None)
    reasons.append(f"{money(f.outstanding, currency)} outstanding")
    serious = len(f.problems) >= 2 or f.max_days_overdue > LONG_OVERDUE_DAYS
    severity = HIGH if serious else MEDIUM
    if serious and ctx.renewal_within(c.renewal_high_days):
        severity = CRITICAL  # unpaid bills weeks before a renewal decide the renewal
    small = bool(ctx.arr) and f.outstanding < c.billing_fyi_share * ctx.arr
    if habitual(f):
        severity = LOW
        reasons.append(
            f"Their usual rhythm: they pay about {f.usual_days_late} days late and always pay (for information)"
        )
    elif small and len(f.problems) == 1:
        severity = LOW
        reasons.append(f"Small against {money(ctx.arr, currency)} ARR (for information)")
    ids = [i.external_id for i in f.problems]
    return [
        SignalResult(
            kind="billing_risk",
            severity=severity,
            title=f"Billing: {money(f.outstanding, currency)} outstanding, {len(f.failed)} failed, "
            f"{len(f.overdue)} overdue",
            reasons=reasons,
            evidence={
                "failed_invoices": [i.external_id for i in f.failed],
                "overdue_invoices": [i.external_id for i in f.overdue],
                "outstanding": round(f.outstanding, 2),
                "currency": currency,
                "max_days_overdue": f.max_days_overdue,
                "usual_days_late": f.usual_days_late,
                "share_of_arr": round(f.outstanding / ctx.arr, 4) if ctx.arr else None,
                "comparison": f"{f.max_days_overdue} days late against their usual {f.usual_days_late}"
                if f.usual_days_late is not None
                else f"{money(f.outstanding, currency)} outstanding",
                "due_dates": {i.external_id: i.due_at.isoformat() for i in f.problems if i.due_at},
            },
            next_steps={
                "am": f"Call the buyer about {money(f.outstanding, currency)} unpaid ({', '.join(ids)}): "
                "check whether it is a card/PO problem or a signal they are reconsidering.",
                "csm": "Before your next touch, know the billing state; if payment stalls because the "
                "value is in doubt, bring usage outcomes to the AM.",
            },
            value_at_stake=f.outstanding or None,
        )
    ]
