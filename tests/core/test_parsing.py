"""What contacts type: progress percentages, indicator numbers, task references."""

from __future__ import annotations

import pytest

from bot.core.model import Catalogue
from bot.core.parse import find_task, parse_number, parse_progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("进度60%", 60),
        ("60%", 60),
        ("目前进度：75％，按计划推进", 75),
        ("progress 30 %", 30),
        ("完成了一半", None),
        ("进度150%", None),
        ("", None),
    ],
)
def test_progress_percentage(text: str, expected: int | None) -> None:
    assert parse_progress(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("47.5", 47.5),
        (" 49 ", 49.0),
        ("47,5", 47.5),
        ("-3", -3.0),
        ("约47", None),
        ("47.5微克", None),
        ("", None),
    ],
)
def test_indicator_number(text: str, expected: float | None) -> None:
    assert parse_number(text) == expected


def test_task_by_number_or_id(cat: Catalogue) -> None:
    assert find_task(cat, "2").id == "t02"
    assert find_task(cat, "任务2").id == "t02"
    assert find_task(cat, "t01").number == 1
    assert find_task(cat, "99") is None


def test_minus_zero_is_zero() -> None:
    """Red team: a reading of "-0" was stored as -0.0 and shown as "-0"."""
    import math

    from bot.core.compose import fmt_value
    from bot.core.parse import parse_number

    for text in ("-0", "-0.0", "－０", "-0%"):
        value = parse_number(text)
        assert value == 0 and math.copysign(1, value) == 1, text
    assert fmt_value(-0.0) == "0"
