"""Today, where a person is: the first valid timezone of those given, else UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone_of(*names: str | None) -> ZoneInfo:
    """The first valid timezone of those given (a member's, then their organization's), else UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def local_day(*zones: str | None, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(zone_of(*zones)).date()
