"""Properties of the plan: on working days and hours only, never twice, nothing for closed
tasks; and the shipped 2022 table started today sends overdue notices once, no stale reminders."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import SH, at, table

from bot.core.catalogue import load_catalogue
from bot.core.history import History, Record, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.planner import Kind, plan
from bot.core.workdays import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]
DEADLINES = [
    "2022年底",
    "2023年6月底",
    "2024年3月15日",
    "2025年底",
    "持续推进",
    "持续推进，2024年底取得阶段成效",
]


def rec(*args: object, **kwargs: object) -> Record:
    """The current state folded from a history (what storage keeps)."""
    return History(*args, **kwargs).record()  # type: ignore[arg-type]


def generated(deadlines: list[str], offsets: list[int], closed: set[int]) -> Catalogue:
    tasks = "".join(
        f"  - {{id: t{i}, number: {i + 1}, section: s1, title: 任务{i}, lead: eco, "
        f"cooperating: [econ], deadline: {d}}}\n"
        for i, d in enumerate(deadlines)
    )
    return table(f"""\
version: 1
document: {{title: 测试, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}}
policy: {{reminder_offsets_days: {sorted(set(offsets), reverse=True)}}}
people:
  - {{id: coord-1, name: 督办, roles: [coordinator], telegram_id: 1}}
bureaus:
  - {{id: eco, name: 生态环境局, contacts: [{{id: eco-1, name: 甲}}, {{id: eco-2, name: 乙}}]}}
  - {{id: econ, name: 经济发展局, contacts: [{{id: econ-1, name: 丙}}]}}
sections:
  - {{id: s1, number: 一, title: 第一部分}}
tasks:
{tasks}""")


@settings(max_examples=40, deadline=None)
@given(
    deadlines=st.lists(st.sampled_from(DEADLINES), min_size=1, max_size=5),
    offsets=st.lists(st.integers(1, 120), min_size=1, max_size=5),
    start=st.datetimes(min_value=dt.datetime(2022, 4, 1), max_value=dt.datetime(2025, 6, 1)),
    closed=st.sets(st.integers(0, 4), max_size=3),
    answer=st.booleans(),
)
def test_plan_properties(
    deadlines: list[str], offsets: list[int], start: dt.datetime, closed: set[int], answer: bool
) -> None:
    cat = generated(deadlines, offsets, closed)
    cal = WorkCalendar()
    now = start.replace(tzinfo=SH)
    updates = [
        StatusUpdate(100 + i, f"t{i}", UpdateKind.CLOSED, now - dt.timedelta(days=1), "coord-1")
        for i in closed
        if i < len(deadlines)
    ]
    sent: list[Sent] = []
    seen: set[str] = set()
    for step in range(12):  # two weeks of ticks, one every ~30 hours
        history = History(updates, sent=sent)
        for d in plan(cat, now, history.record(), cal):
            local = now.astimezone(SH)
            assert cal.is_workday(local.date()), d.key
            assert dt.time(9, 0) <= local.time() < dt.time(18, 0), d.key
            assert cal.is_workday(d.slot.date()) and d.slot.time() == dt.time(9, 0), d.key
            assert d.key not in seen, d.key
            seen.add(d.key)
            if d.task_id and int(d.task_id[1:]) in closed and d.kind is not Kind.DIGEST:
                raise AssertionError(f"{d.key} planned for a closed task")
            sent.append(
                Sent(
                    d.key,
                    d.kind.value,
                    d.recipient,
                    now,
                    task_id=d.task_id,
                    indicator_id=d.indicator_id,
                    bureau_id=d.bureau_id,
                )
            )
            if answer and d.task_id:
                updates.append(
                    StatusUpdate(
                        1000 + len(updates),
                        d.task_id,
                        UpdateKind.ON_TRACK,
                        now,
                        d.recipient,
                        d.bureau_id,
                    )
                )
        now += dt.timedelta(hours=30 + step)


def test_the_2022_table_started_today_sends_overdue_notices_once_and_no_stale_reminders() -> None:
    cat = load_catalogue(ROOT / "config" / "tasks.yaml").catalogue
    assert cat is not None
    cal = WorkCalendar(cat.calendar)
    now = at("2026-11-24 08:00")
    sent: list[Sent] = []
    while now < at("2026-11-29 18:00"):  # less than the weekly overdue cadence
        for d in plan(cat, now, rec(sent=sent), cal):
            sent.append(
                Sent(
                    d.key, d.kind.value, d.recipient, now, task_id=d.task_id, bureau_id=d.bureau_id
                )
            )
        now += dt.timedelta(minutes=30)
    kinds = Counter(s.kind for s in sent)
    assert kinds["reminder"] == 0  # every deadline of the table has passed
    overdue = [s for s in sent if s.kind == "overdue"]
    per_item = Counter((s.task_id, s.key.split(":")[1], s.recipient) for s in overdue)
    assert overdue and max(per_item.values()) == 1  # one notice per item and contact
    assert len(sent) < 300  # not hundreds of stale reminders
