"""Each signal fires on its story with the right severity, key, reasons and evidence, and never on noise."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from scoring.config import ScoringConfig
from scoring.engine import EXPLAIN, score_account
from scoring.results import CRITICAL, HIGH, LOW, MEDIUM, SIGNAL_KINDS, AccountReading, SignalResult
from tests import scoring_factories as f
from tests.scoring_factories import AM, CSM, Account, linear


def read(a: Account, **config: object) -> AccountReading:
    return score_account(a.build(), ScoringConfig.from_settings(dict(config)))


def kinds(a: Account, **config: object) -> set[str]:
    return {s.kind for s in read(a, **config).signals}


def one(a: Account, kind: str, **config: object) -> SignalResult:
    found = [s for s in read(a, **config).signals if s.kind == kind]
    assert len(found) == 1, [s.kind for s in read(a, **config).signals]
    return found[0]


# --- the calibration stories ----------------------------------------------------------------------------


def test_story_1_renewal_at_risk_names_its_drivers() -> None:
    a = f.renewal_at_risk()
    assert {"renewal_risk", "usage_drop"} <= kinds(a)
    assert "expansion" not in kinds(a) and "renewal_prep" not in kinds(a)
    risk = one(a, "renewal_risk")
    assert risk.severity == HIGH and risk.value_at_stake == 180_000
    text = " ".join(risk.reasons)
    assert "45 days" in text and "Active users -" in text
    assert "2 open urgent/high tickets" in text and "Low CSAT: 2.5" in text
    assert risk.evidence["drivers"]["open_escalations"] == ["T-R1", "T-R2"]
    assert risk.evidence["days_to_renewal"] == 45 and risk.evidence["health"] < 60
    assert one(a, "usage_drop").evidence["metric"] == "active_users"


def test_story_2_expansion_only_with_estimated_value() -> None:
    a = f.expansion_ready()
    assert kinds(a) == {"expansion"}
    exp = one(a, "expansion")
    assert exp.evidence["extra_seats"] == 20
    assert exp.value_at_stake == pytest.approx(120_000 / 100 * 20)
    assert exp.evidence["utilisation"] >= 0.9 and exp.evidence["user_growth"] >= 0.10
    assert "Seat use" in exp.reasons[0] and "rising" in exp.reasons[0]


def test_story_3_champion_left_critical_with_high_confidence_and_single_threaded() -> None:
    a = f.champion_left()
    assert kinds(a) == {"stakeholder_left", "single_threaded"}
    left = one(a, "stakeholder_left")
    assert left.severity == CRITICAL and left.key == "C2"
    assert left.evidence["confidence"] == "high"
    assert left.evidence["evidence"] == ["status", "text:T-BOUNCE"]
    assert left.evidence["contact_name"] == "Maria Gonzalez"
    assert left.evidence["left_on"] == f.day(3).isoformat()
    assert left.evidence["single_threaded"] is True and left.evidence["active_key_contacts"] == 1
    text = " ".join(left.reasons)
    assert "single-threaded" in text and "Dana Reyes (VP Operations)" in text
    assert left.evidence["others_to_engage"][0] == "Dana Reyes (VP Operations)"  # key contacts first
    assert set(left.next_steps) == {"am", "csm"} and "Maria Gonzalez" in left.next_steps["am"]


def test_story_4_billing_risk_counts_what_is_outstanding() -> None:
    a = f.billing_trouble()
    assert kinds(a) == {"billing_risk"}
    bill = one(a, "billing_risk")
    assert bill.evidence["failed_invoices"] == ["INV-F1", "INV-F2"]
    assert bill.evidence["overdue_invoices"] == ["INV-O1"]
    assert bill.value_at_stake == 25_000 and bill.severity == HIGH


def test_story_5_escalation_and_pair_desync_not_expansion() -> None:
    a = f.escalation_with_pitch()
    assert kinds(a) == {"support_escalation", "pair_desync"}
    esc = one(a, "support_escalation")
    assert esc.severity == CRITICAL  # piling up, ageing and CSAT falling
    assert set(esc.evidence["open_urgent_high"]) == {"T-S1", "T-S2", "T-S3"}
    assert esc.evidence["aged_open"] == ["T-S1"] and esc.evidence["oldest_open_days"] == 24
    assert esc.evidence["csat_recent"] == 2.0 and esc.evidence["csat_prior"] == 4.0
    pair = one(a, "pair_desync")
    assert pair.evidence["am_note_id"] == "N-PITCH"
    assert any("quote for 40 more seats" in r for r in pair.reasons)
    assert "Hold the expansion" in pair.next_steps["am"] and "AM" in pair.next_steps["csm"]


def test_story_6_renewal_prep_at_the_60_day_milestone() -> None:
    a = f.renewal_coming()
    assert kinds(a) == {"renewal_prep"}
    prep = one(a, "renewal_prep")
    assert prep.key == "60" and prep.severity == MEDIUM
    assert "resolved" in " ".join(prep.reasons) and prep.evidence["tickets_resolved_90d"] >= 1


def test_story_7_no_contact() -> None:
    a = f.gone_quiet()
    assert kinds(a) == {"no_contact"}
    nc = one(a, "no_contact")
    assert nc.evidence["days_since_touch"] == 80 and nc.severity == MEDIUM


# --- noise fires nothing ---------------------------------------------------------------------------------

NOISE = {
    "quiet": lambda: Account(),
    "one-day dip today": lambda: Account().dip(0, 0.1),
    "one-day dip last week": lambda: Account().dip(6, 0.1),
    "non-key contact left": lambda: Account().left("C3", 2),
    "non-key contact vanished": lambda: Account().left("C3", 1, "vanished"),
    "single open low ticket": lambda: Account().ticket("low", 3),
    "single low ticket with bad csat": lambda: Account().ticket("low", 9, closed=5, csat=1),
}


@pytest.mark.parametrize("story", NOISE)
def test_noise_fires_nothing(story: str) -> None:
    assert read(NOISE[story]()).signals == []


@pytest.mark.parametrize("seed", range(8))
def test_quiet_healthy_accounts_fire_nothing(seed: int) -> None:
    seats_used = 50 + seed * 4  # 50-78% of 100 seats
    a = Account(f"Quiet{seed}", seed=seed).renewal_in(150 + 30 * seed).seats_in_use(lambda d: seats_used)
    a.users(lambda d: seats_used - 3)
    assert read(a).signals == []


# --- thresholds flip at the boundary ---------------------------------------------------------------------


@pytest.mark.parametrize(("days", "severity"), [(30, CRITICAL), (31, HIGH), (60, HIGH), (61, MEDIUM)])
def test_renewal_risk_severity_by_days(days: int, severity: int) -> None:
    assert one(f.renewal_at_risk().renewal_in(days), "renewal_risk").severity == severity


def test_renewal_risk_window_is_configurable() -> None:
    a = f.renewal_at_risk()
    assert "renewal_risk" in kinds(a, renewal_window_days=45, renewal_high_days=44, renewal_critical_days=20)
    assert "renewal_risk" not in kinds(a, renewal_window_days=44, renewal_high_days=44, renewal_critical_days=20)
    assert "renewal_risk" not in kinds(a.renewal_in(121))


def test_renewal_risk_fires_on_a_sharp_fall_even_above_the_threshold() -> None:
    a = f.renewal_at_risk()
    health = read(a).health
    assert health.trend_30d is not None and health.trend_30d <= -15
    assert "renewal_risk" in kinds(a, health_threshold=health.score)  # not below: fires on the fall
    calm = one(a, "renewal_risk", health_threshold=health.score, health_sharp_drop=-health.trend_30d + 1)
    assert calm.evidence["at_risk_on"] == ["usage", "escalation"]  # neither: the whole picture still counts
    quiet = f.renewal_coming()
    assert "renewal_risk" not in kinds(quiet, health_threshold=read(quiet).health.score)


@pytest.mark.parametrize(
    ("days", "key", "severity"), [(90, "90", LOW), (61, "90", LOW), (45, "60", MEDIUM), (30, "30", MEDIUM)]
)
def test_renewal_prep_milestones(days: int, key: str, severity: int) -> None:
    prep = one(Account().renewal_in(days), "renewal_prep")
    assert (prep.key, prep.severity) == (key, severity)


def test_renewal_prep_outside_the_milestones_or_after_renewal() -> None:
    assert kinds(Account().renewal_in(91)) == set()
    assert kinds(Account().renewal_in(-1)) == set()


def test_usage_drop_threshold() -> None:
    a = f.renewal_at_risk()
    change = one(a, "usage_drop").evidence["change"]
    assert "usage_drop" not in kinds(a, usage_drop=-change + 0.01)
    assert "usage_drop" in kinds(a, usage_drop=-change - 0.01)


def test_usage_drop_needs_most_recent_days_below_not_one_deep_day() -> None:
    # Five days at a fifth of normal drag the 14-day mean down > 20%, but most days are normal.
    a = Account()
    for d in range(5):
        a.dip(d, 0.2)
    assert "usage_drop" not in kinds(a)
    assert "usage_drop" in kinds(a, usage_drop_share_below=0.3)


def test_usage_drop_on_events_when_users_hold() -> None:
    a = Account().users(lambda d: 65, events_per_user=None)
    a.events = linear(20, 1300, 700)
    assert one(a, "usage_drop").evidence["metric"] == "events"


def test_expansion_thresholds_and_health_gate() -> None:
    a = f.expansion_ready()
    assert "expansion" not in kinds(a, expansion_seat_utilisation=0.97, expansion_user_growth=0.5)
    assert "expansion" in kinds(a, expansion_user_growth=0.5)  # the seat path alone
    assert "expansion" not in kinds(a, health_threshold=99)  # never on an account below the threshold


def test_expansion_is_withheld_during_an_escalation_and_pair_desync_tells_both() -> None:
    a = f.expansion_ready().ticket("high", 5).ticket("high", 3)
    assert kinds(a) == {"support_escalation", "pair_desync"}
    pair = one(a, "pair_desync")
    assert pair.evidence["am_note_id"] is None and pair.evidence["expansion"]["extra_seats"] == 20
    assert set(pair.next_steps) == {"am", "csm"}


def test_pair_desync_needs_the_account_am_to_push() -> None:
    base = Account().ticket("urgent", 5).ticket("high", 3)
    assert "pair_desync" not in kinds(base)
    assert "pair_desync" in kinds(base.note(2, AM.upper(), "Sent a quote for the add-on."))
    assert "pair_desync" not in kinds(Account().ticket("urgent", 5).ticket("high", 3).note(2, CSM, "upsell?"))
    assert "pair_desync" not in kinds(Account().note(2, AM, "Upsell: quote for 40 more seats"))  # not fragile


def test_no_contact_threshold_and_materiality() -> None:
    a = f.gone_quiet()
    assert "no_contact" in kinds(a, no_contact_days=80)
    assert "no_contact" not in kinds(a, no_contact_days=81)
    assert "no_contact" not in kinds(a, material_arr=130_001)
    assert one(Account().clear_notes(), "no_contact").evidence["days_since_touch"] is None


def test_single_threaded_threshold_and_materiality() -> None:
    a = Account().drop_contact("C2")
    st = one(a, "single_threaded")
    assert st.evidence["active_key_contacts"] == ["C1"] and "Lee Park (Analyst)" in st.evidence["candidates"]
    assert "single_threaded" not in kinds(a, material_arr=120_001)
    assert "single_threaded" in kinds(Account(), min_key_contacts=3)


def test_support_escalation_thresholds() -> None:
    two_open = Account().ticket("high", 5).ticket("urgent", 2)
    assert one(two_open, "support_escalation").severity == MEDIUM
    assert "support_escalation" not in kinds(two_open, support_open_min=3)
    aged = Account().ticket("urgent", 15)
    assert one(aged, "support_escalation").evidence["aged_open"] == ["T5"]
    assert "support_escalation" not in kinds(aged, support_aged_days=15)
    piled = Account().ticket("high", 20, closed=18).ticket("high", 10, closed=9).ticket("urgent", 4, closed=3)
    assert "support_escalation" in kinds(piled)
    assert "support_escalation" not in kinds(piled, support_opened_min=4)


def test_support_escalation_on_low_csat_needs_several_ratings() -> None:
    a = Account().ticket("normal", 20, closed=18, csat=2)
    assert "support_escalation" not in kinds(a)
    a.ticket("normal", 9, closed=6, csat=3)  # with the baseline's 5: (2 + 3 + 5) / 3 = 3.3, falling from 4.3
    assert one(a, "support_escalation").evidence["csat_recent"] == pytest.approx(3.33, abs=0.01)
    assert "support_escalation" not in kinds(a, csat_drop=1.5)


def test_billing_overdue_alone_is_medium_and_paid_or_void_is_nothing() -> None:
    assert one(Account().invoice("I1", due=5), "billing_risk").severity == MEDIUM
    assert one(Account().invoice("I1", due=45), "billing_risk").severity == HIGH  # long overdue
    assert kinds(Account().invoice("I1", due=5, paid=1, status="paid")) == set()
    assert kinds(Account().invoice("I1", due=5, status="void")) == set()
    assert kinds(Account().invoice("I1", due=-10)) == set()  # not due yet
    assert kinds(Account().invoice("I1", due=95, status="failed", paid=94)) == set()  # failed, then paid


# --- stakeholder_left: structural and text evidence --------------------------------------------------------


def test_structural_departure_alone_is_medium_confidence_and_high_when_not_single_threaded() -> None:
    a = Account().contact("C4", "Rita Moreno", "CFO", role="decision_maker").left("C2", 5, "vanished")
    left = one(a, "stakeholder_left")
    assert left.evidence["evidence"] == ["vanished"] and left.evidence["confidence"] == "medium"
    assert left.severity == HIGH and not left.evidence["single_threaded"]
    assert one(a.renewal_in(90), "stakeholder_left").severity == CRITICAL  # renewal close


def test_only_fresh_departures_fire() -> None:
    assert "stakeholder_left" in kinds(Account().left("C2", 30))
    assert "stakeholder_left" not in kinds(Account().left("C2", 31))
    assert "stakeholder_left" in kinds(Account().left("C2", 31), departure_fresh_days=31)
    assert "stakeholder_left" not in kinds(Account().left("C2", None))  # undated: nothing says it is news


BOUNCES = [
    "Maria Gonzalez is no longer with Globex Health.",
    "Your message to maria.gonzalez@globex.example could not be delivered: mailbox unavailable.",
    "Out of office: Maria Gonzalez has left the company. Please contact support@globex.example.",
    "Maria Gonzalez is no longer employed by Globex Health.",
    "Réponse automatique : Maria Gonzalez n’est plus chez Globex Health.",
    "Automatische Antwort: Frau Maria Gonzalez ist nicht mehr bei Globex Health tätig.",
    "Respuesta automática: Maria Gonzalez ya no trabaja en Globex Health.",
]


def _with_maria(status_left: bool = False) -> Account:
    a = Account("Globex").contact("C4", "Rita Moreno", "CFO", role="decision_maker")
    a.contact("C2", "Maria Gonzalez", "Head of Ops", role="champion", email="maria.gonzalez@globex.example")
    return a.left("C2", 4) if status_left else a


@pytest.mark.parametrize("body", BOUNCES)
def test_text_only_departure_in_several_languages(body: str) -> None:
    a = _with_maria().ticket("normal", 2, subject="Automatic reply", body=body, ident="T-AR")
    left = one(a, "stakeholder_left")
    assert left.key == "C2" and left.evidence["confidence"] == "low"
    assert left.evidence["evidence"] == ["text:T-AR"] and left.evidence["left_on"] == f.day(2).isoformat()
    assert "single_threaded" not in kinds(a)  # Dana and Rita remain


def test_text_in_a_note_agrees_with_status_for_high_confidence() -> None:
    a = _with_maria(status_left=True).note(1, AM, "FYI Maria Gonzalez has left the company.", ident="N-9")
    left = one(a, "stakeholder_left")
    assert left.evidence["evidence"] == ["status", "text:N-9"] and left.evidence["confidence"] == "high"


@pytest.mark.parametrize(
    "body",
    [
        "John Smith is no longer with Globex Health. Message to john.smith@globex.example undeliverable.",
        "The export is no longer working since Tuesday.",
        "Maria Gonzalez asked about the new export format.",
        "Maria is no longer with us.",  # a first name alone is not enough
    ],
)
def test_text_that_does_not_name_the_contact_with_a_departure_phrase_fires_nothing(body: str) -> None:
    assert "stakeholder_left" not in kinds(_with_maria().ticket("normal", 2, body=body))


def test_stale_bounce_fires_nothing_and_non_key_bounce_fires_nothing() -> None:
    old = _with_maria().ticket("normal", 40, closed=39, body="Maria Gonzalez is no longer with Globex.")
    assert "stakeholder_left" not in kinds(old)
    lee = Account().ticket("normal", 2, body="Lee Park is no longer with Quietco.")
    assert kinds(lee) == set()


# --- the shape every signal must have ----------------------------------------------------------------------


ALL_STORIES: list[Callable[[], Account]] = [
    f.renewal_at_risk,
    f.expansion_ready,
    f.champion_left,
    f.billing_trouble,
    f.escalation_with_pitch,
    f.renewal_coming,
    f.gone_quiet,
    lambda: Account().drop_contact("C2").clear_notes(),
]


@pytest.mark.parametrize("make", ALL_STORIES)
def test_every_signal_is_complete_and_serialisable(make: Callable[[], Account]) -> None:
    reading = read(make())
    assert reading.signals
    for s in reading.signals:
        assert s.title and s.reasons and all(isinstance(r, str) and r for r in s.reasons)
        assert set(s.next_steps) == {"am", "csm"} and all(s.next_steps.values())
        json.dumps(s.evidence)
    severities = [s.severity for s in reading.signals]
    assert severities == sorted(severities, reverse=True)


def test_every_kind_is_explained_and_every_kind_fires_somewhere() -> None:
    assert set(EXPLAIN) == set(SIGNAL_KINDS) and all(EXPLAIN.values())
    fired = {s.kind for make in ALL_STORIES for s in read(make()).signals}
    assert fired == set(SIGNAL_KINDS)


def test_disabled_signals_are_not_returned() -> None:
    assert kinds(f.champion_left(), disabled_signals=["single_threaded"]) == {"stakeholder_left"}


def test_renewal_prep_tells_the_value_story_with_strengths_only() -> None:
    """Low seat use is a weakness to work on: it is never part of the value story (nor its next step)."""
    half_used = f.renewal_coming().with_seats(100).seats_in_use(lambda d: 51)
    prep = one(half_used, "renewal_prep")
    assert prep.evidence["utilisation"] == 0.51
    said = " ".join([*prep.reasons, *prep.next_steps.values()])
    assert "Seat use" not in said and "51%" not in said
    full = one(f.renewal_coming().with_seats(100).seats_in_use(lambda d: 95), "renewal_prep")
    assert "Seat use 95%" in " ".join(full.reasons)
