"""The exported workbook, the chart and the digest, against a history with known content."""

from __future__ import annotations

import datetime as dt
import io
import struct
import warnings
from dataclasses import dataclass

import pytest
from openpyxl import load_workbook
from support import at

from bot.core.history import History, Reading, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.status import Light
from bot.reports.chart import find_cjk_font, render_chart
from bot.reports.digest import build_digest
from bot.reports.excel import FILLS, build_workbook


@dataclass
class Archived:
    id: str
    title: str
    archived_at: dt.datetime | None


@pytest.fixture
def history() -> History:
    return History(
        [
            StatusUpdate(
                1,
                "t02",
                UpdateKind.AT_RISK,
                at("2025-06-01 10:00"),
                "eco-1",
                "eco",
                note="资金未到位",
            ),
            StatusUpdate(
                2,
                "t02",
                UpdateKind.ON_TRACK,
                at("2025-09-01 10:00"),
                "eco-1",
                "eco",
                progress=70,
                note="资金已到位",
            ),
            StatusUpdate(
                3,
                "t01",
                UpdateKind.DONE_CLAIMED,
                at("2025-09-02 10:00"),
                "econ-1",
                "econ",
                note="已完成",
            ),
            StatusUpdate(4, "t01", UpdateKind.CLOSED, at("2025-09-03 10:00"), "coord-1"),
        ],
        [
            Reading(1, "pm25", 52.0, at("2025-03-01 10:00"), "eco-1", "eco"),
            Reading(2, "pm25", 48.0, at("2025-09-01 10:00"), "eco-1", "eco"),
        ],
        [
            Sent(
                "reminder:t02:x",
                "reminder",
                "streets-1",
                at("2025-09-10 09:00"),
                task_id="t02",
                bureau_id="streets",
            )
        ],
    )


def _sheet_rows(data: bytes, sheet: str) -> list[tuple[object, ...]]:
    return list(load_workbook(io.BytesIO(data))[sheet].iter_rows(values_only=True))


def test_main_sheet_follows_the_attachment(cat: Catalogue, history: History) -> None:
    data = build_workbook(cat, history, at("2025-09-15 10:00"))
    book = load_workbook(io.BytesIO(data))
    ws = book["分工表"]
    assert [c.value for c in ws[2]][:5] == ["序号", "工作任务", "具体内容", "责任单位", "完成时限"]
    assert ws.freeze_panes == "A3"
    assert ws.page_setup.orientation == "landscape"
    assert ws["A3"].value == "一、优化国土空间开发保护格局"
    assert "A3:K3" in {str(r) for r in ws.merged_cells.ranges}  # the section heading spans the row
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[0]}
    t1 = rows[1]
    assert t1[1] == "落实主体功能区战略" and t1[3].startswith("经济发展局（牵头）")
    assert "各街道、镇" in t1[3]
    assert t1[4] == "持续推进，2025年底取得阶段成效"
    assert t1[5] == "已办结"
    t2 = rows[2]
    assert t2[2] == "（任务整体）"  # a task with sub-items: its own row first (task-level answers)
    assert t2[5] == "逾期/受阻"  # the task's light is the worst of its sub-items' (t02-2 is late)
    all_rows = list(ws.iter_rows(min_row=4, values_only=True))
    i = all_rows.index(t2)
    sub1, sub2 = all_rows[i + 1], all_rows[i + 2]
    assert sub1[2] == "推进工业领域污染治理" and sub1[0] is None  # merged under the task
    assert sub1[5] == "正常（按任务整体）"  # its own light; nobody reported on it alone
    assert sub1[7] is None and sub1[8] is None  # the task-level answer is not the sub-item's
    assert sub2[2] == "加强移动源排放控制" and sub2[5].startswith("逾期/受阻")


def test_status_cells_are_coloured(cat: Catalogue, history: History) -> None:
    ws = load_workbook(io.BytesIO(build_workbook(cat, history, at("2025-09-15 10:00"))))["分工表"]
    fills = {
        ws.cell(row=r, column=6).value: ws.cell(row=r, column=6).fill.start_color.rgb
        for r in range(4, ws.max_row + 1)
        if ws.cell(row=r, column=6).value
    }
    assert fills["已办结"].endswith(FILLS[Light.DONE])
    assert fills["逾期/受阻"].endswith(FILLS[Light.RED])  # sub-item t02-2, due 2024年底


