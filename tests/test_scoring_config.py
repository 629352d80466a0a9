"""Scoring configuration: documented defaults, per-organization overrides, and clear refusals."""

from __future__ import annotations

import pytest

from scoring.config import ScoringConfig


def test_defaults() -> None:
    c = ScoringConfig()
    assert (c.renewal_window_days, c.health_threshold, c.health_sharp_drop) == (120, 60, 15)
    assert (c.expansion_seat_utilisation, c.usage_drop, c.departure_fresh_days) == (0.9, 0.2, 30)
    assert (c.material_arr, c.no_contact_days, c.renewal_prep_milestones) == (50_000, 45, (90, 60, 30))
    assert sum(c.health_weights.model_dump().values()) == pytest.approx(1)
    assert ScoringConfig.model_config.get("extra") == "forbid"
    assert all(field.description for field in ScoringConfig.model_fields.values())


def test_from_settings_overrides_and_round_trips() -> None:
    assert ScoringConfig.from_settings({}) == ScoringConfig()
    c = ScoringConfig.from_settings({"health_threshold": 55, "renewal_prep_milestones": [30, 90]})
    assert c.health_threshold == 55 and c.renewal_prep_milestones == (90, 30)
    assert ScoringConfig.from_settings(c.model_dump()) == c  # what the admin API shows can be stored back


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"no_such_threshold": 1}, "no_such_threshold"),
        ({"renewal_window_days": -5}, "renewal_window_days"),
        ({"usage_recent_days": 0}, "usage_recent_days"),
        ({"usage_drop": 1.5}, "usage_drop"),
        ({"health_threshold": 120}, "health_threshold"),
        ({"health_weights": {"usage": 0.9}}, "sum to 1"),
        ({"health_weights": {"happiness": 0.1}}, "happiness"),
        ({"health_weights": {"usage": -0.25, "seats": 0.65}}, "health_weights.usage"),
        ({"renewal_high_days": 200}, "renewal_critical_days < renewal_high_days <= renewal_window_days"),
        ({"renewal_prep_milestones": [90, -30]}, "renewal_prep_milestones"),
        ({"disabled_signals": ["churn"]}, "unknown signal kinds"),
        ({"material_arr": "lots"}, "material_arr"),
    ],
)
def test_nonsense_is_refused_with_a_clear_message(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match="invalid scoring settings") as exc:
        ScoringConfig.from_settings(settings)
    assert message in str(exc.value)


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(ValueError) as exc:
        ScoringConfig.from_settings({"no_contact_days": 0, "csat_low": 9})
    assert "no_contact_days" in str(exc.value) and "csat_low" in str(exc.value)


def test_settings_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="mapping"):
        ScoringConfig.from_settings([1, 2])  # type: ignore[arg-type]
