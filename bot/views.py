"""Platform-neutral messages: what Tandem says, decided once, rendered for Slack, Teams and the terminal.

Renderers are pure functions of these models, so Slack and Teams can never disagree on the facts.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from bot.portfolio_view import Portfolio


class Figures(BaseModel):
    """Portfolio figures for the digest header."""

    accounts: int = 0
    arr_total: float = 0.0
    arr_at_risk: float = 0.0  # ARR of every account with a critical item or a renewal at risk
    accounts_at_risk: int = 0
    expansion_pipeline: float = 0.0
    renewals_90d: int = 0
    renewals_90d_arr: float = 0.0
    coverage_30d: float = 0.0  # share (0-1) of the book touched in the last 30 days
    currency: str = "USD"


class DigestItem(BaseModel):
    """One account that needs the reader today; several signals on it are merged into one item."""

    account_id: int
    account_external_id: str
    account_name: str
    arr: float | None = None
    renewal_date: date | None = None
    days_to_renewal: int | None = None
    health: int | None = None
    headline: str  # the top signal's title
    kinds: list[str]  # every signal kind merged in, top first
    severity: int  # 1-4, the highest of the merged signals
    change: str = "new"  # new | worse | ongoing: what changed since it was last shown
    reasons: list[str] = Field(default_factory=list)
    next_step: str = ""  # framed for the reader's role
    value_at_stake: float | None = None
    signal_ids: list[int] = Field(default_factory=list)
    crm_url: str | None = None


class HandoffSummary(BaseModel):
    handoff_id: int
    account_name: str
    from_name: str
    to_name: str = ""
    topic: str
    note: str
    status: str
    due_date: date | None = None


class Digest(BaseModel):
    member_email: str
    member_name: str
    role: str  # am | csm | manager
    day: date
    opening: str  # one or two sentences; model-written when a model is configured
    opening_by_model: bool = False
    opening_model_text_id: int | None = None  # "What did the model see?" for the opening
    figures: Figures
    items: list[DigestItem]
    more_count: int = 0  # items that did not fit the attention budget
    more_accounts: list[str] = Field(default_factory=list)  # their accounts, most pressing first
    handoffs: list[HandoffSummary] = Field(default_factory=list)  # waiting on the member
    handoffs_sent: list[HandoffSummary] = Field(default_factory=list)  # the member's own, not done yet
    stale_sources: list[str] = Field(default_factory=list)  # "usage (since 2026-11-20)"
    portfolio: Portfolio | None = None  # Mondays only: the member's indicators, at the top


class StakeholderAlert(BaseModel):
    """A key contact left a customer: told once, right away, to both the AM and the CSM."""

    account_id: int
    account_name: str
    arr: float | None = None
    currency: str = "USD"
    crm_url: str | None = None
    contact_name: str
    contact_title: str | None = None
    contact_role: str | None = None
    since: date | None = None
    evidence: list[str] = Field(default_factory=list)  # status | vanished | text:<ticket or note id>
    single_threaded: bool = False
    renewal_date: date | None = None
    days_to_renewal: int | None = None
    others_to_engage: list[str] = Field(default_factory=list)  # "Name (Title)"
    next_step: str = ""


class SignalLine(BaseModel):
    kind: str
    severity: int
    title: str
    reasons: list[str] = Field(default_factory=list)
    next_steps: dict[str, str] = Field(default_factory=dict)  # by role: am, csm


class StakeholderLine(BaseModel):
    name: str
    title: str | None = None
    role: str | None = None
    is_key: bool = False
    status: str = "active"  # active | left


class TicketLine(BaseModel):
    external_id: str
    subject: str
    priority: str | None = None
    status: str | None = None
    opened_on: date | None = None


class AccountAnswer(BaseModel):
    """The answer to `/account <name>`: the shared read of one account."""

    account_id: int
    external_id: str
    name: str
    domain: str | None = None
    arr: float | None = None
    currency: str | None = None
    plan: str | None = None
    renewal_date: date | None = None
    days_to_renewal: int | None = None
    am: str | None = None
    csm: str | None = None
    health: int | None = None
    health_trend_30d: int | None = None
    signals: list[SignalLine] = Field(default_factory=list)
    stakeholders: list[StakeholderLine] = Field(default_factory=list)
    active_users_now: float | None = None  # 7-day mean
    usage_change_30d: float | None = None  # share, -0.25 = down 25%
    seat_utilisation: float | None = None
    recent_tickets: list[TicketLine] = Field(default_factory=list)
    handoffs: list[HandoffSummary] = Field(default_factory=list)
    brief: str = ""
    brief_by_model: bool = False
    brief_model_text_id: int | None = None  # "What did the model see?" looks this up
    crm_url: str | None = None


class AccountChoice(BaseModel):
    account_id: int
    name: str
    domain: str | None = None


class AccountChooser(BaseModel):
    """`/account` matched several accounts: let the person pick."""

    query: str
    choices: list[AccountChoice]
