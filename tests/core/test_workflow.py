"""The pure parts of issue #13: new callback data packs and parses, extensions become the
effective deadline and close when the YAML moves it, leave days, lookup, indicator names."""

from __future__ import annotations

import datetime as dt

import pytest
from catalogue.valid_table import VALID
from support import at, table

from bot.core.lookup import find_indicators, lookup
from bot.core.protocol import (
    AskExtension,
    ExtensionAction,
    HandleExtension,
    PickDeputy,
    PickIndicator,
    PickLeave,
    Show,
    pack,
    parse_callback,
)
from bot.core.workflow import (
    Extension,
    ExtensionState,
    parse_day,
    parse_new_deadline,
    stale_extensions,
    with_extensions,
)


@pytest.mark.parametrize(
    "cb",
    [
        Show("all"),
        Show("b.eco"),
        Show("s.s1"),
        PickIndicator("pm25"),
        AskExtension(),
        HandleExtension(ExtensionAction.APPROVE, 12),
        HandleExtension(ExtensionAction.REFUSE, 1),
        PickDeputy("eco-2"),
        PickDeputy("-"),
        PickLeave(0),
        PickLeave(14),
    ],
)
def test_new_callbacks_round_trip(cb: object) -> None:
    assert parse_callback(pack(cb)) == cb  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        "v:",
        "v:B.eco",
        "i:",
        "e:x",
        "x:ok:0",
        "x:maybe:1",
        "dp:",
        "dp:--",
        "lv:",
        "lv:01",
        "lv:1000",
    ],
)
def test_malformed_new_callbacks_are_unknown(data: str) -> None:
    assert parse_callback(data) is None


def ext(state: ExtensionState = ExtensionState.APPROVED, sub: str | None = None) -> Extension:
    return Extension(
        id=1, task_id="t02", subtask_id=sub, requested_by="eco-1", bureau_id="eco",
        requested_at=at("2025-11-01 10:00"), old_text="2025年底" if sub is None else "2024年底",
        new_text="2026年6月底", new_due=dt.date(2026, 6, 30), reason="资金", state=state,
        decided_by="coord-1", decided_at=at("2025-11-02 10:00"),
    )  # fmt: skip


def test_an_approved_extension_is_the_effective_deadline_with_the_original_wording() -> None:
    cat = table()
    effective = with_extensions(cat, [ext()])
    deadline = effective.task("t02").deadline
    assert deadline.due == dt.date(2026, 6, 30)
    assert deadline.text == "原定 2025年底，经批准延期至 2026年6月底（赵督办，2025-11-02）"
    assert deadline.yaml_text == "2025年底"
    assert cat.task("t02").deadline.due == dt.date(2025, 12, 31)  # the YAML's is untouched
    sub = with_extensions(cat, [ext(sub="t02-2")]).task("t02").subtask("t02-2")
    assert sub is not None and sub.deadline is not None
    assert sub.deadline.due == dt.date(2026, 6, 30) and sub.deadline.yaml_text == "2024年底"


@pytest.mark.parametrize(
    "state", [ExtensionState.REQUESTED, ExtensionState.REFUSED, ExtensionState.CLOSED]
)
def test_only_approved_extensions_apply(state: ExtensionState) -> None:
    cat = table()
    assert with_extensions(cat, [ext(state)]) is cat


def test_an_extension_is_stale_when_the_yaml_moves_its_deadline() -> None:
    cat = table()
    assert stale_extensions(cat, [ext()]) == []
    moved = table(
        VALID.replace(
            "    deadline: 2025年底\n    subtasks:", "    deadline: 2026年3月底\n    subtasks:"
        )
    )
    assert stale_extensions(moved, [ext()]) == [ext()]


def test_new_deadline_and_reason() -> None:
    deadline, reason = parse_new_deadline("2026年6月底 资金 下达推迟") or (None, "")
    assert deadline is not None and deadline.due == dt.date(2026, 6, 30)
    assert reason == "资金 下达推迟"
    assert parse_new_deadline("持续推进 理由") is None
    assert parse_new_deadline("明年 理由") is None


def test_leave_days() -> None:
    today = dt.date(2025, 11, 20)
    assert parse_day("12月1日", today) == dt.date(2025, 12, 1)
    assert parse_day("2026-01-05", today) == dt.date(2026, 1, 5)
    assert parse_day("1月3日", today) == dt.date(2026, 1, 3)  # the coming one
    assert parse_day("11月10日", today) == dt.date(2025, 11, 10)  # recently begun
    assert parse_day("2月30日", today) is None
    assert parse_day("明天", today) is None


def test_lookup_by_part_of_a_name() -> None:
    cat = table()
    assert [b.id for b in lookup(cat, "生态").bureaus] == ["eco"]
    assert [t.id for t in lookup(cat, "蓝天").tasks] == ["t02"]
    assert lookup(cat, "生态环保局").suggestions == ("生态环境局",)
    assert lookup(cat, "").count == 0


def test_indicators_by_chinese_name() -> None:
    cat = table()
    assert [i.id for i in find_indicators(cat, "细颗粒物")] == ["pm25"]
    assert [i.id for i in find_indicators(cat, "PM25")] == ["pm25"]
    assert [i.id for i in find_indicators(cat, "规上能耗")] == ["energy"]  # in order, apart
    assert find_indicators(cat, "水质") == ()


def test_a_deputy_must_be_another_contact_of_the_bureau() -> None:
    from bot.core.catalogue import parse_catalogue, render_problem

    bad = VALID.replace(
        "        name: 张联络\n        telegram_id: 2001\n",
        "        name: 张联络\n        telegram_id: 2001\n        deputy: econ-1\n",
    )
    result = parse_catalogue(bad, "tasks.yaml")
    (problem,) = [p for p in result.errors if p.code == "bad_deputy"]
    text = render_problem(problem, "zh")
    assert "bureaus[0].contacts[0].deputy" in text and "「econ-1」" in text
    assert problem.line is not None
    good = VALID.replace(
        "        name: 张联络\n        telegram_id: 2001\n",
        "        name: 张联络\n        telegram_id: 2001\n        deputy: eco-2\n"
        "      - id: eco-2\n        name: 王副联络\n",
    )
    assert table(good).contact("eco-1").deputy == "eco-2"


def test_require_evidence_for_done_policy() -> None:
    from bot.core.workflow import requires_evidence

    cat = table()
    t01, t02 = cat.task("t01"), cat.task("t02")
    assert requires_evidence(cat, t02, None)  # a date
    assert requires_evidence(cat, t01, None)  # 持续推进 with a 2025年底 milestone
    off = table(
        VALID.replace(
            "  checkin: monthly\n", "  checkin: monthly\n  require_evidence_for_done: false\n"
        )
    )
    assert not requires_evidence(off, off.task("t02"), None)
