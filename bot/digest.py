"""Building each member's morning digest: what needs them today, most valuable first, within budget."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.alerts import STAKEHOLDER_LEFT
from bot.handoffs import open_handoff_summaries
from bot.models import Account, Digest, Handoff, HealthScore, Member, Note, Organization, Signal
from bot.views import Digest as DigestView
from bot.views import DigestItem, Figures
from scoring.results import CRITICAL, SEVERITY_NAMES

URGENT_RENEWAL_DAYS = 30  # a renewal at risk this close may break the attention budget
MORE_NAMES_KEPT = 50  # accounts named in "and N more" (the count covers them all)

KIND_ORDER = (
    "stakeholder_left",
    "renewal_risk",
    "pair_desync",
    "billing_risk",
    "support_escalation",
    "usage_drop",
    "single_threaded",
    "expansion",
    "renewal_prep",
    "no_contact",
)


def member_accounts(session: Session, org_id: int, member: Member) -> list[Account]:
    query = select(Account).where(Account.org_id == org_id)
    if member.role == "am":
        query = query.where(Account.am_email == member.email)
    elif member.role == "csm":
        query = query.where(Account.csm_email == member.email)
    return list(session.scalars(query.order_by(Account.name)))


def _is_quiet(signal: Signal, now: datetime) -> bool:
    """Snoozed (until a date) or handled ("Done"): quiet unless it got worse than when it was quieted."""
    snoozed = signal.snoozed_until is not None and signal.snoozed_until > now
    if not snoozed and signal.handled_at is None:
        return False
    return signal.announced_severity is not None and signal.severity <= signal.announced_severity


def may_exceed_budget(item: DigestItem) -> bool:
    """The only items that break the attention budget: a key stakeholder gone, a renewal at risk within
    30 days. Everything else waits its turn in "and N more"."""
    soon = item.days_to_renewal is not None and item.days_to_renewal <= URGENT_RENEWAL_DAYS
    return STAKEHOLDER_LEFT in item.kinds or ("renewal_risk" in item.kinds and soon)


def _previous_severities(session: Session, member: Member, day: date) -> dict[str, int] | None:
    prev = session.scalar(
        select(Digest).where(Digest.member_id == member.id, Digest.day < day).order_by(Digest.day.desc())
    )
    return None if prev is None else dict(prev.payload.get("seen", {}))


def _change(signals: list[Signal], previous: dict[str, int] | None) -> str:
    if previous is None:
        return "new"
    states = []
    for s in signals:
        before = previous.get(str(s.id))
        states.append("new" if before is None else "worse" if s.severity > before else "ongoing")
    return "new" if "new" in states else "worse" if "worse" in states else "ongoing"


def _rank(item: DigestItem) -> tuple[int, int, float, int]:
    fresh = 0 if item.change == "ongoing" else 1
    urgency = -(item.days_to_renewal if item.days_to_renewal is not None else 10_000)
    return (item.severity, fresh, item.value_at_stake or item.arr or 0.0, urgency)


def _money(value: Any) -> float:
    return float(value) if value is not None else 0.0


def build_digest(
    session: Session, org: Organization, member: Member, day: date, now: datetime | None = None
) -> tuple[DigestView, dict[str, int]]:
    """The digest and the severities of every situation it considered (to diff against tomorrow)."""
    now = now or datetime.now(UTC)
    accounts = member_accounts(session, org.id, member)
    by_id = {a.id: a for a in accounts}
    health = {
        h.account_id: h.score
        for h in session.scalars(select(HealthScore).where(HealthScore.org_id == org.id, HealthScore.day == day))
    }
    grouped: dict[int, list[Signal]] = defaultdict(list)
    muted = set(member.muted_kinds or [])  # the member's choice; critical items show whatever it says
    # Only the member's accounts' signals: a morning of a thousand digests must not load the whole book each time.
    mine = select(Signal).where(Signal.org_id == org.id, Signal.status == "active", Signal.account_id.in_(list(by_id)))
    for s in session.scalars(mine):
        if s.account_id in by_id and not _is_quiet(s, now) and (s.kind not in muted or s.severity >= CRITICAL):
            grouped[s.account_id].append(s)
    previous = _previous_severities(session, member, day)
    role = "am" if member.role == "manager" else member.role
    items = []
    for account_id, signals in grouped.items():
        signals.sort(key=lambda s: (-s.severity, KIND_ORDER.index(s.kind) if s.kind in KIND_ORDER else 99))
        top, account = signals[0], by_id[account_id]
        reasons = list(top.reasons[:3]) + [f"Also: {s.title}" for s in signals[1:]]
        items.append(
            DigestItem(
                account_id=account.id,
                account_external_id=account.external_id,
                account_name=account.name,
                arr=_money(account.arr) if account.arr is not None else None,
                renewal_date=account.renewal_date,
                days_to_renewal=(account.renewal_date - day).days if account.renewal_date else None,
                health=health.get(account.id),
                headline=top.title,
                kinds=[s.kind for s in signals],
                severity=top.severity,
                change=_change(signals, previous),
                reasons=reasons,
                next_step=str(top.next_steps.get(role) or top.next_steps.get("am") or ""),
                value_at_stake=_money(top.value_at_stake) if top.value_at_stake is not None else None,
                signal_ids=[s.id for s in signals],
                crm_url=account.crm_url,
            )
        )
    items.sort(key=_rank, reverse=True)
    budget = max(member.digest_budget, 0)
    shown = [item for i, item in enumerate(items) if i < budget or may_exceed_budget(item)]
    left_out = [item.account_name for item in items if item not in shown]
    seen = {str(s.id): s.severity for signals in grouped.values() for s in signals}
    digest = DigestView(
        member_email=member.email,
        member_name=member.name,
        role=member.role,
        day=day,
        opening=deterministic_opening(member, shown, len(items)),
        figures=_figures(session, org, accounts, grouped, day),
        items=shown,
        more_count=len(left_out),
        more_accounts=left_out[:MORE_NAMES_KEPT],
        handoffs=open_handoff_summaries(session, Handoff.org_id == org.id, Handoff.to_member_id == member.id),
        # Until done, a handoff stays in both people's digests: the sender sees what their pair still holds.
        handoffs_sent=open_handoff_summaries(session, Handoff.org_id == org.id, Handoff.from_member_id == member.id),
    )
    return digest, seen


def deterministic_opening(member: Member, shown: list[DigestItem], total: int) -> str:
    """The opening written from the signals alone (what every digest says without a model)."""
    first = member.name.split()[0] if member.name else member.email
    if not shown:
        return f"Good morning {first}: nothing in your book needs you today."
    fresh = sum(1 for i in shown if i.change != "ongoing")
    critical = [i.account_name for i in shown if i.severity >= CRITICAL]
    text = f"Good morning {first}: {total} account{'s' if total != 1 else ''} need{'s' if total == 1 else ''}"
    text += " your attention" + (f", {fresh} new or worse since yesterday." if fresh < len(shown) else ".")
    if critical:
        text += f" Critical: {', '.join(critical[:3])}."
    return text


def _figures(
    session: Session, org: Organization, accounts: list[Account], grouped: dict[int, list[Signal]], day: date
) -> Figures:
    ids = [a.id for a in accounts]
    since = datetime.combine(day - timedelta(days=30), time.min, tzinfo=UTC)
    touched = set(
        session.scalars(
            select(Note.account_id)
            .where(Note.org_id == org.id, Note.account_id.in_(ids), Note.created_at >= since)
            .group_by(Note.account_id)
            .having(func.count() > 0)
        )
    )
    kinds = {aid: {s.kind for s in sigs} for aid, sigs in grouped.items()}
    # At risk: a renewal at risk, or anything critical (a champion gone on a $140k account is ARR at risk).
    at_risk = {aid for aid, sigs in grouped.items() if any(s.severity >= CRITICAL for s in sigs)}
    at_risk |= {aid for aid, names in kinds.items() if "renewal_risk" in names}
    renewing = [a for a in accounts if a.renewal_date and 0 <= (a.renewal_date - day).days <= 90]
    currencies = {a.currency for a in accounts if a.currency}
    return Figures(
        accounts=len(accounts),
        arr_total=sum(_money(a.arr) for a in accounts),
        arr_at_risk=sum(_money(a.arr) for a in accounts if a.id in at_risk),
        accounts_at_risk=sum(1 for a in accounts if a.id in at_risk),
        expansion_pipeline=sum(
            _money(s.value_at_stake) for sigs in grouped.values() for s in sigs if s.kind == "expansion"
        ),
        renewals_90d=len(renewing),
        renewals_90d_arr=sum(_money(a.arr) for a in renewing),
        coverage_30d=round(len(touched) / len(accounts), 3) if accounts else 0.0,
        currency=currencies.pop() if len(currencies) == 1 else "USD",
    )


def save_digest(
    session: Session, org: Organization, member: Member, digest: DigestView, seen: dict[str, int]
) -> Digest:
    """Store the day's digest (replacing a same-day rebuild) and mark its situations as announced."""
    payload = {"digest": digest.model_dump(mode="json"), "seen": seen}
    same_day = select(Digest).where(Digest.member_id == member.id, Digest.day == digest.day)
    row = session.scalar(same_day)
    if row is None:
        try:
            with session.begin_nested():
                row = Digest(org_id=org.id, member_id=member.id, day=digest.day, payload=payload)
                session.add(row)
        except IntegrityError:  # a concurrent run stored the same day first: ours replaces it
            row = session.scalars(same_day).one()
    row.payload = payload
    shown = {sid for item in digest.items for sid in item.signal_ids}
    for signal in session.scalars(select(Signal).where(Signal.id.in_(shown))):
        if (signal.announced_severity or 0) < signal.severity:
            signal.announced_severity = signal.severity
            signal.announced_at = datetime.now(UTC)
    session.flush()
    return row


__all__ = ["SEVERITY_NAMES", "build_digest", "deterministic_opening", "member_accounts", "save_digest"]


def book_figures(session: Session, org: Organization, accounts: list[Account], day: date) -> Figures:
    """The digest header's figures for any set of accounts, from all its active signals (the portfolio's
    steering indicators: one definition of value at risk, expansion pipeline and coverage)."""
    grouped: dict[int, list[Signal]] = defaultdict(list)
    ids = [a.id for a in accounts]
    for s in session.scalars(
        select(Signal).where(Signal.org_id == org.id, Signal.status == "active", Signal.account_id.in_(ids))
    ):
        grouped[s.account_id].append(s)
    return _figures(session, org, accounts, grouped, day)
