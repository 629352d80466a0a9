"""The one-time "your book today" message a member gets when their organization's first sync is in (or
when they join later): their accounts, the open windows ranked, and what Tandem sends them from now on."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from bot.views import DigestItem


class FirstRead(BaseModel):
    member_email: str
    member_name: str
    role: str
    day: date
    accounts: int = 0
    arr_total: float = 0.0
    currency: str = "USD"
    renewals_90d: int = 0
    renewals_90d_arr: float = 0.0
    windows: list[DigestItem] = Field(default_factory=list)  # the open situations, most pressing first
    more_count: int = 0
    digest_time: str = "08:30"
    timezone: str = "UTC"
    digest_budget: int = 5
