"""What the digest buttons do, whatever platform they were pressed on: snooze, done, feedback."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Account, Feedback, Member, Signal, utcnow
from bot.render import actions as act

SNOOZE_DAYS = 7


def _owned_signals(session: Session, member: Member, signal_ids: list[int]) -> list[Signal]:
    """Only signals of the member's own organization, on accounts they own (or any, for a manager)."""
    rows = session.execute(
        select(Signal, Account)
        .join(Account, Account.id == Signal.account_id)
        .where(Signal.id.in_(signal_ids), Signal.org_id == member.org_id)
    ).all()
    return [s for s, a in rows if member.role == "manager" or member.email in (a.am_email, a.csm_email)]


def snooze(session: Session, member: Member, signal_ids: list[int], days: int = SNOOZE_DAYS) -> int:
    signals = _owned_signals(session, member, signal_ids)
    until = utcnow() + timedelta(days=days)
    for s in signals:
        s.snoozed_until = until
        s.announced_severity = max(s.announced_severity or 0, s.severity)
    return len(signals)


def mark_handled(session: Session, member: Member, signal_ids: list[int]) -> int:
    signals = _owned_signals(session, member, signal_ids)
    for s in signals:
        s.handled_at = utcnow()
        s.announced_severity = max(s.announced_severity or 0, s.severity)
    return len(signals)


def record_feedback(session: Session, member: Member, signal_ids: list[int], useful: bool) -> int:
    signals = _owned_signals(session, member, signal_ids)
    for s in signals:
        session.add(Feedback(org_id=member.org_id, member_id=member.id, signal_id=s.id, kind=s.kind, useful=useful))
    return len(signals)


def perform(session: Session, member: Member, action: str, signal_ids: list[int]) -> str:
    """A digest button pressed: do it and say what was done, in words the person reads as the reply."""
    if action == act.SNOOZE:
        n = snooze(session, member, signal_ids)
        if not n:
            return "Nothing to snooze: these signals are not on your accounts."
        return f"Snoozed for {SNOOZE_DAYS} days ({n} signal{'s' if n != 1 else ''})."
    if action == act.DONE:
        n = mark_handled(session, member, signal_ids)
        if not n:
            return "Nothing to mark: these signals are not on your accounts."
        return f"Marked as done ({n} signal{'s' if n != 1 else ''}); it stays quiet unless it gets worse."
    if action in act.FEEDBACK_ACTIONS:
        n = record_feedback(session, member, signal_ids, action == act.FEEDBACK_USEFUL)
        return "Thanks, noted." if n else "Nothing to note on this item."
    raise ValueError(f"not an item action: {action}")
