"""The portfolio's indicators per member, per team and for the organization.

Outcome (bot.outcomes): renewal rate, GRR, NRR over a trailing 12 months of ARR history. Steering: value at
risk, expansion pipeline and coverage, with the digest header's definitions (bot.digest.book_figures).
A team is the role's team: the AMs' accounts (those with an AM) or the CSMs' (those with a CSM).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.digest import book_figures, member_accounts
from bot.models import Account, Member, Organization
from bot.outcomes import history_since, load_timelines, renewal_rate, retention
from bot.portfolio_view import Indicator, Portfolio

COVERAGE_DAYS = 30
TEAM_LABELS = {"am": "AM team", "csm": "CSM team"}


def portfolio_of(
    session: Session, org: Organization, accounts: list[Account], as_of: date, scope: str, label: str
) -> Portfolio:
    timelines = load_timelines(session, org.id, [a.id for a in accounts])
    grr, nrr = retention(timelines, as_of)
    figures = book_figures(session, org, accounts, as_of)
    today = {"period_start": as_of, "period_end": as_of}
    return Portfolio(
        scope=scope,
        label=label,
        as_of=as_of,
        currency=figures.currency,
        accounts=figures.accounts,
        arr_total=figures.arr_total,
        history_since=history_since(timelines),
        renewal_rate=renewal_rate(timelines, as_of),
        grr=grr,
        nrr=nrr,
        value_at_risk=Indicator(
            value=figures.arr_at_risk,
            unit="money",
            basis="ARR of the accounts with an active renewal-risk signal, today",
            **today,
        ),
        expansion_pipeline=Indicator(
            value=figures.expansion_pipeline,
            unit="money",
            basis="value at stake of the active expansion signals, today",
            **today,
        ),
        coverage=Indicator(
            value=figures.coverage_30d,
            period_start=as_of - timedelta(days=COVERAGE_DAYS),
            period_end=as_of,
            basis=f"share of the accounts with a note or logged touch in the last {COVERAGE_DAYS} days",
        ),
    )


def team_accounts(session: Session, org_id: int, role: str) -> list[Account]:
    owner = Account.am_email if role == "am" else Account.csm_email
    query = select(Account).where(Account.org_id == org_id, owner.is_not(None)).order_by(Account.name)
    return list(session.scalars(query))


def member_portfolio(session: Session, org: Organization, member: Member, as_of: date) -> Portfolio:
    return portfolio_of(session, org, member_accounts(session, org.id, member), as_of, "member", member.email)


def team_portfolio(session: Session, org: Organization, role: str, as_of: date) -> Portfolio:
    return portfolio_of(session, org, team_accounts(session, org.id, role), as_of, "team", TEAM_LABELS[role])


def organization_portfolio(session: Session, org: Organization, as_of: date) -> Portfolio:
    accounts = list(session.scalars(select(Account).where(Account.org_id == org.id).order_by(Account.name)))
    return portfolio_of(session, org, accounts, as_of, "organization", org.name)


def portfolio_report(session: Session, org: Organization, as_of: date, member: Member | None = None) -> dict[str, Any]:
    """What `tandem portfolio --json` prints: the organization, its teams and its members (or one member
    and their team)."""
    if member is not None:
        members = [member]
        roles = [member.role] if member.role in TEAM_LABELS else list(TEAM_LABELS)
    else:
        members = list(
            session.scalars(
                select(Member)
                .where(Member.org_id == org.id, Member.active.is_(True), Member.role.in_(tuple(TEAM_LABELS)))
                .order_by(Member.role, Member.email)
            )
        )
        roles = list(TEAM_LABELS)
    return {
        "as_of": as_of.isoformat(),
        "organization": organization_portfolio(session, org, as_of).model_dump(mode="json"),
        "teams": [team_portfolio(session, org, role, as_of).model_dump(mode="json") for role in roles],
        "members": [member_portfolio(session, org, m, as_of).model_dump(mode="json") for m in members],
    }
