"""Trends with persistence: window means over daily series, never yesterday against today.

A `Series` is one usage metric as sorted day ordinals and values, so any window is two bisects and a sum.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date

from scoring.snapshot import UsagePoint

METRICS = ("active_users", "seats_used", "events")


@dataclass(frozen=True)
class Series:
    days: list[int]  # date ordinals, ascending
    values: list[float]
    # The same points split by weekday (ordinal % 7): a window is then two bisects and a slice per weekday.
    wd_days: list[list[int]] = field(default_factory=lambda: [[] for _ in range(7)])
    wd_values: list[list[float]] = field(default_factory=lambda: [[] for _ in range(7)])

    def add(self, d: int, v: float) -> None:
        self.days.append(d)
        self.values.append(v)
        self.wd_days[d % 7].append(d)
        self.wd_values[d % 7].append(v)

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


def usage_series(usage: list[UsagePoint], off: frozenset[int] = frozenset()) -> dict[str, Series]:
    """Every metric of the usage history in one pass; days without a value, and days off, are skipped."""
    out = {m: Series([], []) for m in METRICS}
    users, seats, events = (out[m] for m in METRICS)
    for p in usage:
        d = p.day.toordinal()
        if d in off:
            continue
        if p.active_users is not None:
            users.add(d, p.active_users)
        if p.seats_used is not None:
            seats.add(d, p.seats_used)
        if p.events is not None:
            events.add(d, p.events)
    return out


Off = frozenset[int]  # ordinals of days off (holidays): left out of every window
SEASON = 0.15  # a move of this size on the same weeks last year is a season (breaks shift a few days a year)


def span_start(end: int, days: int, off: Off) -> int:
    """The exclusive start of the span ending at `end` (an ordinal) that holds `days` days not off."""
    start = end - days
    if not off:
        return start
    ordered = sorted_off(off)
    for _ in range(8):  # widen by the days off inside until it holds `days` working days
        inside = bisect_right(ordered, end) - bisect_right(ordered, start)
        wider = end - days - inside
        if wider == start:
            break
        start = wider
    return start


_SORTED: dict[Off, list[int]] = {}


def sorted_off(off: Off) -> list[int]:
    """The calendar's days off in order (calendars are few, one per country and year: cached)."""
    got = _SORTED.get(off)
    if got is None:
        got = _SORTED[off] = sorted(off)
    return got


@dataclass(frozen=True)
class Window:
    """Usage over some working days, per weekday, so two windows compare the same weekdays."""

    by_weekday: dict[int, list[float]]
    points: int

    @classmethod
    def of(cls, ser: Series, lo: int, hi: int, off: Off) -> Window:
        """Points in (lo, hi] (days off are already out of the series)."""
        days, values = ser.wd_days, ser.wd_values
        by: dict[int, list[float]] = {}
        n = 0
        for wd in range(7):
            wd_days = days[wd]
            a, b = bisect_right(wd_days, lo), bisect_right(wd_days, hi)
            if b > a:
                by[wd] = values[wd][a:b]
                n += b - a
        return cls(by, n)


@dataclass(frozen=True)
class WindowChange:
    """A recent window against a baseline window, weekday by weekday, with last year's same weeks if known."""

    recent: float  # mean of the recent window (over the weekdays both windows have)
    baseline: float  # mean of the baseline window, same weekdays
    change: float  # what counts: against last year's pattern when known, raw otherwise (-0.25 is down 25%)
    below_share: float  # share of recent days below their weekday's baseline mean (by the margin)
    recent_points: int
    baseline_points: int
    raw_change: float = 0.0  # recent against baseline, this year only
    last_year_change: float | None = None  # the same comparison on the same weeks last year

    @property
    def seasonal(self) -> bool:
        return self.last_year_change is not None


