"""The plan: who gets which message when, from the table, the clock and history."""

from __future__ import annotations

import datetime as dt
import itertools

from catalogue.valid_table import VALID
from support import at, table

from bot.core.history import History, Record, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.planner import Kind, in_working_hours, plan, upcoming
from bot.core.workdays import WorkCalendar


def rec(*args: object, **kwargs: object) -> Record:
    """The current state folded from a history (what storage keeps)."""
    return History(*args, **kwargs).record()  # type: ignore[arg-type]


def keys(cat: Catalogue, now: dt.datetime, history: History | None = None) -> set[str]:
    return {d.key for d in plan(cat, now, (history or History()).record())}


def sent(key: str, kind: str, recipient: str, when: dt.datetime, **kw: str) -> Sent:
    return Sent(key=key, kind=kind, recipient=recipient, at=when, **kw)


def test_reminder_30_days_before_the_deadline_to_lead_and_streets(cat: Catalogue) -> None:
    # t02 is due 2025年底; 30 days before is Monday 2025-12-01.
    due = keys(cat, at("2025-12-01 09:05"))
    assert "reminder:t02:2025-12-31:30d:eco-1" in due
    assert "reminder:t02:2025-12-31:30d:streets-1" in due  # 各街道、镇 bind every task
    assert not any(k.startswith("reminder:t02:") and k.endswith("econ-1") for k in due)


def test_nothing_before_the_send_time_nor_on_a_day_off(cat: Catalogue) -> None:
    assert keys(cat, at("2025-12-01 08:59")) == set()
    assert keys(cat, at("2025-12-06 10:00")) == set()  # a Saturday
    assert keys(cat, at("2025-10-01 10:00")) == set()  # National Day
    assert not in_working_hours(cat, at("2025-12-01 18:30"), WorkCalendar())


def test_a_slot_on_a_weekend_moves_to_the_previous_working_day(cat: Catalogue) -> None:
    # sub-item t02-2 is due 2024年底; 30 days before is Sunday 2024-12-01 -> Friday 11-29.
    items = upcoming(cat, at("2024-11-20 00:00"), rec(), at("2024-12-31 00:00"))
    slots = {d.slot for d in items if d.key.startswith("reminder:t02/t02-2:2024-12-31:30d")}
    assert slots == {at("2024-11-29 09:00")}


def test_a_sent_key_is_never_due_again(cat: Catalogue) -> None:
    now = at("2025-12-01 09:05")
    first = plan(cat, now, rec())
    history = History(sent=[sent(d.key, d.kind.value, d.recipient, now) for d in first])
    assert plan(cat, now + dt.timedelta(hours=2), history.record()) == []


def test_after_downtime_only_the_latest_reminder_goes_out_marked_late(cat: Catalogue) -> None:
    # Down from November to 2025-12-26: the 30-day and 7-day slots were missed.
    due = [d for d in plan(cat, at("2025-12-26 10:00"), rec()) if d.task_id == "t02"]
    eco = [d for d in due if d.recipient == "eco-1" and d.kind is Kind.REMINDER]
    assert [d.offset_days for d in eco] == [7]
    assert eco[0].late


def test_follow_up_after_three_working_days_without_answer(cat: Catalogue) -> None:
    key = "reminder:t02:2025-12-31:30d:eco-1"
    prompt = sent(key, "reminder", "eco-1", at("2025-12-01 09:00"), task_id="t02", bureau_id="eco")
    history = History(sent=[prompt])
    assert f"followup:{key}:1" not in keys(cat, at("2025-12-03 10:00"), history)
    assert f"followup:{key}:1" in keys(cat, at("2025-12-04 09:01"), history)
    answered = History(
        [StatusUpdate(1, "t02", UpdateKind.ON_TRACK, at("2025-12-02 15:00"), "eco-1", "eco")],
        sent=[prompt],
    )
    assert f"followup:{key}:1" not in keys(cat, at("2025-12-04 09:01"), answered)


def test_escalation_to_coordinators_after_the_last_follow_up(cat: Catalogue) -> None:
    key = "reminder:t02:2025-12-31:30d:eco-1"
    history = History(
        sent=[
            sent(key, "reminder", "eco-1", at("2025-12-01 09:00"), task_id="t02", bureau_id="eco"),
            sent(f"followup:{key}:1", "followup", "eco-1", at("2025-12-04 09:00"), task_id="t02"),
            sent(f"followup:{key}:2", "followup", "eco-1", at("2025-12-09 09:00"), task_id="t02"),
        ]
    )
    due = keys(cat, at("2025-12-12 09:30"), history)
    assert {f"escalation:{key}:admin-1", f"escalation:{key}:coord-1"} <= due
    assert f"followup:{key}:3" not in due


