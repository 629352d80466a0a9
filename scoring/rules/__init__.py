"""Signal rules, one module per family; each rule is a pure function of the reading context.

Facts (what the data says as of a day) are computed once per account and shared by health and the rules,
so a number in a reason is always the number the score used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from scoring.config import ScoringConfig
from scoring.results import HealthReading, SignalResult
from scoring.snapshot import AccountSnapshot, ContactView

if TYPE_CHECKING:  # the family modules import this one: types only, to avoid a cycle
    from scoring.rules.billing import BillingFacts
    from scoring.rules.growth import UsageFacts
    from scoring.rules.relationship import RelationshipFacts
    from scoring.rules.support import SupportFacts


@dataclass(frozen=True)
class Facts:
    day: date
    usage: UsageFacts
    support: SupportFacts
    billing: BillingFacts
    relationship: RelationshipFacts


@dataclass
class Context:
    s: AccountSnapshot
    config: ScoringConfig
    facts: Facts
    health: HealthReading
    fired: list[SignalResult] = field(default_factory=list)  # earlier rules' results, for derived rules

    @property
    def arr(self) -> float:
        return self.s.arr or 0.0

    @property
    def material(self) -> bool:
        return self.arr >= self.config.material_arr

    @property
    def unhealthy(self) -> bool:
        return self.health.score < self.config.health_threshold

    @property
    def falling(self) -> bool:
        t = self.health.trend_30d
        return t is not None and t <= -self.config.health_sharp_drop

    @property
    def fragile(self) -> bool:
        """What the CSM side sees as not ready for an upsell: unhealthy, or support on fire."""
        return self.unhealthy or self.has("support_escalation")

    @property
    def days_to_renewal(self) -> int | None:
        return self.s.days_to_renewal

    def renewal_within(self, days: int) -> bool:
        d = self.s.days_to_renewal
        return d is not None and 0 <= d <= days

    def has(self, kind: str) -> bool:
        return any(r.kind == kind for r in self.fired)


def pct(share: float) -> str:
    return f"{share * 100:+.0f}%"


SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3"}


def money(amount: float | None, currency: str | None = None) -> str:
    """$140k, \u20ac1.2M, 950 CHF: the same format as every message (bot.render.format.money)."""
    if amount is None:
        return "unknown"
    if abs(amount) >= 1_000_000:
        text = f"{abs(amount) / 1_000_000:.1f}M".replace(".0M", "M")
    elif abs(amount) >= 1_000:
        text = f"{abs(amount) / 1_000:.0f}k"
    else:
        text = f"{abs(amount):.0f}"
    sign = "-" if amount < 0 else ""
    code = (currency or "USD").upper()
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"


def day(value: date) -> str:
    """Nov 21: the one date format of every message (bot.render.format.day_label)."""
    return f"{value:%b} {value.day}"


def describe(c: ContactView) -> str:
    name = c.name or c.email or c.external_id
    return f"{name} ({c.title})" if c.title else name


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
