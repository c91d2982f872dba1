"""The planner's fast path plans exactly what the enumeration defines (issue #12).

`plan` and `upcoming` work from the next-due index (`bot.core.nextdue`); `plan_enumerated` and
`upcoming_enumerated` enumerate every slot of every series. On random tables (policies and
their per-task overrides, sub-items with their own dates and leads, every-task bureaus,
indicators, coordinators, make-up days) and random histories made by running the plan and
sending, answering and closing some of what it planned, the two give the same lists, at
instants before, at and after the send time, on days off, and as one index is asked again
and again across days (its per-day cache) and for other records.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import SH, table

from bot.core.history import History, Record, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.nextdue import _due
from bot.core.planner import (
    Due,
    Kind,
    plan,
    plan_enumerated,
    upcoming,
    upcoming_enumerated,
)
from bot.core.status import table_status
from bot.core.workdays import WorkCalendar

DEADLINES = [
    "2022年底",
    "2023年6月底",
    "2023年10月8日",
    "2024年3月15日",
    "2025年底",
    "持续推进",
    "持续推进，2024年底取得阶段成效",
]
CADENCES = ["none", "weekly", "biweekly", "monthly", "quarterly", "half_yearly", "yearly"]
BUREAUS = ["eco", "econ", "water"]


@st.composite
def tables(draw: st.DrawFn) -> Catalogue:
    offsets = draw(
        st.lists(st.sampled_from([0, 1, 3, 7, 30, 90]) | st.integers(0, 100), max_size=4)
    )
    # the document's date: a Thursday, or a period's first day (a first slot on the date itself)
    date = draw(st.sampled_from(["2022-03-31", "2022-04-01", "2022-01-03", "2023-01-03"]))
    policy = (
        f"policy: {{reminder_offsets_days: {offsets}, "
        f"remind_cooperating: {str(draw(st.booleans())).lower()}, "
        f"checkin: {draw(st.sampled_from(CADENCES))}, "
        f"followup_after_workdays: {draw(st.integers(1, 4))}, "
        f"max_followups: {draw(st.integers(0, 2))}, "
        f"overdue_every_days: {draw(st.integers(1, 10))}, "
        f"overdue_slowdown_after: {draw(st.integers(0, 3))}, "
        f"digest_weekday: {draw(st.integers(1, 7))}, "
        f"catch_up_grace_hours: {draw(st.sampled_from([0, 1, 24, 72]))}}}\n"
    )
    coordinators = draw(st.integers(0, 2))
    people = "".join(
        f"  - {{id: coord-{i}, name: 督办{i}, roles: [coordinator], telegram_id: {10 + i}}}\n"
        for i in range(coordinators)
    )
    tasks = "".join(_task(draw, n) for n in range(draw(st.integers(1, 4))))
    indicators = "".join(
        f"  - {{id: ind{i}, name: 指标{i}, unit: '%', direction: at_least, target: 50, "
        f"due: {draw(st.sampled_from(DEADLINES[:5]))}, owner: {draw(st.sampled_from(BUREAUS))}, "
        f"checkin: {draw(st.sampled_from(CADENCES))}}}\n"
        for i in range(draw(st.integers(0, 2)))
    )
    return table(
        f"""\
version: 1
document: {{title: 测试, issuer: 区办, number: '〔2022〕-1', date: {date}}}
{policy}calendar: {{holidays: [2024-06-03, 2025-12-01], workdays: [2024-06-08]}}
people:
  - {{id: admin-1, name: 管理, roles: [admin], telegram_id: 1}}
{people}bureaus:
  - {{id: eco, name: 生态环境局, contacts: [{{id: eco-1, name: 甲}}, {{id: eco-2, name: 乙}}]}}
  - {{id: econ, name: 经济发展局, contacts: [{{id: econ-1, name: 丙}}]}}
  - {{id: water, name: 水务局, contacts: [{{id: water-1, name: 丁}}]}}
  - {{id: streets, name: 各街道、镇, every_task: {str(draw(st.booleans())).lower()}, contacts: [{{id: streets-1, name: 戊}}]}}
sections:
  - {{id: s1, number: 一, title: 第一部分}}
