"""Health: named 0-100 components, a weighted score that a failing component drags, and a 30-day trend."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from time import perf_counter

import pytest

from scoring.config import ScoringConfig
from scoring.engine import compute_health, score_account
from scoring.snapshot import AccountSnapshot
from tests import scoring_factories as f
from tests.scoring_factories import Account, linear

COMPONENTS = {"usage", "seats", "support", "billing", "relationship", "engagement"}


def as_it_was(s: AccountSnapshot, day: date) -> AccountSnapshot:
    """The snapshot the data would have given on `day`: later rows absent, later closures and payments undone."""
    end = datetime.combine(day, time.max, tzinfo=f.at(0).tzinfo)
    tickets = [
        t if t.closed_at is None or t.closed_at <= end else replace(t, closed_at=None, status="open", csat=None)
        for t in s.tickets
        if t.opened_at <= end
    ]
    invoices = [
        i if i.paid_at is None or i.paid_at <= day else replace(i, paid_at=None, status="open")
        for i in s.invoices
        if i.issued_at is None or i.issued_at <= day
    ]
    return replace(
        s,
        as_of=day,
        usage=[u for u in s.usage if u.day <= day],
        tickets=tickets,
        invoices=invoices,
        notes=[n for n in s.notes if n.created_at <= end],
    )


def test_components_are_named_and_bounded() -> None:
    h = compute_health(Account().build())
    assert set(h.components) == COMPONENTS
    assert all(0 <= v <= 100 for v in h.components.values())
    assert 85 <= h.score <= 100


@pytest.mark.parametrize(
    "make",
    [Account, f.renewal_at_risk, f.expansion_ready, f.billing_trouble, f.escalation_with_pitch, f.gone_quiet],
)
def test_trend_is_health_now_minus_health_on_the_data_of_30_days_ago(make: object) -> None:
    s = make().build()  # type: ignore[operator]
    h = compute_health(s)
    then = compute_health(as_it_was(s, f.day(30)))
    assert h.trend_30d == h.score - then.score


def test_quiet_account_is_stable_and_a_slide_falls() -> None:
    assert abs(compute_health(Account().build()).trend_30d or 0) <= 3
    sliding = compute_health(f.renewal_at_risk().build())
    assert sliding.score < 60 and sliding.trend_30d is not None and sliding.trend_30d <= -15
    assert sliding.components["usage"] < 40 and sliding.components["support"] < 50


def test_one_odd_day_barely_moves_health() -> None:
    quiet, dipped = compute_health(Account().build()), compute_health(Account().dip(0, 0.1).build())
    assert quiet.score - dipped.score <= 5


def test_each_component_reads_its_own_facts() -> None:
    base = compute_health(Account().build()).components
    assert compute_health(Account().seats_in_use(lambda d: 30).build()).components["seats"] < base["seats"]
    support = compute_health(Account().ticket("urgent", 20).build()).components["support"]
    assert support == 100 - 15 - 5 - 10  # open, opened in the window, ageing
    billing = compute_health(Account().invoice("I1", due=10, status="failed").build()).components["billing"]
    assert billing == 70
    assert compute_health(Account().drop_contact("C2").build()).components["relationship"] == 50
    assert compute_health(Account().left("C2", 5).build()).components["relationship"] == 50 - 15
    assert compute_health(f.gone_quiet().build()).components["engagement"] < 20


def test_a_failing_acute_component_drags_the_score() -> None:
    h = compute_health(f.escalation_with_pitch().build())
    weights = ScoringConfig().health_weights.model_dump()
    mean = sum(h.components[k] * w for k, w in weights.items())
    assert h.components["support"] == 0 and h.score == round(mean - 20)  # half of the 40-point shortfall
    assert h.score < ScoringConfig().health_threshold


def test_weights_change_the_score() -> None:
    s = f.gone_quiet().build()
    only_engagement = {"usage": 0, "seats": 0, "support": 0, "billing": 0, "relationship": 0, "engagement": 1}
    h = compute_health(s, ScoringConfig(health_weights=only_engagement))
    assert h.score == round(h.components["engagement"])


def test_missing_data_is_left_out_not_guessed() -> None:
    h = compute_health(Account().no_usage().with_seats(None).build())
    assert "usage" not in h.components and "seats" not in h.components
    assert h.score >= 85 and h.trend_30d is not None
    young = Account().build()
    young.usage = young.usage[-20:]  # a new customer: no usage a month ago
    assert compute_health(young).trend_30d is None
    assert "relationship" not in compute_health(replace(Account().build(), contacts=[])).components


def test_score_account_returns_the_same_health() -> None:
    s = f.renewal_at_risk().build()
    assert score_account(s).health == compute_health(s)


def test_health_reads_growth_as_healthy() -> None:
    assert compute_health(Account().users(linear(60, 50, 80)).build()).components["usage"] == 100


def test_scoring_a_large_book_is_cheap() -> None:
    """The 10k-account budget is 20 s; hold 2k mixed accounts to a fifth of it (they take well under 1 s)."""
    makers = [Account, f.renewal_at_risk, f.expansion_ready, f.champion_left, f.escalation_with_pitch]
    snaps = [makers[i % len(makers)]().build() for i in range(2000)]
    start = perf_counter()
    for s in snaps:
        score_account(s)
    assert perf_counter() - start < 4.0