def test_latest_note_reporter_and_progress(cat: Catalogue, history: History) -> None:
    rows = _sheet_rows(build_workbook(cat, history, at("2025-09-15 10:00")), "分工表")
    t2 = next(r for r in rows if r[0] == 2)
    assert (t2[6], t2[7], t2[8], t2[9]) == ("70%", "资金已到位", "张联络", "2025-09-01 10:00")


def test_as_of_a_past_date_shows_the_older_status(cat: Catalogue, history: History) -> None:
    data = build_workbook(cat, history, at("2025-09-15 10:00"), as_of=at("2025-07-01 00:00"))
    rows = _sheet_rows(data, "分工表")
    t2 = next(r for r in rows if r[0] == 2)
    assert t2[7] == "资金未到位" and t2[6] is None
    t1 = next(r for r in rows if r[0] == 1)
    assert t1[5] != "已办结"  # closed only in September
    assert "2025-07-01" in rows[0][0]
    history_rows = _sheet_rows(data, "反馈记录")
    assert len(history_rows) == 2  # header + the June update


def test_further_sheets(cat: Catalogue, history: History) -> None:
    data = build_workbook(
        cat,
        history,
        at("2025-09-15 10:00"),
        archived=[Archived("t99", "旧任务", at("2025-08-01 10:00"))],
    )
    ind = _sheet_rows(data, "指标")
    pm25 = next(r for r in ind if r[0] == "细颗粒物平均浓度")
    assert (pm25[2], pm25[7], pm25[9], pm25[10]) == ("不高于 49 微克/立方米", 48, "↓", "正常")
    energy = next(r for r in ind if r[0] == "单位规上工业增加值能耗")
    assert energy[3] is None and energy[4] == 2020  # baseline not given
    assert len(_sheet_rows(data, "反馈记录")) == 5
    unanswered = _sheet_rows(data, "未回复提醒")
    assert unanswered[1][:2] == ("各街道、镇", "街道联络")
    assert _sheet_rows(data, "已归档任务")[1][:2] == ("t99", "旧任务")


def test_english_headers(cat: Catalogue, history: History) -> None:
    rows = _sheet_rows(
        build_workbook(cat, history, at("2025-09-15 10:00"), lang="en"), "Division table"
    )
    assert rows[1][:2] == ("No.", "Task")


def test_chart_is_a_png_of_the_expected_size_with_chinese_glyphs(
    cat: Catalogue, history: History
) -> None:
    assert find_cjk_font().is_file()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_chart(cat, history, at("2025-09-15 10:00"))
    assert [
        str(w.message)
        for w in caught
        if "Glyph" in str(w.message) or "font" in str(w.message).lower()
    ] == []
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1600, 1000)


def test_digest_names_what_coordinators_need(cat: Catalogue, history: History) -> None:
    claim_history = History(
        [
            *history.updates[:2],
            StatusUpdate(
                9, "t01", UpdateKind.DONE_CLAIMED, at("2025-09-12 10:00"), "econ-1", "econ"
            ),
        ],
        history.readings,
        history.sent.values(),
    )
    text = build_digest(
        cat,
        claim_history,
        at("2025-09-15 09:00"),
        since=at("2025-09-08 09:00"),
        unbound=["streets-1"],
        failed=["reminder:t02:y"],
    )
    assert "督办周报" in text and "申请办结待确认" in text and "落实主体功能区战略" in text
    assert "街道联络" in text and "各街道、镇" in text
    assert "reminder:t02:y" in text
    assert len(text) <= 4096
    later = build_digest(
        cat,
        History(
            [StatusUpdate(1, "t01", UpdateKind.BLOCKED, at("2025-09-10 10:00"), "econ-1", "econ")]
        ),
        at("2025-09-15 09:00"),
        since=at("2025-09-08 09:00"),
    )
    turned = later.split("本周转为红灯")[1].split("\n\n")[0]
    assert "落实主体功能区战略" in turned and "打好蓝天保卫战" not in turned  # t02 was red already
