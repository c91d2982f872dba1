"""What the table's values mean: one meaning for each, written down in README's key table."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from valid_table import VALID

from bot.core.catalogue import normalised, parse_catalogue, render_problem
from bot.core.deadline import deadline_window
from bot.core.history import Record
from bot.core.model import Catalogue, Deadline, DeadlineKind, Direction, Indicator
from bot.core.planner import Kind, upcoming
from bot.core.workdays import WorkCalendar

SH = dt.timezone(dt.timedelta(hours=8))


def _ok(text: str) -> Catalogue:
    result = parse_catalogue(text)
    assert result.catalogue is not None, [render_problem(p) for p in result.errors]
    return result.catalogue


def _reminders(cat: Catalogue) -> list[str]:
    start = dt.datetime(2022, 4, 1, tzinfo=SH)
    until = dt.datetime(2026, 1, 31, tzinfo=SH)
    due = upcoming(cat, start, Record(), until, WorkCalendar(cat.calendar))
    return [d.task_id or "" for d in due if d.kind is Kind.REMINDER]


def test_an_empty_offsets_list_means_no_reminders_at_both_levels() -> None:
    """`reminder_offsets_days: []` in the table's policy sends no 节点提醒 at all; on a task,
    none for that task. (Before, the table-level [] silently meant the defaults.)"""
    table_level = _ok(VALID.replace("[30, 7, 1]", "[]"))
    assert table_level.policy.reminder_offsets_days == ()
    assert _reminders(table_level) == []
    task_level = _ok(
        VALID.replace(
            "    deadline: 2025年底\n    subtasks:",
            "    deadline: 2025年底\n    policy: {reminder_offsets_days: []}\n    subtasks:",
        )
    )
    assert task_level.policy.reminder_offsets_days == (30, 7, 1)
    sent_for = set(_reminders(task_level))
    assert "t02" not in sent_for and "t01" in sent_for


def test_absent_or_null_offsets_keep_the_defaults() -> None:
    without = _ok(VALID.replace("  reminder_offsets_days: [30, 7, 1]\n", ""))
    null = _ok(VALID.replace("[30, 7, 1]", "null"))
    assert without.policy.reminder_offsets_days == (90, 30, 14, 7, 3, 1)
    assert null.policy.reminder_offsets_days == (90, 30, 14, 7, 3, 1)


def test_a_day_listed_twice_is_one_reminder() -> None:
    result = parse_catalogue(VALID.replace("[30, 7, 1]", "[1, 30, 7, 30]"))
    assert result.catalogue is not None
    assert result.catalogue.policy.reminder_offsets_days == (30, 7, 1)
    assert [p.code for p in result.warnings] == ["duplicate_offset"]


def test_numbers_in_text_fields_are_kept_as_written() -> None:
    """YAML 1.1 reads 03111234567 as an octal number and 1.10 as 1.1: a text field keeps
    what the admin typed, not what YAML made of it."""
    cat = _ok(
        VALID.replace("        name: 张联络", "        name: 张联络\n        phone: 03111234567")
        .replace("    title: 打好蓝天保卫战", "    title: 1.10")
        .replace("  number: 〔2022〕-37", "  number: 0x25")
    )
    assert cat.contact("eco-1").phone == "03111234567"
    assert cat.task("t02").title == "1.10"
    assert cat.document.number == "0x25"


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.Inf", "+.INF"])
def test_not_a_number_is_never_text(value: str) -> None:
    result = parse_catalogue(VALID.replace("    title: 打好蓝天保卫战", f"    title: {value}"))
    assert [(p.code, p.path) for p in result.errors] == [("text_not_finite", "tasks[1].title")]
    quoted = _ok(VALID.replace("    title: 打好蓝天保卫战", f"    title: '{value}'"))
    assert quoted.task("t02").title == value


def test_the_deadline_window_follows_the_document_date() -> None:
    """From 1990 to 30 years after the document (2022-03-31 -> 2052-03-31), within 2100."""
    assert deadline_window(dt.date(2022, 3, 31)) == (dt.date(1990, 1, 1), dt.date(2052, 3, 31))
    assert deadline_window(dt.date(2080, 2, 29))[1] == dt.date(2100, 12, 31)
    assert deadline_window(dt.date(2024, 2, 29))[1] == dt.date(2054, 2, 28)
    last = VALID.replace(
        "    deadline: 2025年底\n    subtasks", "    deadline: 2052年3月31日\n    subtasks"
    )
    assert _ok(last).task("t02").deadline.due == dt.date(2052, 3, 31)
    late = last.replace("2052年3月31日", "2052年4月1日")
    assert [p.code for p in parse_catalogue(late).errors] == ["deadline_out_of_window"]
    early = VALID.replace("        deadline: 2024年底", "        deadline: 1990年1月1日")
    assert parse_catalogue(early).ok  # within the window: only the before-the-document warning


def test_task_numbers_run_from_1_to_99999() -> None:
    """99999 is the largest number (a 10,000-task table fits); 0 and 100000 are errors."""
    assert _ok(VALID.replace("    number: 2\n", "    number: 99999\n")).task("t02").number == 99999
    for bad in ("0", "100000", "2.0", "'2'", "true"):
        result = parse_catalogue(VALID.replace("    number: 2\n", f"    number: {bad}\n"))
        assert not result.ok, bad
        assert {p.path for p in result.errors} == {"tasks[1].number"}, bad


def test_telegram_ids_are_positive_and_below_2_52() -> None:
    top = 2**52 - 1
    assert (
        _ok(VALID.replace("telegram_id: 2002", f"telegram_id: {top}")).contact("econ-1").telegram_id
        == top
    )
    result = parse_catalogue(VALID.replace("telegram_id: 2002", f"telegram_id: {2**52}"))
    assert [p.code for p in result.errors] == ["out_of_range"]


def test_version_absent_means_1() -> None:
    assert parse_catalogue(VALID.replace("version: 1\n", "")).ok


def test_range_cooperating_open_and_source_are_read_and_exported() -> None:
    text = VALID.replace(
        "    cooperating: [生态环境局]\n",
        "    cooperating: [生态环境局]\n    cooperating_open: true\n    source: 正文二（一）\n",
    )
    cat = _ok(text)
    t01 = cat.task("t01")
    assert (t01.cooperating_open, t01.source) == (True, "正文二（一）")
    assert cat.task("t02").cooperating_open is False and cat.task("t02").source == ""
    assert cat.indicator("pm25").range == (0.0, 1000.0)
    assert cat.indicator("energy").range is None
    data = normalised(cat)
    assert data["tasks"][0]["cooperating_open"] is True
    assert data["tasks"][0]["source"] == "正文二（一）"
    assert data["indicators"][0]["range"] == [0.0, 1000.0]
    bad = parse_catalogue(text.replace("cooperating_open: true", "cooperating_open: 等有关部门"))
    assert [(p.code, p.path) for p in bad.errors] == [("wrong_type", "tasks[0].cooperating_open")]


def _indicator(direction: Direction, value_range: tuple[float, float] | None) -> Indicator:
    due = Deadline("2025年底", DeadlineKind.FIXED, dt.date(2025, 12, 31))
    return Indicator("x", "x", "%", direction, 10.0, due, "eco", range=value_range)


def test_plausible_readings_with_a_range() -> None:
    pct = _indicator(Direction.AT_LEAST, (0.0, 100.0))
    assert pct.plausible(0) and pct.plausible(65.5) and pct.plausible(100)
    assert not pct.plausible(100.01) and not pct.plausible(-1)
    assert not pct.plausible(math.nan) and not pct.plausible(math.inf)


def test_plausible_readings_without_a_range() -> None:
    """Finite, below 1e9 in size, and not negative unless the target is a reduction rate."""
    level = _indicator(Direction.AT_MOST, None)
    assert level.plausible(0) and level.plausible(49) and level.plausible(999_999_999)
    assert not level.plausible(-0.5) and not level.plausible(1e9)
    assert not level.plausible(math.nan) and not level.plausible(-math.inf)
    rate = _indicator(Direction.REDUCE_BY_PCT, None)
    assert rate.plausible(-3.5) and not rate.plausible(-1e9)


def test_anchors_and_merge_keys_keep_working() -> None:
    """Plain anchors, aliases and `<<: *defaults` in a normal table read as if written out."""
    with_anchors = (
        VALID.replace(
            "  - id: t01\n    number: 1\n    section: s1\n",
            "  - &first\n    id: t01\n    number: 1\n    section: s1\n",
        )
        .replace(
            "  - id: t02\n    number: 2\n    section: s1\n",
            "  - <<: *first\n    id: t02\n    number: 2\n",
        )
        .replace("    cooperating: [生态环境局]\n", "    cooperating: &coop [生态环境局]\n")
    )
    with_anchors = with_anchors.replace(
        "        cooperating: [经济发展局]\n", "        cooperating: *coop\n"
    )
    plain = VALID.replace(
        "        cooperating: [经济发展局]\n", "        cooperating: [生态环境局]\n"
    )
    result = parse_catalogue(with_anchors)
    assert result.catalogue is not None, [render_problem(p) for p in result.problems]
    assert result.catalogue == _ok(plain)


def test_an_explicit_key_wins_over_a_merged_one() -> None:
    text = VALID.replace(
        "  - id: t02\n    number: 2\n    section: s1\n    title: 打好蓝天保卫战\n",
        "  - <<: {section: s1, title: 合并来的标题}\n    id: t02\n    number: 2\n"
        "    title: 打好蓝天保卫战\n",
    )
    assert _ok(text) == _ok(VALID)


def test_crlf_and_bom_read_the_same() -> None:
    original = _ok(VALID)
    assert _ok(VALID.replace("\n", "\r\n")) == original
    assert _ok("\ufeff" + VALID) == original
    assert _ok("\ufeff" + VALID.replace("\n", "\r\n")) == original
