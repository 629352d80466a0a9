"""Reading one account: health first, then the rules in dependency order."""

from __future__ import annotations

from collections.abc import Callable

from scoring.config import ScoringConfig
from scoring.facts import read_facts
from scoring.health import compute_health
from scoring.results import AccountReading, SignalResult
from scoring.rules import Context
from scoring.rules.billing import billing_risk
from scoring.rules.growth import expansion, usage_drop
from scoring.rules.pair import pair_desync
from scoring.rules.relationship import no_contact, single_threaded, stakeholder_left
from scoring.rules.renewal import renewal_prep, renewal_risk
from scoring.rules.support import support_escalation
from scoring.snapshot import AccountSnapshot

Rule = Callable[[Context], list[SignalResult]]

# Derived rules come after the ones they read (renewal_risk names its drivers, prep needs no risk).
RULES: tuple[Rule, ...] = (
    stakeholder_left,
    single_threaded,
    usage_drop,
    support_escalation,
    billing_risk,
    no_contact,
    expansion,
    pair_desync,
    renewal_risk,
    renewal_prep,
)

EXPLAIN = {
    "renewal_risk": "Renewal within the window on an unhealthy or sharply declining account, with its drivers.",
    "renewal_prep": "Healthy account renewing within 90/60/30 days: prepare the value story.",
    "expansion": "Seat use high and rising or users growing steadily, on a healthy account.",
    "stakeholder_left": "A decision maker, champion or key contact left (status, vanished, or bounce text).",
    "single_threaded": "A material account with fewer than two active key contacts.",
    "usage_drop": "A sustained drop in active users or events (window means, not a one-day dip).",
    "support_escalation": "Urgent/high tickets piling up, old open ones, or a low or falling CSAT.",
    "billing_risk": "Failed payments or overdue invoices.",
    "pair_desync": "Expansion pushed or open on an account the CSM side shows fragile.",
    "no_contact": "No recorded touch for weeks on a material account.",
}

DEFAULT_CONFIG = ScoringConfig()


def score_account(s: AccountSnapshot, config: ScoringConfig | None = None) -> AccountReading:
    config = config or DEFAULT_CONFIG
    facts = read_facts(
        s, s.as_of, escalation_age_days=config.escalation_age_days, billing_days=config.billing_lookback_days
    )
    ctx = Context(s=s, config=config, health=compute_health(s, config), facts=facts)
    for rule in RULES:
        ctx.fired.extend(rule(ctx))
    return AccountReading(health=ctx.health, signals=list(ctx.fired))
