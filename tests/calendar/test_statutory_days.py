"""China's calendar beyond the years chinesecalendar knows: the statutory holidays of
《全国年节及纪念日放假办法》 (2024 revision) with their 补假, the published arrangements
where known, the admins' `calendar:` entries above both, and each year computed once.

The 2027 and 2028 dates below were checked against the lunar calendar by hand (2027: 除夕
Feb 5, 春节 Feb 6, 端午 Jun 9, 中秋 Sep 15, 清明 Apr 5; 2028: 春节 Jan 26, 清明 Apr 4,
端午 May 28, 中秋 Oct 3), not taken from the library under test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.model import CalendarOverrides
from bot.core.workdays import WorkCalendar, _from_chinesecalendar, _from_holidays, year_days

D = dt.date.fromisoformat

STATUTORY_2027 = {
    "2027-01-01": "元旦",
    "2027-02-05": "除夕",
    "2027-02-06": "春节 正月初一",
    "2027-02-07": "春节 正月初二",
    "2027-02-08": "春节 正月初三",
    "2027-04-05": "清明",
    "2027-05-01": "劳动节",
    "2027-05-02": "劳动节",
    "2027-06-09": "端午",
    "2027-09-15": "中秋",
    "2027-10-01": "国庆",
    "2027-10-02": "国庆",
    "2027-10-03": "国庆",
}
# 第六条: a statutory day on a Saturday or Sunday is made up on the next working days
BUJIA_2027 = {
    "2027-02-09": "初一 (Saturday) made up",
    "2027-02-10": "初二 (Sunday) made up",
    "2027-05-03": "May 1 (Saturday) made up",
    "2027-05-04": "May 2 (Sunday) made up",
    "2027-10-04": "Oct 2 (Saturday) made up",
    "2027-10-05": "Oct 3 (Sunday) made up",
}
STATUTORY_2028 = [
    "2028-01-01", "2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28", "2028-04-04",
    "2028-05-01", "2028-05-02", "2028-05-28", "2028-10-01", "2028-10-02", "2028-10-03",
]  # fmt: skip


@pytest.mark.parametrize("day", sorted(STATUTORY_2027))
def test_every_statutory_day_of_2027_is_off(day: str) -> None:
    assert not WorkCalendar().is_workday(D(day)), STATUTORY_2027[day]


def test_chuxi_2027_is_february_5() -> None:
    off = year_days(2027).days_off
    assert D("2027-02-05") in off  # 除夕, a Friday
    assert D("2027-02-04") not in off  # 腊月廿九 is an ordinary Thursday
    assert WorkCalendar().is_workday(D("2027-02-04"))


@pytest.mark.parametrize("day", sorted(BUJIA_2027))
def test_weekend_statutory_days_are_made_up_on_the_next_working_days(day: str) -> None:
    assert not WorkCalendar().is_workday(D(day)), BUJIA_2027[day]


def test_2027_otherwise_works_monday_to_friday_and_no_weekend() -> None:
    cal = WorkCalendar()
    assert cal.is_workday(D("2027-02-11"))  # Thursday after the Spring Festival
    assert cal.is_workday(D("2027-04-06"))  # Tuesday after 清明
    assert cal.is_workday(D("2027-10-06"))  # Wednesday after 国庆 and its 补假
    # the make-up Saturdays of an unpublished year are unknown: no weekend is worked
    assert not cal.is_workday(D("2027-02-20"))
    assert not cal.is_workday(D("2027-10-09"))
    assert year_days(2027).workdays == frozenset()
    assert not year_days(2027).published


def test_2028_statutory_days_with_new_year_and_duanwu_made_up() -> None:
    cal = WorkCalendar()
    assert [d for d in STATUTORY_2028 if D(d).weekday() < 5 and cal.is_workday(D(d))] == []
    assert not cal.is_workday(D("2028-01-03"))  # 元旦 is a Saturday: Monday made up
    assert not cal.is_workday(D("2028-05-29"))  # 端午 is a Sunday: Monday made up
    assert not cal.is_workday(D("2028-10-04"))  # Oct 1 is a Sunday: made up after Oct 3
    assert cal.is_workday(D("2028-01-24"))  # Monday before 除夕


def test_published_years_keep_their_arrangement_with_make_up_days() -> None:
    cal = WorkCalendar()
    assert year_days(2026).published and year_days(2026).source == "chinesecalendar"
    assert cal.is_workday(D("2026-01-04"))  # Sunday, 调休 working day
    assert not cal.is_workday(D("2026-01-02"))  # Friday, 调休 day off
    assert not cal.is_workday(D("2026-02-23"))  # Monday after the Spring Festival, off


def test_the_statutory_source_matches_every_published_arrangement_it_overlaps() -> None:
    """For every year both packages carry, the holidays package gives the same working days
    as chinesecalendar: the layer beyond 2026 comes from a source that was right before."""
    mismatched = {}
    for year in range(2006, 2027):
        a, b = _from_chinesecalendar(year), _from_holidays(year)
        if (a.days_off, a.workdays) != (b.days_off, b.workdays):
            mismatched[year] = sorted(a.days_off ^ b.days_off | a.workdays ^ b.workdays)
    assert mismatched == {}


def test_the_admins_calendar_entries_override_the_statutory_days() -> None:
    cal = WorkCalendar(
        CalendarOverrides(
            holidays=frozenset({D("2027-02-11"), D("2027-02-12")}),
            workdays=frozenset({D("2027-02-20"), D("2027-02-10")}),
        )
    )
    assert not cal.is_workday(D("2027-02-11"))  # listed day off, a Thursday
    assert cal.is_workday(D("2027-02-20"))  # listed make-up Saturday
    assert cal.is_workday(D("2027-02-10"))  # the listed word beats the estimated 补假
    assert not cal.is_workday(D("2027-02-08"))  # unlisted statutory day stays off


def test_each_year_is_computed_once_for_every_calendar() -> None:
    year_days.cache_clear()
    for _ in range(3):
        cal = WorkCalendar()
        day = D("2027-01-01")
        while day.year == 2027:
            cal.is_workday(day)
            day += dt.timedelta(days=1)
    info = year_days.cache_info()
    assert info.misses == 1 and info.hits >= 3 * 365 - 1
