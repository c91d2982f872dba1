"""The shipped config/tasks.yaml is a faithful transcription of the 2022 document."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.core.catalogue import load_catalogue
from bot.core.model import Catalogue, DeadlineKind, Direction

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seed" / "policy-2022-37.txt"


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    result = load_catalogue(ROOT / "config" / "tasks.yaml")
    assert result.errors == (), result.errors
    assert result.catalogue is not None
    return result.catalogue


def test_sixteen_tasks_numbered_under_six_headings(shipped: Catalogue) -> None:
    assert [t.number for t in shipped.tasks] == list(range(1, 17))
    assert [s.number for s in shipped.sections] == ["一", "二", "三", "四", "五", "六"]
    per_section = [sum(t.section == s.id for t in shipped.tasks) for s in shipped.sections]
    assert per_section == [3, 3, 3, 2, 4, 1]
    assert shipped.document.number == "〔2022〕-37"
    assert shipped.document.date == dt.date(2022, 3, 31)


def test_every_spelling_in_the_source_resolves_to_one_bureau(shipped: Catalogue) -> None:
    spellings = {
        "自然资源 and 规划住建局": "nrp",
        "自然资源和规划住建局": "nrp",
        "自然资源和规划局": "nrp",
        "经济发展和局": "econ",
        "经济发展局": "econ",
        "生态环境/局": "eco",
        "生态环境局": "eco",
        "城市管理局": "urban",
        "社会发展局": "social",
        "行政服务局": "admin-svc",
        "科学技术局": "sci",
        "财政局": "finance",
        "市场监督管理局": "market",
        "投资服务局": "invest",
    }
    for name, bureau_id in spellings.items():
        bureau = shipped.resolve_bureau(name)
        assert bureau is not None and bureau.id == bureau_id, name


@pytest.mark.skipif(not SEED.exists(), reason="the seed document is outside this checkout")
def test_every_bureau_named_in_the_attachment_is_known(shipped: Catalogue) -> None:
    attachment = SEED.read_text(encoding="utf-8").split("重点任务分工表", 2)[-1]
    attachment = re.sub(r"<[^>]+>", " ", attachment).replace(" and ", "_and_")
    tokens = (
        tok.replace("_and_", " and ").removesuffix("等有关部门") for tok in attachment.split()
    )
    names = {
        tok for tok in tokens if tok.endswith("局") and not tok.endswith("格局") and len(tok) <= 16
    }
    assert len(names) >= 14
    unknown = sorted(n for n in names if shipped.resolve_bureau(n) is None)
    assert unknown == []


def test_deadlines_as_worded_and_as_dates(shipped: Catalogue) -> None:
    t1 = shipped.task("t01")
    assert t1.deadline.kind is DeadlineKind.ONGOING
    assert t1.deadline.text == "持续推进，2025年底取得阶段成效"
    assert t1.deadline.due == dt.date(2025, 12, 31)
    t4 = shipped.task("t04")
    assert (t4.deadline.kind, t4.deadline.due) == (DeadlineKind.FIXED, dt.date(2022, 12, 31))
    assert shipped.task("t03").deadline.due == dt.date(
        2025, 12, 31
    )  # blank in the table: body text


def test_the_anomaly_stays_and_is_reported_with_its_line() -> None:
    result = load_catalogue(ROOT / "config" / "tasks.yaml")
    anomalies = [p for p in result.warnings if p.code == "deadline_before_document"]
    assert len(anomalies) == 1
    line = (ROOT / "config" / "tasks.yaml").read_text("utf-8").splitlines()[anomalies[0].line - 1]
    assert "2021年底" in line


def test_indicators_from_the_document(shipped: Catalogue) -> None:
    pm25 = shipped.indicator("pm25")
    assert (pm25.direction, pm25.target, pm25.owner) == (Direction.AT_MOST, 49, "eco")
    good = shipped.indicator("good-days")
    assert (good.direction, good.target) == (Direction.AT_LEAST, 65)
    energy = shipped.indicator("energy")
    assert (energy.direction, energy.target, energy.baseline_year) == (
        Direction.REDUCE_BY_PCT,
        10,
        2020,
    )
    assert energy.baseline is None  # not given in the document: to be filled in


def test_streets_bind_every_task_and_every_bureau_has_a_contact(shipped: Catalogue) -> None:
    assert shipped.every_task_bureaus() == ("streets",)
    assert all("streets" in shipped.bureaus_of(t) for t in shipped.tasks)
    assert all(b.contacts for b in shipped.bureaus)
    assert all(c.placeholder for c in shipped.contacts())  # the demo runs; admins replace them


def test_merged_tasks_13_to_15_split_by_the_body(shipped: Catalogue) -> None:
    assert [len(shipped.task(t).subtasks) for t in ("t13", "t14", "t15")] == [1, 4, 4]
    assert "能耗比2020年下降10%" in shipped.task("t14").subtasks[0].text
    assert all("<p>" not in s.text for t in shipped.tasks for s in t.subtasks)
