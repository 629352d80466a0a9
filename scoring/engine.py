"""Reading one account: facts once, health from them, then the rules in dependency order."""

from __future__ import annotations

from collections.abc import Callable

from scoring.config import ScoringConfig
from scoring.health import compute_health, gather_facts, health_reading, prepare
from scoring.results import SIGNAL_KINDS, AccountReading, SignalResult
from scoring.rules import Context
from scoring.rules.billing import billing_risk
from scoring.rules.growth import expansion, usage_drop
from scoring.rules.pair import pair_desync
from scoring.rules.relationship import no_contact, single_threaded, stakeholder_left
from scoring.rules.renewal import renewal_prep, renewal_risk
from scoring.rules.support import support_escalation
from scoring.snapshot import AccountSnapshot

__all__ = ["EXPLAIN", "RULES", "compute_health", "score_account"]

Rule = Callable[[Context], list[SignalResult]]

# Derived rules come after what they read: expansion and pair_desync read support_escalation,
# renewal_prep reads renewal_risk.
RULES: tuple[Rule, ...] = (
    stakeholder_left,
    single_threaded,
    usage_drop,
    support_escalation,
    billing_risk,
    no_contact,
    renewal_risk,
    renewal_prep,
    expansion,
    pair_desync,
)

EXPLAIN: dict[str, str] = {
    "renewal_risk": "Renewal within the window on an unhealthy or falling account, or at risk on usage, idle seats, "
    "escalations, billing or a key departure, drivers named.",
    "renewal_prep": "Healthy account renewing within 90/60/30 days: time to prepare the value story.",
    "expansion": "Over licence for two months, seats nearly full and rising, or users growing steadily, on a "
    "healthy account.",
    "stakeholder_left": "A decision maker, champion or key contact left (status, vanished, an auto-reply or bounce "
    "naming them, the team's note); a successor named in the reply is a lead, never a departure.",
    "single_threaded": "A material account with fewer than two active key contacts.",
    "usage_drop": "A sustained fall in active users or events: same weekdays, holidays left out, against last "
    "year's same weeks; a recovered dip or a season never fires.",
    "support_escalation": "Urgent/high tickets piling up or ageing, or a low or falling CSAT.",
    "billing_risk": "Failed payments or overdue unpaid invoices, weighed against ARR and the payer's own habit.",
    "pair_desync": "Expansion pushed or open while the CSM side shows the account fragile: tell both.",
    "no_contact": "No recorded touch (note) for weeks on a material account.",
}

DEFAULT_CONFIG = ScoringConfig()


def score_account(s: AccountSnapshot, config: ScoringConfig | None = None) -> AccountReading:
    """Health and signals of one account, most severe first."""
    config = config or DEFAULT_CONFIG
    prepared = prepare(s)  # one pass over free text and usage, shared by both days of the health trend
    facts = gather_facts(s, config, s.as_of, prepared)
    ctx = Context(s=s, config=config, facts=facts, health=health_reading(s, config, facts, prepared))
    for rule in RULES:
        ctx.fired.extend(rule(ctx))
    order = {k: i for i, k in enumerate(SIGNAL_KINDS)}
    shown = [r for r in ctx.fired if r.kind not in config.disabled_signals]
    shown.sort(key=lambda r: (-r.severity, order[r.kind], r.key))
    return AccountReading(health=ctx.health, signals=shown)
