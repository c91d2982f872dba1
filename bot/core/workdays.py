"""China's working calendar: weekends, public holidays and make-up working days (调休).

Three layers, the first that speaks wins:

1. ``calendar.holidays`` / ``calendar.workdays`` in ``config/tasks.yaml`` (the admins' word);
2. the State Council's published arrangement of the year (放假安排, 调休 included): from the
   ``chinesecalendar`` package (2004-2026 in 1.11), else from the ``holidays`` package when
   its release carries that year's arrangement;
3. for a year nobody has published yet: the statutory holidays of 《全国年节及纪念日放假办法》
   (2024 revision) computed from the lunar calendar by ``holidays``: 元旦 (1 day), 春节
   (除夕 through 正月初三), 清明, 劳动节 (May 1-2), 端午, 中秋, 国庆 (Oct 1-3), plus the
   补假 of article 6 (a statutory day on a Saturday or Sunday is made up on the next working
   day), Monday to Friday otherwise. Its make-up working days (调休 Saturdays and Sundays)
   are unknown until the State Council publishes them: ``duban check`` warns about such years
   (:func:`unpublished_years`) until the admins list that year's days under ``calendar:``.

Each year is computed once (:func:`year_days`, cached for the process) and each day once
per :class:`WorkCalendar`. Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import chinese_calendar

from bot.core.model import CalendarOverrides, Catalogue


@dataclass(frozen=True)
class YearDays:
    """One year's exceptions to Monday-to-Friday."""

    year: int
    days_off: frozenset[dt.date]  # Monday to Friday days off: holidays, 补假, 调休 days off
    workdays: frozenset[dt.date]  # Saturdays and Sundays worked (调休上班)
    published: bool  # the year's arrangement (调休 included) is known, not only its law
    source: str  # "chinesecalendar", "holidays" or "statutory"


def _chinesecalendar_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    # The package raises only for years outside its range; a year inside the range but
    # without any holiday listed would be a year it does not know.
    return any(d.year == year for d in chinese_calendar.holidays)


def _days(year: int) -> list[dt.date]:
    first = dt.date(year, 1, 1)
    return [first + dt.timedelta(days=i) for i in range((dt.date(year + 1, 1, 1) - first).days)]


def _from_chinesecalendar(year: int) -> YearDays:
    off, on = set(), set()
    for day in _days(year):
        work = bool(chinese_calendar.is_workday(day))
        if day.weekday() < 5 and not work:
            off.add(day)
        elif day.weekday() >= 5 and work:
            on.add(day)
    return YearDays(year, frozenset(off), frozenset(on), True, "chinesecalendar")


def _from_holidays(year: int) -> YearDays:
    # Imported here: it takes ~0.1 s and only years chinesecalendar lacks need it.
    from holidays.countries.china import China

    # The next year too: a late-December Saturday can be worked for next year's 元旦.
    table = China(years=(year, year + 1))  # type: ignore[no-untyped-call]  # untyped library
    off = frozenset(d for d in table if d.year == year and d.weekday() < 5)
    on = frozenset(d for d in table.weekend_workdays if d.year == year)
    # `holidays` lists a year's 调休 working days only once the arrangement is published.
    published = bool(on)
    return YearDays(year, off, on, published, "holidays" if published else "statutory")


@cache
def year_days(year: int) -> YearDays:
    """The year's days off and worked weekend days, computed once per process."""
    if _chinesecalendar_knows(year):
        return _from_chinesecalendar(year)
    return _from_holidays(year)


def year_known(year: int) -> bool:
    """Whether the State Council's arrangement for ``year`` (调休 included) is known."""
    return year_days(year).published


def unknown_years(years: Iterable[int]) -> list[int]:
    """The years among ``years`` whose arrangement is not published yet, sorted."""
    return sorted({y for y in years if not year_known(y)})


def listed_years(overrides: CalendarOverrides) -> set[int]:
    """Years the admins listed under ``calendar:``: any holiday or working day in the year.

    Listing one date of a year says the admins entered that year's published arrangement
    (its make-up working days, or at least one of its days off), so the year stops being
    warned about.
    """
    return {d.year for d in overrides.holidays | overrides.workdays}


def reached_years(catalogue: Catalogue, today: dt.date | None = None) -> set[int]:
    """The years the table reaches: its deadlines, milestones and indicator dues, and the
    coming 12 months from ``today`` (when given)."""
    years: set[int] = set()
    for task in catalogue.tasks:
        for deadline in [task.deadline, *(s.deadline for s in task.subtasks if s.deadline)]:
            if deadline.due is not None:
                years.add(deadline.due.year)
    for indicator in catalogue.indicators:
        if indicator.due.due is not None:
            years.add(indicator.due.due.year)
    if today is not None:
        years.update(range(today.year, (today + dt.timedelta(days=365)).year + 1))
    return years


def unpublished_years(catalogue: Catalogue, today: dt.date | None = None) -> list[int]:
    """Years the table reaches whose 调休 are not yet known and that the admins have not
    listed under ``calendar:``: what ``duban check`` warns about, sorted."""
    listed = listed_years(catalogue.calendar)
    return [y for y in unknown_years(reached_years(catalogue, today)) if y not in listed]


class WorkCalendar:
    """Working days as a Chinese government office keeps them."""

    def __init__(self, overrides: CalendarOverrides | None = None) -> None:
        self.overrides = overrides or CalendarOverrides()
        self._cache: dict[dt.date, bool] = {}

    def __getstate__(self) -> dict[str, object]:
        """Pickled as its overrides only: the cache of days grows while the bot runs (a report
        process gets the calendar pickled on another thread) and is rebuilt there."""
        return {"overrides": self.overrides}

    def __setstate__(self, state: dict[str, object]) -> None:
        overrides = state["overrides"]
        assert isinstance(overrides, CalendarOverrides)
        self.__init__(overrides)  # type: ignore[misc]

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
        year = year_days(day.year)
        if day.weekday() < 5:
            return day not in year.days_off
        return day in year.workdays

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
