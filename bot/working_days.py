"""The days a member works: their digest goes out on those only (no "Good morning" on their Sunday).

Stored on the member as weekday names ("mon", ..., "sun"); unset means their locale's working week,
Monday to Friday except where the week runs Sunday to Thursday.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday", "fri": "Friday",
         "sat": "Saturday", "sun": "Sunday"}  # fmt: skip
MON_FRI = ("mon", "tue", "wed", "thu", "fri")
SUN_THU = ("sun", "mon", "tue", "wed", "thu")
# Timezones whose working week is Sunday to Thursday.
SUNDAY_WEEK_ZONES = frozenset(
    {"Asia/Jerusalem", "Asia/Tel_Aviv", "Asia/Riyadh", "Asia/Kuwait", "Asia/Qatar", "Asia/Bahrain", "Africa/Cairo",
     "Asia/Baghdad", "Asia/Amman", "Africa/Tripoli", "Asia/Aden"}
)  # fmt: skip


def locale_default(timezone: str | None) -> tuple[str, ...]:
    return SUN_THU if timezone in SUNDAY_WEEK_ZONES else MON_FRI


def normalized(days: Iterable[object]) -> tuple[str, ...]:
    """Known weekday names only, in week order; ValueError when none is left."""
    chosen = {str(d).strip().lower()[:3] for d in days}
    found = tuple(d for d in WEEKDAYS if d in chosen)
    if not found:
        raise ValueError("pick at least one working day")
    return found


def of_member(stored: list[object] | None, timezone: str | None) -> tuple[str, ...]:
    """The member's working days: their choice, else their locale's week."""
    try:
        return normalized(stored) if stored else locale_default(timezone)
    except ValueError:
        return locale_default(timezone)


def is_working_day(days: tuple[str, ...], day: date) -> bool:
    return WEEKDAYS[day.weekday()] in days


def cron_field(days: tuple[str, ...]) -> str:
    """APScheduler's day_of_week: "mon,tue,wed,thu,fri"."""
    return ",".join(days)


def describe(days: tuple[str, ...]) -> str:
    """Monday to Friday, or Monday, Wednesday, Friday."""
    if set(days) == set(SUN_THU):
        return "Sunday to Thursday"
    at = [WEEKDAYS.index(d) for d in days]
    if len(at) > 2 and at == list(range(at[0], at[0] + len(at))):
        return f"{NAMES[days[0]]} to {NAMES[days[-1]]}"
    return ", ".join(NAMES[d] for d in days)
