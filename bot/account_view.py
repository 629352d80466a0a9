"""The shared read of one account (the `/account` answer), built from storage for any platform."""

from __future__ import annotations

from datetime import date
from statistics import fmean

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.book import load_snapshots
from bot.handoffs import open_handoff_summaries
from bot.models import Account, Handoff, HealthScore, Member, Signal
from bot.views import AccountAnswer, SignalLine, StakeholderLine, TicketLine
from scoring.config import ScoringConfig
from scoring.rules.growth import usage_facts
from scoring.snapshot import AccountSnapshot

RECENT_TICKETS = 5


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def _usage(snapshot: AccountSnapshot) -> tuple[float | None, float | None, float | None]:
    """7-day mean of active users; their change and the seat use exactly as the signals compute them (one
    definition of each metric, so `/account` and a usage signal never show two numbers for one thing)."""
    now = _mean([p.active_users for p in snapshot.usage[-7:]])
    facts = usage_facts(snapshot, ScoringConfig(), snapshot.as_of)
    return now, (facts.users.change if facts.users else None), facts.utilisation


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
    snapshot = load_snapshots(session, org_id, today, [account_id])[0]
    health = session.scalar(
        select(HealthScore).where(HealthScore.account_id == account_id).order_by(HealthScore.day.desc())
    )
    signals = session.scalars(
        select(Signal)
        .where(Signal.account_id == account_id, Signal.status == "active")
        .order_by(Signal.severity.desc(), Signal.kind)
    ).all()
    owners = {
        m.email: m.name
        for m in session.scalars(
            select(Member).where(Member.org_id == org_id, Member.email.in_([account.am_email, account.csm_email]))
        )
    }
    now, change, utilisation = _usage(snapshot)
    answer = AccountAnswer(
        account_id=account.id,
        external_id=account.external_id,
        name=account.name,
        domain=account.domain,
        arr=float(account.arr) if account.arr is not None else None,
        currency=account.currency,
        plan=account.plan,
        renewal_date=account.renewal_date,
        days_to_renewal=snapshot.days_to_renewal,
        am=owners.get(account.am_email or "", account.am_email),
        csm=owners.get(account.csm_email or "", account.csm_email),
        health=health.score if health else None,
        health_trend_30d=(health.components or {}).get("trend_30d") if health else None,
        signals=[
            SignalLine(
                kind=s.kind,
                severity=s.severity,
                title=s.title,
                reasons=s.reasons,
                next_steps={role: str(step) for role, step in (s.next_steps or {}).items() if step},
            )
            for s in signals
        ],
        stakeholders=[
            StakeholderLine(
                name=c.name or c.external_id,
                title=c.title,
                role=c.role,
                is_key=c.is_key_stakeholder,
                status="active" if c.active else "left",
            )
            for c in sorted(snapshot.contacts, key=lambda c: (not c.is_key_stakeholder, not c.active, c.name or ""))
        ],
        active_users_now=now,
        usage_change_30d=change,
        seat_utilisation=utilisation,
        recent_tickets=[
            TicketLine(
                external_id=t.external_id,
                subject=t.subject or "(no subject)",
                priority=t.priority,
                status=t.status,
                opened_on=t.opened_at.date(),
            )
            for t in sorted(snapshot.tickets, key=lambda t: t.opened_at, reverse=True)[:RECENT_TICKETS]
        ],
        handoffs=open_handoff_summaries(session, Handoff.account_id == account_id),
        crm_url=account.crm_url,
    )
    answer.brief = deterministic_brief(answer)
    return answer
