"""Whether an imported time can be kept: one rule for every format that reads times.

The database stores times in UTC and pages show them in the site's time zone; a time
within a day of the first or last that Python holds (0001-01-01, 9999-12-31) may have
no place in one of them ("9999-12-31T23:59:59-23:59" is in the year 10000 in UTC), and
converting it raised OverflowError when the article was stored (PostgreSQL) or shown.
"""

from __future__ import annotations

from datetime import MAXYEAR, MINYEAR, UTC, datetime

from django.utils import timezone


def range_problem(moment: datetime) -> str | None:
    """Why this aware time cannot be kept, in words that follow its value, or None."""
    # An offset is less than a day, so only times in the first or last year can overflow:
    # one comparison for nearly every time read.
    if moment.year not in (MINYEAR, MAXYEAR):
        return None
    side = "after the year 9999" if moment.year == MAXYEAR else "before the year 1"
    zone = timezone.get_default_timezone()
    places = ((UTC, "UTC, where times are stored"), (zone, f"this site's time zone ({zone})"))
    for tz, where in places:
        try:
            moment.astimezone(tz)
        except OverflowError:
            return f"is {side} in {where}"
    return None
