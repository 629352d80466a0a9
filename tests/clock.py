"""A frozen clock for tests whose outcome depends on the hour they run at.

"Today" differs between the zones the demo book uses (Europe/Paris, America/New_York) for several hours a
day; a test that compares days across zones freezes the clock at a moment that is the same day everywhere,
so CI passes at any hour.
"""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine

# 15:00 UTC: 10:00 in New York, 16:00 in Paris, the same calendar day in every zone the tests use.
SAME_DAY_EVERYWHERE = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def frozen_at_midday() -> time_machine.travel:
    """Travel to SAME_DAY_EVERYWHERE; the clock keeps ticking from there (timeouts and waits still work)."""
    return time_machine.travel(SAME_DAY_EVERYWHERE, tick=True)
