"""China's working calendar: weekends, public holidays and make-up working days (调休).

The source of truth is the ``chinesecalendar`` package, which knows each year's
State Council holiday arrangement once it is published.  For a year it does not
know, the calendar falls back to Monday to Friday plus the holidays and make-up
days the admins list under ``calendar:`` in ``config/tasks.yaml``;
``duban check`` warns about such years (see :func:`unknown_years`).

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import chinese_calendar

from bot.core.model import CalendarOverrides


@lru_cache(maxsize=64)
def year_known(year: int) -> bool:
    """Whether chinesecalendar carries the holiday arrangement for ``year``."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    # The package raises only for years outside its range; a year inside the
    # range but without any holiday listed would be a year it does not know.
    return any(d.year == year for d in chinese_calendar.holidays)


def unknown_years(years: Iterable[int]) -> list[int]:
    """The years among ``years`` that chinesecalendar has no data for, sorted."""
    return sorted({y for y in years if not year_known(y)})


class WorkCalendar:
    """Working days as a Chinese government office keeps them."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides or CalendarOverrides()
        self._cache: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day (调休 Saturdays and Sundays included)."""
        hit = self._cache.get(day)
        if hit is None:
            hit = self._compute(day)
            self._cache[day] = hit
        return hit

    def _compute(self, day: dt.date) -> bool:
        if day in self.overrides.workdays:
            return True
        if day in self.overrides.holidays:
            return False
        if year_known(day.year):
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def previous_workday(self, day: dt.date, *, inclusive: bool = True) -> dt.date:
        """The last working day on or before ``day`` (strictly before if not inclusive)."""
        d = day if inclusive else day - dt.timedelta(days=1)
        while not self.is_workday(d):
            d -= dt.timedelta(days=1)
        return d

    def next_workday(self, day: dt.date, *, inclusive: bool = True) -> dt.date:
        """The first working day on or after ``day`` (strictly after if not inclusive)."""
        d = day if inclusive else day + dt.timedelta(days=1)
        while not self.is_workday(d):
            d += dt.timedelta(days=1)
        return d

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (``day`` itself does not count)."""
        d = day
        for _ in range(n):
            d = self.next_workday(d, inclusive=False)
        return d

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open range (start, end]."""
        count = 0
        d = start + dt.timedelta(days=1)
        while d <= end:
            if self.is_workday(d):
                count += 1
            d += dt.timedelta(days=1)
        return count
