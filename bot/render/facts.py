"""The facts line of an account answer (ARR, renewal, health, usage, owners), the same in Slack and Teams;
each renderer escapes the values for its own markup."""

from __future__ import annotations

from bot.render import format as fmt
from bot.views import AccountAnswer
from scoring.config import ScoringConfig

RECENT_DAYS = ScoringConfig().usage_recent_days  # the window the usage signal compares, as it says


def account_facts(a: AccountAnswer) -> list[tuple[str, str]]:
    currency = a.currency or "USD"
    health = "unknown" if a.health is None else f"{a.health}/100"
    if a.health_trend_30d:
        health += f" ({a.health_trend_30d:+d} in 30 days)"
    usage = "no data"
    if a.active_users_now is not None:
        usage = f"{a.active_users_now:.0f} active users"
        if a.usage_change_30d is not None:
            usage += f", {fmt.change_share(a.usage_change_30d)} over the last {RECENT_DAYS} days"
    if a.seat_utilisation is not None:
        usage += f", seat use {fmt.percent(a.seat_utilisation)}"
    return [
        ("ARR", fmt.money(a.arr, currency) + (f" · {fmt.clean(a.plan, 60)}" if a.plan else "")),
        ("Renewal", fmt.renewal(a.renewal_date, a.days_to_renewal)),
        ("Health", health),
        ("Usage", usage),
        ("AM", fmt.clean(a.am, fmt.SHORT) or "unassigned"),
        ("CSM", fmt.clean(a.csm, fmt.SHORT) or "unassigned"),
    ]