def test_overdue_notice_until_the_task_is_closed(cat: Catalogue) -> None:
    now = at("2026-01-05 10:00")
    due = [d for d in plan(cat, now, rec()) if d.kind is Kind.OVERDUE and d.task_id == "t02"]
    assert {d.recipient for d in due} == {"eco-1"}
    closed = History([StatusUpdate(1, "t02", UpdateKind.CLOSED, at("2026-01-02 10:00"), "coord-1")])
    assert not [
        d
        for d in plan(cat, now, closed.record())
        if d.task_id == "t02" and d.kind is not Kind.READING
    ]


def test_monthly_check_in_for_an_ongoing_task(cat: Catalogue) -> None:
    # t01 is 持续推进; March 2025 starts on a Saturday, so the check-in is Monday 03-03.
    assert "checkin:t01:2025-03:econ-1" in keys(cat, at("2025-03-03 09:01"))
    assert "checkin:t01:2025-03:econ-1" not in keys(cat, at("2025-02-28 17:00"))


def test_indicator_check_in_asks_the_owner(cat: Catalogue) -> None:
    items = upcoming(cat, at("2025-03-20 00:00"), rec(), at("2025-04-30 00:00"))
    readings = [d for d in items if d.kind is Kind.READING]
    assert {(d.indicator_id, d.recipient) for d in readings} >= {("pm25", "eco-1")}


def test_weekly_digest_to_each_coordinator_on_monday(cat: Catalogue) -> None:
    due = keys(cat, at("2025-12-08 09:01"))
    assert {"digest:2025-W50:admin-1", "digest:2025-W50:coord-1"} <= due


def test_the_plan_is_a_function_of_its_inputs(cat: Catalogue) -> None:
    now = at("2025-12-01 09:05")
    assert plan(cat, now, rec()) == plan(cat, now, rec())


def test_a_missed_slot_nearer_the_next_one_is_skipped_for_it(cat: Catalogue) -> None:
    # Started 2025-12-20: the 30-day slot (12-01) is further back than the 7-day one
    # (12-24) is ahead, so no late 30-day reminder; the 7-day one comes on time.
    due = [d for d in plan(cat, at("2025-12-22 10:00"), rec()) if d.kind is Kind.REMINDER]
    assert not [d for d in due if d.milestone and d.milestone.isoformat() == "2025-12-31"]
    later = upcoming(cat, at("2025-12-22 10:00"), rec(), at("2025-12-25 00:00"))
    assert "reminder:t02:2025-12-31:7d:eco-1" in {d.key for d in later}


def test_a_task_overrides_the_policy() -> None:
    from catalogue.valid_table import VALID
    from support import table

    text = VALID.replace(
        "    deadline: 持续推进，2025年底取得阶段成效\n",
        "    deadline: 持续推进，2025年底取得阶段成效\n    policy:\n      reminder_offsets_days: [10]\n      checkin: none\n      remind_cooperating: false\n",
    )
    cat = table(text)
    items = upcoming(cat, at("2025-01-01 00:00"), rec(), at("2025-12-31 00:00"))
    t01 = [d for d in items if d.task_id == "t01" and d.kind is not Kind.READING]
    assert {d.kind for d in t01} == {Kind.REMINDER}  # no monthly check-ins for this task
    assert {(d.offset_days, d.recipient) for d in t01} == {(10, "econ-1")}  # lead only
    t02 = {d.offset_days for d in items if d.task_id == "t02" and d.kind is Kind.REMINDER}
    assert t02 == {30, 7, 1}  # the others keep the table's policy


def test_overdue_notices_drop_to_monthly_after_a_few(cat: Catalogue) -> None:
    """Issue #11: overdue notices do not repeat weekly for ever."""
    items = upcoming(cat, at("2025-01-01 00:00"), rec(), at("2025-06-30 23:59"))
    days = [d.slot.date() for d in items if d.kind is Kind.OVERDUE and d.subtask_id == "t02-2"]
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    assert len(days) >= 8
    assert all(g <= 9 for g in gaps[:3])  # weekly (a holiday may move one a day or two)
    later = gaps[4:]  # then monthly (a holiday can move one by a week)
    assert later and all(g >= 20 for g in later) and sum(later) / len(later) >= 28
    forever = table(
        VALID.replace("  checkin: monthly\n", "  checkin: monthly\n  overdue_slowdown_after: 0\n")
    )
    weekly = [d for d in upcoming(forever, at("2025-01-01 00:00"), rec(), at("2025-06-30 23:59"))
              if d.kind is Kind.OVERDUE and d.subtask_id == "t02-2"]  # fmt: skip
    assert len(weekly) > 20
