"""Support: urgent/high tickets piling up, ageing, or a low or falling CSAT."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from scoring.config import ScoringConfig
from scoring.results import CRITICAL, HIGH, MEDIUM, SignalResult
from scoring.rules import Context, money, plural
from scoring.snapshot import AccountSnapshot, TicketView

SERIOUS = ("urgent", "high")
CSAT_FALLING_CEILING = 3.5  # a fall from 5 to 4 is still a happy customer: only a fall into this counts
UNHAPPY = 3  # a rating at or below this is not a satisfied customer (4-5 are)


def _day(when: datetime) -> date:
    return when.date()


def open_on(t: TicketView, day: date) -> bool:
    """Open at the end of `day`: closed later, or never closed and not marked solved."""
    if _day(t.opened_at) > day:
        return False
    if t.closed_at is not None:
        return _day(t.closed_at) > day
    return t.status in (None, "open", "pending")


@dataclass(frozen=True)
class SupportFacts:
    open_serious: list[TicketView]  # urgent/high open now
    opened_serious: list[TicketView]  # urgent/high opened within the support window
    aged_serious: list[TicketView]  # open urgent/high older than support_aged_days
    csat_recent: float | None  # mean over the window, when there are enough ratings
    csat_prior: float | None  # mean over the 60 days before it, same rule
    csat_recent_n: int
    csat_unhappy: int  # ratings at or below UNHAPPY in the window: one unhappy customer is not a trend
    oldest_open_days: int | None

    def piling(self, c: ScoringConfig) -> bool:
        return len(self.opened_serious) >= c.support_opened_min or len(self.open_serious) >= c.support_open_min

    def csat_low(self, c: ScoringConfig) -> bool:
        unhappy = self.csat_unhappy >= c.csat_min_ratings
        return unhappy and self.csat_recent is not None and self.csat_recent <= c.csat_low

    def csat_falling(self, c: ScoringConfig) -> bool:
        if self.csat_recent is None or self.csat_prior is None or self.csat_unhappy < c.csat_min_ratings:
            return False
        fall = self.csat_prior - self.csat_recent + 1e-9  # 4.33 - 3.33 must count as a fall of 1
        return fall >= c.csat_drop and self.csat_recent <= CSAT_FALLING_CEILING


def support_facts(s: AccountSnapshot, c: ScoringConfig, day: date) -> SupportFacts:
    window_start = day.toordinal() - c.support_window_days  # exclusive
    serious = [t for t in s.tickets if t.priority in SERIOUS and _day(t.opened_at) <= day]
    open_serious = [t for t in serious if open_on(t, day)]
    ages = [day.toordinal() - t.opened_at.toordinal() for t in open_serious]
    recent: list[int] = []
    prior: list[int] = []
    for t in s.tickets:
        if t.csat is None:
            continue
        rated = _day(t.closed_at or t.opened_at).toordinal()  # a rating is given when the ticket closes
        if window_start < rated <= day.toordinal():
            recent.append(t.csat)
        elif window_start - 60 < rated <= window_start:
            prior.append(t.csat)
    enough = c.csat_min_ratings
    return SupportFacts(
        open_serious=open_serious,
        opened_serious=[t for t in serious if t.opened_at.toordinal() > window_start],
        aged_serious=[t for t, age in zip(open_serious, ages, strict=True) if age > c.support_aged_days],
        csat_recent=sum(recent) / len(recent) if len(recent) >= enough else None,
        csat_prior=sum(prior) / len(prior) if len(prior) >= enough else None,
        csat_recent_n=len(recent),
        csat_unhappy=sum(1 for r in recent if r <= UNHAPPY),
        oldest_open_days=max(ages) if ages else None,
    )


def support_escalation(ctx: Context) -> list[SignalResult]:
    c, f = ctx.config, ctx.facts.support
    reasons: list[str] = []
    if f.piling(c):
        reasons.append(
            f"{plural(len(f.opened_serious), 'urgent/high ticket')} opened in {c.support_window_days} days, "
            f"{len(f.open_serious)} still open"
        )
    if f.aged_serious:
        reasons.append(
            f"{plural(len(f.aged_serious), 'urgent/high ticket')} open for more than {c.support_aged_days} "
            f"days (oldest {f.oldest_open_days} days)"
        )
    csat_bad = f.csat_low(c) or f.csat_falling(c)
    if csat_bad and f.csat_recent is not None:
        was = f" (down from {f.csat_prior:.1f})" if f.csat_falling(c) and f.csat_prior is not None else ""
        reasons.append(f"CSAT {f.csat_recent:.1f} over {c.support_window_days} days{was}")
    if not reasons:
        return []
    severity = (MEDIUM, HIGH, CRITICAL)[len(reasons) - 1]
    open_ids = [t.external_id for t in f.open_serious]
    subjects = "; ".join(t.subject for t in f.open_serious[:3] if t.subject)
    return [
        SignalResult(
            kind="support_escalation",
            severity=severity,
            title=f"Support escalating: {len(f.open_serious)} urgent/high open"
            + (f", CSAT {f.csat_recent:.1f}" if csat_bad and f.csat_recent is not None else ""),
            reasons=reasons,
            evidence={
                "open_urgent_high": open_ids,
                "opened_urgent_high_in_window": [t.external_id for t in f.opened_serious],
                "aged_open": [t.external_id for t in f.aged_serious],
                "oldest_open_days": f.oldest_open_days,
                "csat_recent": round(f.csat_recent, 2) if f.csat_recent is not None else None,
                "csat_prior": round(f.csat_prior, 2) if f.csat_prior is not None else None,
                "window_days": c.support_window_days,
                "comparison": f"{len(f.opened_serious)} urgent/high opened in {c.support_window_days} days against "
                f"the {c.support_opened_min} that count as piling up, {len(f.open_serious)} open against "
                f"{c.support_open_min}"
                + (
                    f"; CSAT {f.csat_recent:.1f} against {f.csat_prior:.1f} in the 60 days before"
                    if f.csat_recent is not None and f.csat_prior is not None
                    else ""
                ),
            },
            next_steps={
                "am": f"Hold commercial asks on this {money(ctx.arr or None, ctx.s.currency)} account until the "
                f"escalation is under control; call the sponsor to acknowledge it"
                + (f" ({subjects})." if subjects else "."),
                "csm": "Own the escalation: get an engineering owner and a date for each open urgent/high "
                f"ticket ({', '.join(open_ids) or 'none open'}) and tell the customer today.",
            },
            value_at_stake=ctx.arr or None,
        )
    ]
