"""Scoring thresholds: defaults that suit a typical B2B book, overridable per organization.

Every field is documented where it is declared; `from_settings` is the one way settings become a config,
and it refuses nonsense (negative windows, weights that do not sum to 1, unknown keys) with a clear message.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from scoring.results import SIGNAL_KINDS

Days = int  # a window in days: always > 0 (each field says gt=0)


class HealthWeights(BaseModel):
    """How much each health component counts; they must sum to 1."""

    model_config = ConfigDict(extra="forbid")

    usage: float = Field(default=0.25, ge=0, le=1, description="active users now against the weeks before")
    seats: float = Field(default=0.15, ge=0, le=1, description="seat utilisation")
    support: float = Field(default=0.25, ge=0, le=1, description="open urgent/high tickets, CSAT")
    billing: float = Field(default=0.10, ge=0, le=1, description="failed and overdue invoices")
    relationship: float = Field(default=0.15, ge=0, le=1, description="active key contacts, recent departures")
    engagement: float = Field(default=0.10, ge=0, le=1, description="days since the last touch (note)")

    @model_validator(mode="after")
    def _sum_to_one(self) -> HealthWeights:
        total = sum(self.model_dump().values())
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise ValueError(f"health weights must sum to 1, got {total:g}")
        return self


class ScoringConfig(BaseModel):
    """Thresholds of the signal rules and the health score. Fractions are 0-1 (0.2 = 20%)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Health
    health_weights: HealthWeights = Field(
        default_factory=HealthWeights, description="weight of each health component, summing to 1"
    )
    health_threshold: float = Field(default=60, ge=0, le=100, description="below this an account is unhealthy")
    health_sharp_drop: float = Field(
        default=15, gt=0, le=100, description="health points lost in 30 days that count as falling sharply"
    )

    # Renewal
    renewal_window_days: Days = Field(default=120, gt=0, description="renewal_risk looks this far ahead")
    renewal_high_days: Days = Field(default=60, gt=0, description="renewal_risk is high inside this, medium outside")
    renewal_critical_days: Days = Field(default=30, gt=0, description="renewal_risk is critical inside this")
    renewal_prep_milestones: tuple[int, ...] = Field(
        default=(90, 60, 30), description="days before renewal at which renewal_prep opens a new situation"
    )

    # Growth and usage
    expansion_seat_utilisation: float = Field(
        default=0.90, gt=0, le=2, description="seats used / purchased to call it full"
    )
    expansion_seat_rise: float = Field(
        default=0.01, ge=0, le=1, description="utilisation gain (last 14 d vs 15-30 d) = rising"
    )
    expansion_user_growth: float = Field(
        default=0.10, gt=0, le=10, description="active-user growth over expansion_growth_days"
    )
    expansion_growth_days: Days = Field(default=60, gt=0, description="span of the active-user growth path")
    expansion_growth_utilisation: float = Field(
        default=0.80, gt=0, le=2, description="utilisation the growth path needs"
    )
    expansion_extra_seats: float = Field(
        default=0.20, gt=0, le=10, description="estimated expansion, as a share of seats"
    )
    usage_recent_days: Days = Field(default=14, gt=0, description="usage_drop compares the mean of these last days")
    usage_baseline_days: Days = Field(default=28, gt=0, description="with the mean of this many days before them")
    usage_drop: float = Field(default=0.20, gt=0, lt=1, description="relative fall (0.2 = -20%) at which usage dropped")
    usage_drop_share_below: float = Field(
        default=0.6, gt=0, le=1, description="share of recent days that must be below"
    )
    usage_long_days: Days = Field(
        default=70, gt=0, description="the slow-slope window: the last 14 days against the 14 ending this long ago"
    )
    usage_min_users: float = Field(
        default=2, ge=0, description="an active-user fall smaller than this many users a day is never a drop"
    )
    expansion_over_licence: float = Field(
        default=1.05, gt=1, le=3, description="seat use above this share of seats for expansion_over_days = true-up"
    )
    expansion_over_days: Days = Field(default=56, gt=0, description="how long over licence before a true-up")
    expansion_min_team: int = Field(
        default=8, ge=0, description="below this many seats a seat or two is a wobble: only over-licence counts"
    )

    # Relationship
    material_arr: float = Field(
        default=50_000, ge=0, description="single_threaded and no_contact only watch these accounts"
    )
    min_key_contacts: int = Field(default=2, ge=1, description="fewer active key contacts than this = single-threaded")
    departure_fresh_days: Days = Field(default=30, gt=0, description="stakeholder_left fires on departures this recent")
    no_contact_days: Days = Field(default=45, gt=0, description="no note for this long on a material account")
    am_push_days: Days = Field(default=30, gt=0, description="how far back an AM's upsell note counts for pair_desync")

    # Support
    support_window_days: Days = Field(default=30, gt=0, description="window for urgent/high tickets opened and CSAT")
    support_opened_min: int = Field(
        default=3, ge=1, description="urgent/high opened in the window that count as piling up"
    )
    support_open_min: int = Field(default=2, ge=1, description="urgent/high still open that count as piling up")
    support_aged_days: Days = Field(
        default=14, gt=0, description="an urgent/high ticket open longer than this is ageing"
    )
    csat_low: float = Field(default=2.5, ge=1, le=5, description="mean CSAT over the window at or below this is low")
    csat_drop: float = Field(
        default=1.0, gt=0, le=4, description="a CSAT fall this large from the 60 days before is falling"
    )
    csat_min_ratings: int = Field(
        default=2,
        ge=1,
        description="ratings, and unhappy (<= 3) ratings, needed before CSAT counts: one bad rating never fires",
    )

    # Billing
    billing_window_days: Days = Field(default=90, gt=0, description="failed invoices this recent count")
    billing_fyi_share: float = Field(
        default=0.01, ge=0, le=1, description="outstanding below this share of ARR is for information (low)"
    )

    # Kinds an organization does not want to see (still computed: other rules read them)
    disabled_signals: tuple[str, ...] = Field(default=(), description="signal kinds not returned")

    @field_validator("renewal_prep_milestones")
    @classmethod
    def _milestones(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if not v or any(m <= 0 for m in v) or len(set(v)) != len(v):
            raise ValueError("renewal_prep_milestones must be distinct positive day counts, e.g. [90, 60, 30]")
        return tuple(sorted(v, reverse=True))

    @field_validator("disabled_signals")
    @classmethod
    def _known_kinds(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(v) - set(SIGNAL_KINDS))
        if unknown:
            raise ValueError(f"unknown signal kinds {unknown}; known: {', '.join(SIGNAL_KINDS)}")
        return v

    @model_validator(mode="after")
    def _coherent(self) -> ScoringConfig:
        if not self.renewal_critical_days < self.renewal_high_days <= self.renewal_window_days:
            raise ValueError(
                "renewal days must satisfy renewal_critical_days < renewal_high_days <= renewal_window_days"
            )
        return self

    @property
    def renewal_prep_days(self) -> int:
        return self.renewal_prep_milestones[0]

    @classmethod
    def from_settings(cls, d: dict[str, Any] | None) -> ScoringConfig:
        """The organization's overrides over the defaults; ValueError naming every bad key otherwise."""
        if d is None:
            return cls()
        if not isinstance(d, dict):
            raise ValueError(f"scoring settings must be a mapping, got {type(d).__name__}")
        try:
            return cls.model_validate(d)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"]) or "settings"
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"{where}: {msg}")
            raise ValueError("invalid scoring settings: " + "; ".join(problems)) from None