tasks:
{tasks}"""
        + (f"indicators:\n{indicators}" if indicators else "")
    )


def _task(draw: st.DrawFn, n: int) -> str:
    lead = draw(st.sampled_from(BUREAUS))
    coop = draw(st.lists(st.sampled_from(BUREAUS), max_size=2, unique=True))
    out = (
        f"  - id: t{n}\n    number: {n + 1}\n    section: s1\n    title: 任务{n}\n"
        f"    lead: {lead}\n    cooperating: [{', '.join(c for c in coop if c != lead)}]\n"
        f"    deadline: {draw(st.sampled_from(DEADLINES))}\n"
    )
    if draw(st.booleans()):
        out += (
            f"    policy: {{reminder_offsets_days: {draw(st.lists(st.integers(1, 60), max_size=3))}, "
            f"checkin: {draw(st.sampled_from(CADENCES))}, max_followups: {draw(st.integers(0, 3))}, "
            f"overdue_every_days: {draw(st.integers(1, 5))}}}\n"
        )
    subs = draw(st.integers(0, 2))
    if subs:
        out += "    subtasks:\n"
    for s in range(subs):
        out += f"      - id: t{n}-{s}\n        text: 子项{s}\n"
        if draw(st.booleans()):
            out += f"        deadline: {draw(st.sampled_from(DEADLINES[:5]))}\n"
        if draw(st.booleans()):
            out += f"        lead: {draw(st.sampled_from(BUREAUS))}\n"
    return out


def _history(cat: Catalogue, rng: random.Random, start: dt.datetime, steps: int) -> History:
    """Run the plan now and then: send most of it, answer some, close a task now and then."""
    cal = WorkCalendar(cat.calendar)
    updates: list[StatusUpdate] = []
    sent: list[Sent] = []
    now = start
    for _ in range(steps):
        record = History(updates, sent=sent).record()
        for d in plan_enumerated(cat, now, record, cal):
            if rng.random() < 0.8:
                sent.append(Sent(d.key, d.kind.value, d.recipient, now, task_id=d.task_id,
                                 indicator_id=d.indicator_id, bureau_id=d.bureau_id,
                                 subtask_id=d.subtask_id))  # fmt: skip
            if d.task_id and d.kind is not Kind.ESCALATION and rng.random() < 0.3:
                updates.append(StatusUpdate(len(updates) + 1, d.task_id, UpdateKind.ON_TRACK,
                                            now + dt.timedelta(hours=1), d.recipient, d.bureau_id))  # fmt: skip
        if rng.random() < 0.1:
            task = rng.choice(cat.tasks)
            sub = rng.choice([None, *(s.id for s in task.subtasks)])
            updates.append(StatusUpdate(len(updates) + 1, task.id, UpdateKind.CLOSED, now,
                                        "admin-1", subtask_id=sub))  # fmt: skip
        now += dt.timedelta(hours=rng.choice([3, 20, 30, 80, 200, 900]))
    return History(updates, sent=sent)


def _working_time(rng: random.Random, start: dt.datetime, days: int) -> dt.datetime:
    """An instant within `days` after `start`, mostly in working hours."""
    day = start.date() + dt.timedelta(days=rng.randrange(days))
    minutes = rng.randrange(9 * 60 - 30, 18 * 60 + 30)
    return dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60), tzinfo=SH)


INSTANTS = st.datetimes(min_value=dt.datetime(2022, 3, 1), max_value=dt.datetime(2026, 6, 1))


@settings(max_examples=40, deadline=None)
@given(cat=tables(), start=INSTANTS, seed=st.integers(0, 10**6), steps=st.integers(0, 12))
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_plan_from_the_index_is_the_enumerated_plan(
    cat: Catalogue, start: dt.datetime, seed: int, steps: int
) -> None:
    rng = random.Random(seed)
    start = start.replace(tzinfo=SH)
    history = _history(cat, rng, start, steps)
    record = history.record()
    cal = WorkCalendar(cat.calendar)
    instants = [_working_time(rng, start, 400) for _ in range(10)]
    first = instants[0].date()  # and every day for six weeks: missed slots age past their grace
    instants += [dt.datetime.combine(first + dt.timedelta(days=n), dt.time(10), tzinfo=SH)
                 for n in range(42)]  # fmt: skip
    day = instants[1].date()
    instants += [  # either side of the send time and the grace, on one day
        dt.datetime.combine(day, dt.time(h, m), tzinfo=SH)
        for h, m in ((8, 59), (9, 0), (9, 1), (17, 59))
    ]
    for now in [*instants, *reversed(instants)]:
        assert plan(cat, now, record, cal) == plan_enumerated(cat, now, record, cal), now
    assert plan(cat, instants[1], History().record()) == plan_enumerated(
        cat, instants[1], History().record()
    )


@settings(max_examples=40, deadline=None)
@given(cat=tables(), start=INSTANTS, seed=st.integers(0, 10**6), days=st.integers(0, 200))
def test_upcoming_from_the_index_is_the_enumerated_outlook(
    cat: Catalogue, start: dt.datetime, seed: int, days: int
) -> None:
    rng = random.Random(seed)
    start = start.replace(tzinfo=SH)
    history = _history(cat, rng, start, 6)
    record = history.record()
    now = _working_time(rng, start, 300)
    until = now + dt.timedelta(days=days, hours=rng.randrange(24))
    assert upcoming(cat, now, record, until) == upcoming_enumerated(cat, now, record, until)


def test_the_fast_constructor_builds_what_the_dataclass_builds() -> None:
    slot = dt.datetime(2025, 3, 3, 9, tzinfo=SH)
    fields = {"key": "k", "kind": Kind.REMINDER, "recipient": "eco-1", "slot": slot,
              "task_id": "t1", "subtask_id": None, "indicator_id": None, "bureau_id": "eco",
              "milestone": None, "offset_days": 7, "ref": None, "ref_at": None, "seq": 0,
              "late": False}  # fmt: skip
    fast, made = _due(dict(fields)), Due(**fields)
    assert fast == made and hash(fast) == hash(made) and repr(fast) == repr(made)
    assert set(vars(fast)) == set(vars(made))


def test_a_reminder_on_the_deadline_day_itself_is_upcoming_on_both_paths() -> None:
    from catalogue.valid_table import VALID

    cat = table(VALID.replace("reminder_offsets_days: [30, 7, 1]", "reminder_offsets_days: [7, 0]"))
    now, until = dt.datetime(2025, 12, 1, 10, tzinfo=SH), dt.datetime(2026, 1, 10, tzinfo=SH)
    fast = upcoming(cat, now, History().record(), until)
    assert fast == upcoming_enumerated(cat, now, History().record(), until)
    assert "reminder:t02:2025-12-31:0d:eco-1" in {d.key for d in fast}


def _catch_up(running: Record, full: Record) -> None:
    """Bring `running` to `full` the way storage does: only what changed, through set_item
    and set_prompt (so the record's memo sees every change)."""
    for key, state in full.items.items():
        if running.item(*key) != state:
            running.set_item(key, state)
    for prompt in full.prompts.values():
        if running.prompts.get((prompt.subject, prompt.recipient)) != prompt:
            running.set_prompt(prompt)


@settings(max_examples=40, deadline=None)
@given(cat=tables(), start=INSTANTS, seed=st.integers(0, 10**6), steps=st.integers(1, 12))
def test_lights_kept_on_the_record_are_the_lights_computed_afresh(
    cat: Catalogue, start: dt.datetime, seed: int, steps: int
) -> None:
    """A record that changes one task at a time keeps each task's light until that task (or
    the day, or the table) changes; asked at any moment, it gives what a fresh record gives."""
    rng = random.Random(seed)
    start = start.replace(tzinfo=SH)
    history = _history(cat, rng, start, steps)
    events = sorted({u.at for u in history.updates} | {s.at for s in history.sent.values()})
    running = Record()
    probe = _working_time(rng, start, 400)  # one day asked after every change
    for when in events:
        full = history.as_of(when).record()
        _catch_up(running, full)
        later = _working_time(rng, when, 60)
        for ask in (probe, when, later, when, probe):
            kept = table_status(cat, running, ask)
            assert kept == table_status(cat, full.copy(), ask), (when, ask)
