"""The calendar usage is read against: public holidays of the account's country and the year-end fortnight.

Days off are left out of every window, so a holiday week is never compared with a working week; last year's
same weeks (52 weeks back, so weekdays line up) tell an ordinary seasonal dip from a real one.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from functools import lru_cache

import holidays

YEAR_DAYS = 364  # 52 weeks: the same weekdays last year
YEAR_END = ((12, 22), (1, 3))  # the late-December fortnight most B2B customers slow down in, everywhere


@lru_cache(maxsize=512)
def _days_off(country: str | None, year: int) -> frozenset[int]:
    """Ordinals of the year's days off: the year-end fortnight, plus the country's public holidays if known."""
    (m1, d1), (m2, d2) = YEAR_END
    off = set(range(date(year, m1, d1).toordinal(), date(year, 12, 31).toordinal() + 1))
    off |= set(range(date(year, 1, 1).toordinal(), date(year, m2, d2).toordinal() + 1))
    if country:
        with suppress(NotImplementedError):  # a country the package does not know: the year end still counts
            off |= {d.toordinal() for d in holidays.country_holidays(country.upper(), years=year)}
    return frozenset(off)


@lru_cache(maxsize=512)
def calendar_off(country: str | None, year: int) -> frozenset[int]:
    """Days off from two years before `year` to `year` (readings reach back a year and a season)."""
    out: set[int] = set()
    for y in (year - 2, year - 1, year):
        out |= _days_off(country, y)
    return frozenset(out)
