"""China's working calendar: weekends, holidays, make-up working days (调休), fallback."""

from __future__ import annotations

import datetime as dt

from bot.core.model import CalendarOverrides
from bot.core.workdays import WorkCalendar, unknown_years

D = dt.date.fromisoformat


def test_national_day_is_off_and_makeup_saturday_is_on() -> None:
    cal = WorkCalendar()
    assert not cal.is_workday(D("2022-10-03"))  # Monday in the National Day week
    assert cal.is_workday(D("2022-10-08"))  # Saturday, 调休 working day
    assert cal.is_workday(D("2022-10-09"))  # Sunday, 调休 working day
    assert not cal.is_workday(D("2022-10-15"))  # an ordinary Saturday


def test_previous_and_next_working_day_skip_the_holiday() -> None:
    cal = WorkCalendar()
    # 2022-10-01..07 is the National Day holiday
    assert cal.previous_workday(D("2022-10-05")) == D("2022-09-30")
    assert cal.next_workday(D("2022-10-05")) == D("2022-10-08")


def test_add_workdays_counts_makeup_days() -> None:
    cal = WorkCalendar()
    # Thursday 2022-09-29 + 3 working days: Fri 30, (holiday), Sat 8 (调休), Sun 9 (调休)
    assert cal.add_workdays(D("2022-09-29"), 3) == D("2022-10-09")
    assert cal.workdays_between(D("2022-09-29"), D("2022-10-09")) == 3


def test_unpublished_year_falls_back_to_statutory_days_weekdays_plus_config() -> None:
    assert unknown_years([2022, 2026, 2031]) == [2031]
    cal = WorkCalendar(
        CalendarOverrides(
            holidays=frozenset({D("2031-10-01")}), workdays=frozenset({D("2031-09-28")})
        )
    )
    assert not cal.is_workday(D("2031-10-01"))  # a Wednesday listed as holiday
    assert cal.is_workday(D("2031-09-28"))  # a Sunday listed as make-up day
    assert not cal.is_workday(D("2031-10-02"))  # a Thursday of the statutory 国庆 days
    assert cal.is_workday(D("2031-10-09"))  # a Thursday, nothing listed
    assert not cal.is_workday(D("2031-10-04"))  # a Saturday


def test_config_overrides_a_known_year_too() -> None:
    cal = WorkCalendar(CalendarOverrides(holidays=frozenset({D("2026-03-02")})))
    assert not cal.is_workday(D("2026-03-02"))


def test_a_simulated_clock_pauses_and_resumes() -> None:
    """`duban demo --interactive` stops the rehearsal's clock while a person types."""
    import datetime as dt

    from bot.core.clock import SimulatedClock

    ticks = iter([0.0, 10.0, 10.0, 20.0, 30.0])  # the real seconds each call reads
    start = dt.datetime(2025, 12, 1, 9, 0, tzinfo=dt.UTC)
    clock = SimulatedClock(start, speed=60, monotonic=lambda: next(ticks))
    assert clock.now() == start + dt.timedelta(minutes=10)  # 10 real s at 60x
    clock.pause()  # at 10 s
    assert clock.now() == start + dt.timedelta(minutes=10)  # paused: still 10 min
    clock.resume()  # at 20 s: 10 s were paused
    assert clock.now() == start + dt.timedelta(minutes=20)  # at 30 s: 20 running seconds
