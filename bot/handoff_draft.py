"""The draft a handoff starts from, whatever platform it is written on (Slack's modal, Teams' form)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.handoffs import HandoffDraft
from bot.views import AccountAnswer

RISK_KINDS = {
    "renewal_risk",
    "usage_drop",
    "support_escalation",
    "billing_risk",
    "stakeholder_left",
    "single_threaded",
    "pair_desync",
    "no_contact",
}


def prefill(answer: AccountAnswer, role: str, today: date) -> HandoffDraft:
    """The draft a person starts from: the top signal says what it is about and what the pair (the other
    role) should do next; a renewal close at hand sets the due date, two weeks before it at the latest."""
    if not answer.signals:
        return HandoffDraft(topic="request")
    top = answer.signals[0]
    topic = "risk" if top.kind in RISK_KINDS else "opportunity"
    note = top.title + ("\n" + "\n".join(f"• {r}" for r in top.reasons[:3]) if top.reasons else "")
    pair = "csm" if role == "am" else "am"
    next_step = top.next_steps.get(pair) or top.next_steps.get(role)
    due = None
    if answer.renewal_date is not None and answer.days_to_renewal is not None and 0 < answer.days_to_renewal <= 90:
        due = max(answer.renewal_date - timedelta(days=min(14, answer.days_to_renewal // 2)), today + timedelta(days=1))
    return HandoffDraft(topic=topic, note=note, next_step=next_step, due_date=due)
