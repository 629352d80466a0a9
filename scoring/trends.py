"""Trends with persistence: window means over daily series, never yesterday against today.

A `Series` is one usage metric as sorted day ordinals and values, so any window is two bisects and a sum.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date

from scoring.snapshot import UsagePoint

METRICS = ("active_users", "seats_used", "events")


@dataclass(frozen=True)
class Series:
    days: list[int]  # date ordinals, ascending
    values: list[float]

    def window(self, end: date, days: int) -> tuple[list[int], list[float]]:
        """The points in (end - days, end]."""
        hi = bisect_right(self.days, end.toordinal())
        lo = bisect_right(self.days, end.toordinal() - days)
        return self.days[lo:hi], self.values[lo:hi]

    def mean(self, end: date, days: int, min_points: int = 1) -> float | None:
        _, values = self.window(end, days)
        return sum(values) / len(values) if len(values) >= max(min_points, 1) else None

    def first_day(self) -> int | None:
        return self.days[0] if self.days else None


def usage_series(usage: list[UsagePoint]) -> dict[str, Series]:
    """Every metric of the usage history in one pass; days without a value are skipped, not zero."""
    out = {m: Series([], []) for m in METRICS}
    users, seats, events = (out[m] for m in METRICS)
    for p in usage:
        d = p.day.toordinal()
        if p.active_users is not None:
            users.days.append(d)
            users.values.append(p.active_users)
        if p.seats_used is not None:
            seats.days.append(d)
            seats.values.append(p.seats_used)
        if p.events is not None:
            events.days.append(d)
            events.values.append(p.events)
    return out


@dataclass(frozen=True)
class WindowChange:
    recent: float  # mean of the recent window
    baseline: float  # mean of the window before it
    change: float  # relative: -0.25 is down 25%
    below_share: float  # share of recent days below their weekday's baseline mean (by the margin)
    recent_points: int
    baseline_points: int


def window_change(
    ser: Series, end: date, recent_days: int, baseline_days: int, margin: float = 0.0
) -> WindowChange | None:
    """The recent window's mean against the window just before it; None unless both are half covered.

    `below_share` counts recent days more than `margin` below the baseline mean of the same weekday, so
    ordinary noise is not "below" and a product used mostly on weekdays does not read weekends as a drop.
    """
    r_days, r_vals = ser.window(end, recent_days)
    b_days, b_vals = ser.window(date.fromordinal(end.toordinal() - recent_days), baseline_days)
    if len(r_vals) * 2 < recent_days or len(b_vals) * 2 < baseline_days:
        return None
    recent, baseline = sum(r_vals) / len(r_vals), sum(b_vals) / len(b_vals)
    if baseline <= 0:
        return None
    by_weekday: dict[int, list[float]] = {}
    for d, v in zip(b_days, b_vals, strict=True):
        by_weekday.setdefault(d % 7, []).append(v)
    below = 0
    for d, v in zip(r_days, r_vals, strict=True):
        same = by_weekday.get(d % 7)
        below += v < (sum(same) / len(same) if same else baseline) * (1 - margin)
    return WindowChange(
        recent=recent,
        baseline=baseline,
        change=(recent - baseline) / baseline,
        below_share=below / len(r_vals),
        recent_points=len(r_vals),
        baseline_points=len(b_vals),
    )


def growth(ser: Series, end: date, span_days: int, window_days: int = 14) -> float | None:
    """Relative change between the window ending `end` and the same-size window `span_days` earlier."""
    now = ser.mean(end, window_days, min_points=window_days // 2)
    then = ser.mean(date.fromordinal(end.toordinal() - span_days), window_days, min_points=window_days // 2)
    if now is None or then is None or then <= 0:
        return None
    return (now - then) / then
