"""The world a report process receives (issue #12): pickled while the bot goes on answering,
so its state must not include what the bot keeps filling meanwhile. (Measured: a digest built
while contacts answered failed with "dictionary changed size during iteration": the working
calendar's cache of days and the table's lookup indexes grew while they were being pickled.)"""

from __future__ import annotations

import datetime as dt
import pickle

from support import at

from bot.core.model import Catalogue
from bot.core.workdays import WorkCalendar


def test_a_working_calendar_is_sent_without_its_cache_of_days() -> None:
    calendar = WorkCalendar()
    before = pickle.dumps(calendar)
    start = dt.date(2022, 1, 1)
    for n in range(3 * 366):  # what a bot running for three years has asked
        calendar.is_workday(start + dt.timedelta(days=n))
    assert pickle.dumps(calendar) == before
    copy = pickle.loads(pickle.dumps(calendar))
    assert [copy.is_workday(start + dt.timedelta(days=n)) for n in range(40)] == [
        calendar.is_workday(start + dt.timedelta(days=n)) for n in range(40)
    ]
    assert copy.is_workday(dt.date(2022, 10, 1)) is False  # 国庆节
    assert copy.is_workday(dt.date(2022, 10, 8)) is True  # 调休 Saturday


def test_a_table_is_sent_without_the_indexes_built_on_it(cat: Catalogue) -> None:
    before = pickle.dumps(cat)
    cat.task("t02"), cat.contacts(), cat.bureaus_of(cat.task("t02"))  # indexes built on use
    assert pickle.dumps(cat) == before
    copy = pickle.loads(before)
    assert copy == cat
    assert copy.task("t02").title == cat.task("t02").title
    assert [c.id for c in copy.contacts()] == [c.id for c in cat.contacts()]
    assert copy.tz.key == "Asia/Shanghai" and at("2025-01-01 09:00").tzinfo is not None
