"""The shared read of one account (the `/account` answer), for any platform: the stored part the score
run computed (bot/answers.py), plus what changes between runs, read live (active signals, open handoffs)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.answers import stored_part
from bot.handoffs import open_handoff_summaries
from bot.models import Account, Handoff, Signal
from bot.views import AccountAnswer, SignalLine


def deterministic_brief(answer: AccountAnswer) -> str:
    """Two lines from the facts alone, for when no model is configured (or it failed)."""
    first = f"{answer.name}: health {answer.health if answer.health is not None else 'unknown'}"
    if answer.health_trend_30d:
        first += f" ({answer.health_trend_30d:+d} in 30 days)"
    if answer.days_to_renewal is not None and answer.days_to_renewal >= 0:
        first += f", renewal in {answer.days_to_renewal} days"
    second = "Top signal: " + answer.signals[0].title if answer.signals else "No active signal: a quiet account."
    return f"{first}.\n{second}"


def build_account_answer(session: Session, org_id: int, account_id: int, today: date) -> AccountAnswer:
    account = session.get(Account, account_id)  # None for another organization's id under row security
    if account is None or account.org_id != org_id:  # never answer across organizations, whatever id was passed
        raise LookupError("no such account")
    answer = stored_part(session, account, today)
    signals = session.scalars(
        select(Signal)
        .where(Signal.account_id == account_id, Signal.status == "active")
        .order_by(Signal.severity.desc(), Signal.kind)
    ).all()
    answer.signals = [
        SignalLine(
            kind=s.kind,
            severity=s.severity,
            title=s.title,
            reasons=s.reasons,
            next_steps={role: str(step) for role, step in (s.next_steps or {}).items() if step},
        )
        for s in signals
    ]
    # Most accounts have no open handoff: one indexed probe spares them the four-table join.
    open_one = session.scalar(
        select(Handoff.id).where(Handoff.account_id == account_id, Handoff.status != "done").limit(1)
    )
    answer.handoffs = open_handoff_summaries(session, Handoff.account_id == account_id) if open_one else []
    answer.brief = deterministic_brief(answer)
    return answer
