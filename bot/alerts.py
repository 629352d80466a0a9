"""Immediate alerts: a key stakeholder left. Raised once per departure, for the AM and the CSM both."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.models import Account, Alert, Contact, Member, Organization, Signal
from bot.views import StakeholderAlert

STAKEHOLDER_LEFT = "stakeholder_left"


def _since(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def raise_new_alerts(session: Session, org: Organization, today: date) -> list[tuple[Alert, StakeholderAlert]]:
    """Create an Alert for every active stakeholder_left signal that has none yet, and return them."""
    known = set(
        session.scalars(select(Alert.subject_key).where(Alert.org_id == org.id, Alert.kind == STAKEHOLDER_LEFT))
    )
    raised = []
    signals = session.scalars(
        select(Signal).where(Signal.org_id == org.id, Signal.kind == STAKEHOLDER_LEFT, Signal.status == "active")
    )
    for signal in signals:
        subject = f"contact:{signal.key}"
        if subject in known:
            continue
        account = session.get_one(Account, signal.account_id)
        view = _alert_view(session, account, signal, today)
        alert = Alert(
            org_id=org.id,
            account_id=account.id,
            signal_id=signal.id,
            kind=STAKEHOLDER_LEFT,
            subject_key=subject,
            payload=view.model_dump(mode="json"),
        )
        try:
            with session.begin_nested():  # another worker may have raised it a moment ago
                session.add(alert)
        except IntegrityError:
            continue
        known.add(subject)
        raised.append((alert, view))
    return raised


def _alert_view(session: Session, account: Account, signal: Signal, today: date) -> StakeholderAlert:
    contact = session.scalar(select(Contact).where(Contact.org_id == account.org_id, Contact.external_id == signal.key))
    evidence = signal.evidence or {}
    others = [
        c
        for c in session.scalars(select(Contact).where(Contact.account_id == account.id))
        if c.left_at is None and c.status == "active" and c.external_id != signal.key
    ]
    others.sort(key=lambda c: (not (c.is_key or c.role in ("decision_maker", "champion")), c.name or ""))
    return StakeholderAlert(
        account_id=account.id,
        account_name=account.name,
        arr=float(account.arr) if account.arr is not None else None,
        currency=account.currency or "USD",
        crm_url=account.crm_url,
        contact_name=(contact.name if contact and contact.name else evidence.get("contact_name", signal.key)),
        contact_title=contact.title if contact else None,
        contact_role=contact.role if contact else None,
        since=_since(contact.left_at if contact and contact.left_at else evidence.get("left_on")),
        evidence=[str(e) for e in evidence.get("evidence", [])],
        single_threaded=sum(1 for c in others if c.is_key or c.role in ("decision_maker", "champion")) < 2,
        renewal_date=account.renewal_date,
        days_to_renewal=(account.renewal_date - today).days if account.renewal_date else None,
        others_to_engage=[f"{c.name} ({c.title})" if c.title else str(c.name) for c in others[:3] if c.name],
        next_step=str(signal.next_steps.get("am", "")),
    )


def alert_recipients(session: Session, org: Organization, account_id: int) -> list[Member]:
    """The account's AM and CSM, when they are active members of the organization."""
    account = session.get_one(Account, account_id)
    emails = [e for e in (account.am_email, account.csm_email) if e]
    if not emails:
        return []
    return list(
        session.scalars(
            select(Member).where(Member.org_id == org.id, Member.email.in_(emails), Member.active.is_(True))
        )
    )
