"""Thresholds, windows and weights: per-organization, with defaults that suit a typical B2B book."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

HEALTH_COMPONENTS = ("usage", "seats", "support", "billing", "relationship", "engagement")


class ScoringConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    health_threshold: int = Field(60, ge=0, le=100, description="below this an account is unhealthy")
    sharp_decline: int = Field(
        15, ge=1, le=100, description="health points lost in 30 days that count as sharp"
    )
    renewal_window_days: int = Field(120, ge=1, le=730, description="renewal_risk looks this far ahead")
    prep_milestones: tuple[int, ...] = Field((90, 60, 30), description="renewal_prep milestones, in days")
    material_arr: float = Field(50_000, ge=0, description="ARR from which an account is material")
    usage_recent_days: int = Field(14, ge=3, le=60, description="the recent window of a usage trend")
    usage_baseline_days: int = Field(28, ge=7, le=90, description="the baseline window before it")
    usage_drop: float = Field(0.20, gt=0, lt=1, description="relative drop that counts as sustained")
    usage_below_share: float = Field(
        0.6, gt=0, le=1, description="share of recent days below baseline needed"
    )
    expansion_utilisation: float = Field(0.90, gt=0, le=2, description="seat use that opens an expansion")
    expansion_growth: float = Field(
        0.10, gt=0, le=5, description="60-day user growth that opens an expansion"
    )
    expansion_growth_utilisation: float = Field(0.80, gt=0, le=2, description="seat use needed with growth")
    expansion_extra_seats: float = Field(0.20, gt=0, le=5, description="share of seats an expansion adds")
    departure_fresh_days: int = Field(30, ge=1, le=365, description="a departure older than this is old news")
    escalation_opened_30d: int = Field(3, ge=1, description="urgent/high tickets in 30 days that pile up")
    escalation_open: int = Field(2, ge=1, description="open urgent/high tickets that pile up")
    escalation_age_days: int = Field(14, ge=1, description="an urgent/high ticket open this long is old")
    low_csat: float = Field(2.5, ge=1, le=5, description="average CSAT at or below this is low")
    billing_lookback_days: int = Field(90, ge=1, le=730, description="failed invoices looked back this far")
    no_contact_days: int = Field(45, ge=1, le=365, description="days without a touch on a material account")
    am_push_days: int = Field(30, ge=1, le=365, description="an AM note this recent counts as pushing")
    weights: dict[str, float] = Field(
        default_factory=lambda: {
            "usage": 0.30,
            "seats": 0.10,
            "support": 0.20,
            "billing": 0.15,
            "relationship": 0.15,
            "engagement": 0.10,
        },
        description="health component weights, summing to 1",
    )

    @model_validator(mode="after")
    def _coherent(self) -> ScoringConfig:
        unknown = set(self.weights) - set(HEALTH_COMPONENTS)
        if unknown:
            raise ValueError(f"unknown health components in weights: {', '.join(sorted(unknown))}")
        if any(w < 0 for w in self.weights.values()) or abs(sum(self.weights.values()) - 1) > 0.01:
            raise ValueError(
                f"weights must be non-negative and sum to 1 (they sum to {sum(self.weights.values())})"
            )
        if not self.prep_milestones or any(m <= 0 for m in self.prep_milestones):
            raise ValueError("prep_milestones must be positive numbers of days")
        return self

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> ScoringConfig:
        """The organization's overrides over the defaults; a clear ValueError when they make no sense."""
        try:
            return cls.model_validate(settings)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'scoring'}: {e['msg'].removeprefix('Value error, ')}"
                for e in exc.errors()
            )
            raise ValueError(f"invalid scoring configuration: {problems}") from None
