"""The portfolio's indicators as Tandem shows them (CLI, App Home, Teams, the Monday digest).

Every figure carries its period and its basis (what it was computed from, what is missing): a rate over a
shorter history than the period says so rather than pretending to cover the whole year.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Indicator(BaseModel):
    value: float | None = None  # None: nothing known to compute it from
    unit: str = "ratio"  # ratio (0-1, may exceed 1 for NRR) | money
    period_start: date | None = None
    period_end: date | None = None
    basis: str = ""  # in words: the formula's figures and what history they rest on
    partial: bool = False  # the history is shorter than the period
    figures: dict[str, float] = Field(default_factory=dict)  # the named inputs (starting_arr, churn, ...)


class Portfolio(BaseModel):
    scope: str  # organization | team | member
    label: str  # "Acme", "AM team", "ana@acme.com"
    as_of: date
    currency: str = "USD"
    accounts: int = 0
    arr_total: float = 0.0
    history_since: date | None = None  # the earliest day the ARR history knows
    renewal_rate: Indicator
    grr: Indicator
    nrr: Indicator
    value_at_risk: Indicator
    expansion_pipeline: Indicator
    coverage: Indicator
