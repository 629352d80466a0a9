"""Signal rules, one module per family. Each is a pure function of the reading context."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring.config import ScoringConfig
from scoring.facts import AccountFacts
from scoring.results import HealthReading, SignalResult
from scoring.snapshot import AccountSnapshot


@dataclass
class Context:
    s: AccountSnapshot
    config: ScoringConfig
    health: HealthReading
    facts: AccountFacts
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

    def has(self, kind: str) -> bool:
        return any(r.kind == kind for r in self.fired)


def pct(share: float) -> str:
    return f"{share * 100:+.0f}%"