def compare(
    ser: Series, recent: Window, base: Window, recent_days: int, base_days: int, margin: float
) -> WindowChange | None:
    """Weekday-matched means of two windows; None unless both are half covered."""
    if recent.points * 2 < recent_days or base.points * 2 < base_days:
        return None
    common = [wd for wd in recent.by_weekday if wd in base.by_weekday]
    if not common:
        return None
    r_means = {wd: sum(recent.by_weekday[wd]) / len(recent.by_weekday[wd]) for wd in common}
    b_means = {wd: sum(base.by_weekday[wd]) / len(base.by_weekday[wd]) for wd in common}
    r, b = sum(r_means.values()) / len(common), sum(b_means.values()) / len(common)
    if b <= 0:
        return None
    below = sum(v < b_means[wd] * (1 - margin) for wd in common for v in recent.by_weekday[wd])
    n = sum(len(recent.by_weekday[wd]) for wd in common)
    change = (r - b) / b
    return WindowChange(r, b, change, below / n, recent.points, base.points, raw_change=change)


def window_change(
    ser: Series,
    end: date,
    recent_days: int,
    baseline_days: int,
    margin: float = 0.0,
    off: Off = frozenset(),
    gap_days: int = 0,
    last_year: int | None = None,
) -> WindowChange | None:
    """The last `recent_days` working days against `baseline_days` working days before them.

    With `gap_days`, the baseline ends that many days before `end` instead of where the recent window starts
    (a long, slow slope). With `last_year` (days back, 364 keeps weekdays aligned), the same comparison on
    the same weeks a year before divides out an ordinary season: a school's usual break is not a drop.
    """

    def at(e: int) -> WindowChange | None:
        r_lo = span_start(e, recent_days, off)
        b_hi = e - gap_days if gap_days else r_lo
        b_lo = span_start(b_hi, baseline_days, off)
        return compare(
            ser,
            Window.of(ser, r_lo, e, off),
            Window.of(ser, b_lo, b_hi, off),
            recent_days,
            baseline_days,
            margin,
        )

    now = at(end.toordinal())
    if now is None or last_year is None:
        return now
    then = at(end.toordinal() - last_year)
    if then is None or then.raw_change <= -0.95:
        return now
    seasonal = (1 + now.raw_change) / (1 + then.raw_change) - 1
    same_dip = then.raw_change <= -SEASON and then.raw_change <= now.raw_change / 2 and now.raw_change < 0
    same_rise = then.raw_change >= SEASON and then.raw_change >= now.raw_change / 2 and now.raw_change > 0
    if same_dip or same_rise:  # last year moved the same way at least half as much: the season, not a trend
        seasonal = 0.0
    return WindowChange(
        now.recent,
        now.baseline,
        seasonal,
        now.below_share,
        now.recent_points,
        now.baseline_points,
        raw_change=now.raw_change,
        last_year_change=then.raw_change,
    )


def working_mean(ser: Series, end: date, days: int, off: Off = frozenset()) -> float | None:
    """Mean of the last `days` working days (holidays left out); None unless half covered."""
    e = end.toordinal()
    w = Window.of(ser, span_start(e, days, off), e, off)
    if w.points * 2 < days:
        return None
    return sum(v for vs in w.by_weekday.values() for v in vs) / w.points


def growth(
    ser: Series, end: date, span_days: int, window_days: int = 14, off: Off = frozenset(), last_year: int | None = None
) -> WindowChange | None:
    """The working-day window ending `end` against the same-size window `span_days` earlier.

    Holidays are left out of both, so a holiday week does not hide growth; with `last_year`, last year's same
    weeks divide out a season (a school back from its summer break has not grown)."""
    return window_change(ser, end, window_days, window_days, off=off, gap_days=span_days, last_year=last_year)


def peak(ser: Series, end: date, days: int, off: Off = frozenset()) -> float | None:
    """The busiest weekday's mean over the last `days` working days: seats in use, weekends aside."""
    e = end.toordinal()
    w = Window.of(ser, span_start(e, days, off), e, off)
    if w.points * 2 < days:
        return None
    return max(sum(vs) / len(vs) for vs in w.by_weekday.values())
