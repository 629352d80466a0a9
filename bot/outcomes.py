"""Outcome indicators from the ARR history: renewal rate, gross and net revenue retention.

Over a trailing 12 months ending on the day asked. Each account's history is a timeline of states (its ARR
and renewal date from a day on), merged from a contracts export and what syncs saw. When the history
begins inside the period, the period starts where the history does, and the indicator says so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ArrChange
from bot.portfolio_view import Indicator

ORIGIN_ORDER = {"contracts": 0, "sync": 1}  # the same day: what a sync saw is the later word


@dataclass(frozen=True)
class State:
    on: date
    arr: Decimal | None
    renewal_date: date | None
    kind: str


Timelines = dict[int, list[State]]


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def load_timelines(session: Session, org_id: int, account_ids: Iterable[int]) -> Timelines:
    rows = session.scalars(
        select(ArrChange).where(ArrChange.org_id == org_id, ArrChange.account_id.in_(list(account_ids)))
    )
    ordered = sorted(rows, key=lambda r: (r.account_id, r.effective_on, ORIGIN_ORDER.get(r.origin, 9), r.id))
    timelines: Timelines = defaultdict(list)
    for r in ordered:
        line = timelines[r.account_id]
        state = State(r.effective_on, r.arr, r.renewal_date, r.kind)
        if line and line[-1].on == r.effective_on:
            line[-1] = state  # one state per day: the day's last word
        else:
            line.append(state)
    return dict(timelines)


def history_since(timelines: Timelines) -> date | None:
    firsts = [line[0].on for line in timelines.values() if line]
    return min(firsts) if firsts else None


def arr_at(line: list[State], day: date) -> Decimal | None:
    value = None
    for s in line:
        if s.on > day:
            break
        if s.arr is not None:
            value = s.arr
    return value


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    partial: bool  # the history begins after the trailing year's start

    def words(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def trailing_period(timelines: Timelines, as_of: date) -> Period | None:
    """The trailing 12 months, cut to where the history begins; None when it begins only today."""
    since = history_since(timelines)
    if since is None or since >= as_of:
        return None
    start = year_before(as_of)
    return Period(max(start, since), as_of, since > start)


def _no_history(timelines: Timelines, as_of: date, what: str) -> Indicator:
    since = history_since(timelines)
    if since is None:
        basis = f"no ARR history yet: {what} needs ARR seen over time (syncs, or a contracts file)"
    else:
        basis = f"ARR history begins {since.isoformat()}: {what} needs a period of history, none has passed yet"
    return Indicator(period_start=since, period_end=as_of, basis=basis, partial=True)


def _shortness(period: Period) -> str:
    return f" (history begins {period.start.isoformat()}: shorter than 12 months)" if period.partial else ""


def retention(timelines: Timelines, as_of: date) -> tuple[Indicator, Indicator]:
    """(GRR, NRR) of the accounts that had ARR at the period's start: (start + expansion - contraction -
    churn) / start, without expansion for GRR. New customers of the period are not in it."""
    period = trailing_period(timelines, as_of)
    if period is None:
        return _no_history(timelines, as_of, "GRR"), _no_history(timelines, as_of, "NRR")
    start = expansion = contraction = churn = Decimal(0)
    cohort = 0
    for line in timelines.values():
        previous = arr_at(line, period.start)
        if not previous:
            continue
        cohort += 1
        start += previous
        for s in line:
            if s.on <= period.start or s.on > period.end or s.arr is None:
                continue
            if s.arr == 0:
                churn += previous
            elif s.arr > previous:
                expansion += s.arr - previous
            else:
                contraction += previous - s.arr
            previous = s.arr
    figures = {
        "starting_arr": float(start),
        "expansion": float(expansion),
        "contraction": float(contraction),
        "churn": float(churn),
        "accounts": float(cohort),
    }
    common = {"period_start": period.start, "period_end": period.end, "partial": period.partial, "figures": figures}
    if not start:
        basis = f"no account had ARR on {period.start.isoformat()}{_shortness(period)}"
        return Indicator(basis=basis, **common), Indicator(basis=basis, **common)
    gross = (start - contraction - churn) / start
    net = (start + expansion - contraction - churn) / start
    tail = f", {period.words()}, {cohort} account(s) with ARR at the start{_shortness(period)}"
    grr = Indicator(
        value=float(round(gross, 4)),
        basis=f"(starting ARR {start:.0f} - contraction {contraction:.0f} - churn {churn:.0f}) / {start:.0f}{tail}",
        **common,
    )
    nrr = Indicator(
        value=float(round(net, 4)),
        basis=(
            f"(starting ARR {start:.0f} + expansion {expansion:.0f} - contraction {contraction:.0f}"
            f" - churn {churn:.0f}) / {start:.0f}{tail}"
        ),
        **common,
    )
    return grr, nrr


@dataclass
class _Renewals:
    due: Decimal = Decimal(0)
    renewed: Decimal = Decimal(0)
    churned: Decimal = Decimal(0)
    pending: Decimal = Decimal(0)
    count: int = 0
    pending_count: int = 0


def _renewal_outcome(line: list[State], due_on: date, totals: _Renewals) -> None:
    """One renewal that fell due: its ARR (the last while it was the due date), and whether the history shows
    it renewed (a later renewal date), lost (ARR 0) or nothing yet (pending: left out of the rate)."""
    last = max(i for i, s in enumerate(line) if s.renewal_date == due_on)
    amounts = [s.arr for s in line[: last + 1] if s.arr]
    if not amounts:
        return
    due = amounts[-1]
    totals.due += due
    totals.count += 1
    nxt = line[last + 1] if last + 1 < len(line) else None
    if line[last].arr == 0 or (nxt is not None and (nxt.arr == 0 or nxt.kind == "churn")):
        totals.churned += due
    elif nxt is not None and nxt.renewal_date is not None and nxt.renewal_date > due_on:
        # Renewed: at most what was due (an upsell at renewal is expansion, not renewal).
        totals.renewed += min(nxt.arr if nxt.arr is not None else due, due)
    else:
        totals.pending += due
        totals.pending_count += 1


def renewal_rate(timelines: Timelines, as_of: date) -> Indicator:
    """ARR renewed / ARR due, over the renewals that fell due in the period and whose outcome is known."""
    period = trailing_period(timelines, as_of)
    if period is None:
        return _no_history(timelines, as_of, "the renewal rate")
    totals = _Renewals()
    for line in timelines.values():
        for due_on in sorted({s.renewal_date for s in line if s.renewal_date}):
            if period.start <= due_on <= period.end:
                _renewal_outcome(line, due_on, totals)
    decided = totals.due - totals.pending
    figures = {
        "arr_due": float(totals.due),
        "arr_renewed": float(totals.renewed),
        "arr_lost": float(totals.churned),
        "arr_pending": float(totals.pending),
        "renewals_due": float(totals.count),
        "renewals_pending": float(totals.pending_count),
    }
    left_out = (
        f"; {totals.pending_count} renewal(s) due (ARR {totals.pending:.0f}) not yet recorded as renewed or lost"
        " are left out"
        if totals.pending_count
        else ""
    )
    value = float(round(totals.renewed / decided, 4)) if decided else None
    lead = (
        f"ARR renewed {totals.renewed:.0f} / ARR due {decided:.0f}"
        if decided
        else f"no renewal with a known outcome fell due ({totals.count} due)"
    )
    return Indicator(
        value=value,
        period_start=period.start,
        period_end=period.end,
        partial=period.partial,
        basis=f"{lead}, renewals due {period.words()}{left_out}{_shortness(period)}",
        figures=figures,
    )
