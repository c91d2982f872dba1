"""The shipped config/tasks.yaml is a faithful transcription of the 2022 document."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.core.catalogue import load_catalogue
from bot.core.model import Catalogue, DeadlineKind, Direction

ROOT = Path(__file__).resolve().parents[2]
TABLE = ROOT / "config" / "tasks.yaml"
# The seed document sits beside the checkout, or beside the directory of worktrees.
SEED = next(
    (
        p / "shared" / "seed" / "policy-2022-37.txt"
        for p in (ROOT.parent, ROOT.parent.parent)
        if (p / "shared" / "seed" / "policy-2022-37.txt").exists()
    ),
    ROOT.parent / "shared" / "seed" / "policy-2022-37.txt",
)


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


def _task_block(task_id: str) -> list[str]:
    """The YAML lines of one task, comments included."""
    lines = TABLE.read_text("utf-8").splitlines()
    start = lines.index(f"  - id: {task_id}")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("  - id: ")), len(lines)
    )
    return lines[start:end]


def _comment_before(block: list[str], key: str) -> str:
    """The comment lines right above the line `key: ...` in a block."""
    at = next(
        i
        for i, line in enumerate(block)
        if line.strip() == key or line.strip().startswith(f"{key}: ")
    )
    above: list[str] = []
    for line in reversed(block[:at]):
        if not line.strip().startswith("#"):
            break
        above.append(line)
    return "\n".join(reversed(above))


def test_descriptions_from_the_body_say_so(shipped: Catalogue) -> None:
    """Tasks 1-4, 10 and 11 have no content column in the attachment: their description is the
    body's paragraph, named in `source`; 4, 10 and 11 say so in a comment too (1-3 share one)."""
    sources = {t.id: t.source for t in shipped.tasks if t.source}
    assert sources == {
        "t01": "正文二（一）",
        "t02": "正文二（二）",
        "t03": "正文二（三）",
        "t04": "正文三（一）",
        "t10": "正文五（一）",
        "t11": "正文五（二）",
    }
    for task_id in ("t04", "t10", "t11"):
        comment = _comment_before(_task_block(task_id), "description")
        assert "正文" in comment and "具体内容" in comment, task_id


def test_no_editorial_note_inside_the_data(shipped: Catalogue) -> None:
    """Task 10's description is the body's sentence only: the note went to a comment."""
    t10 = shipped.task("t10")
    assert (
        t10.description
        == "分区分类推进城市生活、工业企业、农村生产生活等水源置换，有序关停取水井。"
    )
    assert all("正文" not in t.description for t in shipped.tasks)
    assert "正文一（二）" in _comment_before(_task_block("t10"), "deadline")


def test_task_4_keeps_and_other_departments(shipped: Catalogue) -> None:
    assert [t.id for t in shipped.tasks if t.cooperating_open] == ["t04"]
    assert "等有关部门" in _comment_before(_task_block("t04"), "lead")


@pytest.mark.skipif(not SEED.exists(), reason="the seed document is outside this checkout")
def test_transcription_choices_match_the_seed(shipped: Catalogue) -> None:
    seed = SEED.read_text(encoding="utf-8")
    body, attachment = seed.split("重点任务分工表", 1)[0], seed.split("重点任务分工表", 2)[-1]
    assert "生态环境/局等有关部门" in attachment  # task 4's row
    for task_id, text in (
        ("t04", "落实好上级编制"),
        ("t10", "分区分类推进"),
        ("t11", "落实最严格"),
    ):
        assert shipped.task(task_id).description.startswith(text)
        assert shipped.task(task_id).description in body.replace("\n", "")
    assert "新基建能效水平" in body and "新建能效水平" in attachment


def test_the_scan_loss_in_14_1_is_explained_not_fixed(shipped: Catalogue) -> None:
    """The table's "新建能效水平" is the body's "新基建": kept, with a comment saying so."""
    assert "着力提高新建能效水平" in shipped.task("t14").subtasks[0].text
    comment = _comment_before(_task_block("t14"), "- id: t14-1")
    assert "新基建" in comment and "漏" in comment


def test_kitchen_waste_is_explained_not_an_indicator(shipped: Catalogue) -> None:
    """餐厨垃圾实现无害化处理 has no number: a comment says why it is not an indicator."""
    assert all("餐厨" not in i.source and "餐厨" not in i.name for i in shipped.indicators)
    assert "餐厨垃圾实现无害化处理" in shipped.task("t15").subtasks[3].text
    header = TABLE.read_text("utf-8").split("\nindicators:", 1)[0].rsplit("\n\n", 1)[-1]
    assert "餐厨垃圾" in header and "没有比例或数量" in header


def test_every_indicator_has_a_plausible_range(shipped: Catalogue) -> None:
    ranges = {i.id: i.range for i in shipped.indicators}
    assert ranges["pm25"] == (0, 1000)
    assert all(ranges[i] == (0, 100) for i in ("good-days", "waste-incineration", "groundwater"))
    for ind in shipped.indicators:
        assert ind.range is not None, ind.id
        assert ind.direction is Direction.REDUCE_BY_PCT or ind.plausible(ind.target), ind.id
    assert not shipped.indicator("pm25").plausible(1200)


def test_duban_tasks_shows_streets_and_other_departments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`duban tasks` names 各街道、镇 under the header and 等有关部门 after task 4's units."""
    assert main(["tasks", "--config", str(TABLE)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[1] == "以下各项任务均需各街道、镇落实（不再逐项列出）"
    assert "配合：生态环境局等有关部门" in out
    assert out.count("等有关部门") == 1
    assert main(["tasks", "--config", str(TABLE), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "also carried out by 各街道、镇" in out
    assert "cooperating: 生态环境局 and other departments concerned" in out
    assert "：" not in out.split("\n", 1)[1]  # English punctuation below the header
