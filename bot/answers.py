"""The stored part of `/account` answers: computed from the snapshots the score run reads, kept per
account, fetched by a request with one primary-key read.

What changes between score runs is not stored: active signals (a snooze or dismissal changes them) and
open handoffs are read live by `bot.account_view`. A stored part is used only for the day it was built and
only if no sync finished and the account did not change since; otherwise the request builds it (and stores
it for the next one), so an answer is never staler than the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from statistics import fmean
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.book import load_snapshots
from bot.models import Account, HealthScore, Member, StoredAnswer, SyncRun, utcnow
from bot.views import AccountAnswer, StakeholderLine, TicketLine
from scoring.config import ScoringConfig
from scoring.rules.growth import usage_facts
from scoring.snapshot import AccountSnapshot

RECENT_TICKETS = 5
BATCH = 500  # accounts per snapshot read at score time: memory stays bounded on a large book
_LIVE = {"signals", "handoffs", "brief", "brief_by_model", "brief_model_text_id"}


def _mean(values: list[int | None]) -> float | None:
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def usage_figures(snapshot: AccountSnapshot) -> tuple[float | None, float | None, float | None]:
    """7-day mean of active users; their change and the seat use exactly as the signals compute them (one
    definition of each metric, so `/account` and a usage signal never show two numbers for one thing)."""
    now = _mean([p.active_users for p in snapshot.usage[-7:]])
    facts = usage_facts(snapshot, ScoringConfig(), snapshot.as_of)
    return now, (facts.users.change if facts.users else None), facts.utilisation


def compose(
    account: Account, snapshot: AccountSnapshot, health: HealthScore | None, owners: dict[str, str]
) -> AccountAnswer:
    """The answer's stored part, a pure function of what storage holds (no signals, handoffs or brief)."""
    now, change, utilisation = usage_figures(snapshot)
    return AccountAnswer(
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
        crm_url=account.crm_url,
    )


def _payload(answer: AccountAnswer) -> dict[str, Any]:
    return answer.model_dump(mode="json", exclude=_LIVE)


def _latest_health(session: Session, account_ids: Sequence[int]) -> dict[int, HealthScore]:
    newest = (
        select(HealthScore.account_id, func.max(HealthScore.day).label("day"))
        .where(HealthScore.account_id.in_(account_ids))
        .group_by(HealthScore.account_id)
        .subquery()
    )
    rows = session.scalars(
        select(HealthScore).join(
            newest, (HealthScore.account_id == newest.c.account_id) & (HealthScore.day == newest.c.day)
        )
    )
    return {h.account_id: h for h in rows}


def _owners(session: Session, org_id: int, emails: Iterable[str | None]) -> dict[str, str]:
    wanted = {e for e in emails if e}
    if not wanted:
        return {}
    return {
        m.email: m.name
        for m in session.scalars(select(Member).where(Member.org_id == org_id, Member.email.in_(wanted)))
    }


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def store_answers(session: Session, org_id: int, as_of: date, account_ids: Iterable[int] | None = None) -> int:
    """Compute and store the answers' stored part for the org's accounts (or the given ones), in batches;
    returns how many were stored. Called by the score run, right after the health scores are written."""
    query = select(Account.id).where(Account.org_id == org_id).order_by(Account.id)
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    ids = list(session.scalars(query))
    stored = 0
    for batch in _batches(ids, BATCH):
        snapshots = {s.account_id: s for s in load_snapshots(session, org_id, as_of, batch)}
        accounts = list(session.scalars(select(Account).where(Account.id.in_(batch))))
        health = _latest_health(session, batch)
        owners = _owners(session, org_id, [e for a in accounts for e in (a.am_email, a.csm_email)])
        built = utcnow()
        rows = [
            {
                "org_id": org_id,
                "account_id": a.id,
                "day": as_of,
                "built_at": built,
                "payload": _payload(compose(a, snapshots[a.id], health.get(a.id), owners)),
            }
            for a in accounts
            if a.id in snapshots
        ]
        session.execute(delete(StoredAnswer).where(StoredAnswer.account_id.in_(batch)))
        if rows:
            session.execute(insert(StoredAnswer), rows)
        stored += len(rows)
        session.expunge_all()  # the batch's ORM objects are not needed again: memory stays flat
    return stored


def _last_sync(session: Session, org_id: int) -> Any:
    return session.scalar(select(func.max(SyncRun.finished_at)).where(SyncRun.org_id == org_id))


def stored_part(session: Session, account: Account, today: date) -> AccountAnswer:
    """The answer's stored part for today: the stored row when still valid, else built now and stored."""
    row = session.get(StoredAnswer, account.id)
    if row is not None and row.org_id == account.org_id and row.day == today:
        last_sync = _last_sync(session, account.org_id)
        fresh = (last_sync is None or row.built_at >= last_sync) and (
            account.updated_at is None or row.built_at >= account.updated_at
        )
        if fresh:
            return AccountAnswer.model_validate(row.payload)
    snapshot = load_snapshots(session, account.org_id, today, [account.id])[0]
    health = _latest_health(session, [account.id]).get(account.id)
    answer = compose(account, snapshot, health, _owners(session, account.org_id, [account.am_email, account.csm_email]))
    try:
        with session.begin_nested():  # a concurrent request may store the same account first: fine
            if row is None:
                session.add(
                    StoredAnswer(org_id=account.org_id, account_id=account.id, day=today, payload=_payload(answer))
                )
            else:
                row.day, row.built_at, row.payload = today, utcnow(), _payload(answer)
    except IntegrityError:
        pass
    return answer
