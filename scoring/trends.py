"""Trends with persistence: window means, not yesterday against today, so one odd day never fires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean

from scoring.snapshot import UsagePoint


def window(usage: list[UsagePoint], end: date, days: int) -> list[UsagePoint]:
    """Points in (end - days, end]."""
    start = end - timedelta(days=days)
    return [p for p in usage if start < p.day <= end]


def mean_of(points: list[UsagePoint], field: str) -> float | None:
    values = [v for p in points if (v := getattr(p, field)) is not None]
    return fmean(values) if values else None


@dataclass(frozen=True)
class Trend:
    change: float  # relative: -0.25 is down 25%
    recent: float
    baseline: float
    below_share: float  # share of recent days below the baseline mean


def trend(
    usage: list[UsagePoint], field: str, as_of: date, recent_days: int, baseline_days: int
) -> Trend | None:
    """Recent window mean against the window before it; None without enough data on both sides."""
    recent = window(usage, as_of, recent_days)
    before = window(usage, as_of - timedelta(days=recent_days), baseline_days)
    if len(recent) < recent_days // 2 or len(before) < baseline_days // 2:
        return None
    now, base = mean_of(recent, field), mean_of(before, field)
    if now is None or base is None or base <= 0:
        return None
    values = [v for p in recent if (v := getattr(p, field)) is not None]
    below = sum(1 for v in values if v < base) / len(values)
    return Trend(change=(now - base) / base, recent=now, baseline=base, below_share=below)


def utilisation(usage: list[UsagePoint], seats: int | None, end: date, days: int = 7) -> float | None:
    if not seats:
        return None
    used = mean_of(window(usage, end, days), "seats_used")
    return None if used is None else used / seats
