"""Today, where a person is: the first valid timezone of those given, else UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_day(*zones: str | None, now: datetime | None = None) -> date:
    moment = now or datetime.now(UTC)
    for name in zones:
        if name:
            try:
                return moment.astimezone(ZoneInfo(name)).date()
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return moment.date()
