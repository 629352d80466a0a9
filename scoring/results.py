"""What scoring returns: a health reading and signals, each with its reasons, evidence and next steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Signal kinds are an interface (CLI --json output, digests, settings): keep these names exactly.
SIGNAL_KINDS = (
    "renewal_risk",
    "renewal_prep",
    "expansion",
    "stakeholder_left",
    "single_threaded",
    "usage_drop",
    "support_escalation",
    "billing_risk",
    "pair_desync",
    "no_contact",
)

LOW, MEDIUM, HIGH, CRITICAL = 1, 2, 3, 4
SEVERITY_NAMES = {LOW: "low", MEDIUM: "medium", HIGH: "high", CRITICAL: "critical"}


@dataclass(frozen=True)
class SignalResult:
    kind: str
    severity: int
    title: str  # one line a person reads first: "Renewal in 45 days on falling usage"
    reasons: list[str]  # human sentences naming the drivers
    evidence: dict[str, Any]  # the numbers, dates and ids that made it fire, JSON-serialisable
    next_steps: dict[str, str]  # by role: {"am": ..., "csm": ...}; the same facts framed for each
    value_at_stake: float | None = None
    key: str = ""  # tells apart two situations of the same kind on one account (a contact id)

    def __post_init__(self) -> None:
        if self.kind not in SIGNAL_KINDS:
            raise ValueError(f"unknown signal kind {self.kind!r}")
        if self.severity not in SEVERITY_NAMES:
            raise ValueError(f"severity must be 1-4, got {self.severity}")


@dataclass(frozen=True)
class HealthReading:
    score: int  # 0-100
    components: dict[str, float]  # each 0-100, named (usage, seats, support, billing, relationship, ...)
    trend_30d: int | None = None  # score now minus score 30 days ago, when the data allows


@dataclass(frozen=True)
class AccountReading:
    health: HealthReading
    signals: list[SignalResult] = field(default_factory=list)
