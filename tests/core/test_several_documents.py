"""Several documents in one bot: a config directory validated file by file and merged into
one table (bot/core/documents.py), with the shipped 2022 table as the primary document and
the clearly marked sample `tests/fixtures/documents/water.yaml` beside it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.core.catalogue import load_catalogue, render_problem
from bot.core.compose import compose
from bot.core.documents import from_texts, load_config
from bot.core.history import Record
from bot.core.model import Cadence
from bot.core.parse import find_task
from bot.core.protocol import Answer, PickStatus, Show, pack, parse_callback
from bot.core.series import Due, Kind

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "tasks.yaml"
WATER = ROOT / "tests" / "fixtures" / "documents" / "water.yaml"
TZ = dt.timezone(dt.timedelta(hours=8))


def two_documents(tmp: Path) -> Path:
    """config/ with the shipped table and the sample water table."""
    config = tmp / "config"
    config.mkdir(parents=True)
    shutil.copy(SHIPPED, config / "tasks.yaml")
    shutil.copy(WATER, config / "water.yaml")
    return config


def errors(result: object) -> list[str]:
    return [render_problem(p) for p in result.errors]  # type: ignore[attr-defined]


def test_the_primary_keeps_its_ids_and_the_other_document_is_qualified(tmp_path: Path) -> None:
    result = load_config(two_documents(tmp_path))
    assert result.ok and not errors(result)
    cat = result.catalogue
    assert cat is not None and cat.several
    assert [(d.id, d.label, d.file) for d in cat.docs] == [
        ("tasks", "〔2022〕-37", "tasks.yaml"),
        ("water", "节水", "water.yaml"),
    ]
    single = load_catalogue(SHIPPED).catalogue
    assert single is not None
    # the 2022 table is exactly itself: same ids, numbers and labels (its history needs no rewrite)
    assert [(t.id, t.label, t.title) for t in cat.tasks_in("tasks")] == [
        (t.id, str(t.number), t.title) for t in single.tasks
    ]
    water = cat.task("water.w02")
    assert (water.label, water.section, water.document) == ("节水-2", "water.s1", "water")
    assert [s.id for s in water.subtasks] == ["water.w02-1"]
    assert cat.indicator("water.reuse").task == "water.w03"
    assert cat.document_of(water).title.startswith("【测试样例】")
    # one set of bureaus: water's tasks use the 2022 table's bureaus by name
    assert water.lead == "econ" and len(cat.bureaus) == len(single.bureaus)
    assert [t.id for t in cat.tasks_in("water")] == ["water.w01", "water.w02", "water.w03"]


def test_each_document_keeps_its_own_reminder_rules(tmp_path: Path) -> None:
    cat = load_config(two_documents(tmp_path)).catalogue
    assert cat is not None
    w01, t01 = cat.task("water.w01"), cat.task("t01")
    assert cat.policy.for_task(w01.policy).checkin is Cadence.QUARTERLY
    assert cat.policy.for_task(w01.policy).reminder_offsets_days == (30, 7, 1)
    assert cat.policy.for_task(t01.policy).checkin is Cadence.MONTHLY
    assert cat.policy.for_task(t01.policy).reminder_offsets_days == (90, 30, 14, 7, 3, 1)


def test_bot_wide_policy_of_another_document_is_a_warning(tmp_path: Path) -> None:
    config = two_documents(tmp_path)
    water = config / "water.yaml"
    water.write_text(water.read_text("utf-8").replace('"09:00"', '"10:30"'), "utf-8")
    result = load_config(config)
    assert result.ok
    warned = [p for p in result.warnings if p.code == "document_policy_global"]
    assert len(warned) == 1 and "send_time" in render_problem(warned[0])
    assert result.catalogue is not None and result.catalogue.policy.send_time == dt.time(9, 0)


def test_a_broken_file_keeps_its_last_good_text_and_does_not_stop_the_others(
    tmp_path: Path,
) -> None:
    config = two_documents(tmp_path)
    good = load_config(config)
    water = config / "water.yaml"
    water.write_text(water.read_text("utf-8").replace("lead: 城市管理局", "lead: 城管局"), "utf-8")
    tasks = config / "tasks.yaml"
    tasks.write_text(tasks.read_text("utf-8").replace("构建绿色城镇体系", "构建绿色低碳城镇体系"))
    result = load_config(config, good.texts, good.primary_file)
    assert [f.name for f in result.broken] == ["water.yaml"]
    assert any("城管局" in e and "water.yaml" in e for e in errors(result))
    cat = result.catalogue
    assert cat is not None
    assert cat.task("t02").title == "构建绿色低碳城镇体系"  # the good file's edit applies
    assert cat.task("water.w01").lead == "urban"  # water as it was last good
    assert result.texts["water.yaml"] == good.texts["water.yaml"]
    # without a last good version the broken document is left out, the other still runs
    fresh = load_config(config)
    assert fresh.catalogue is not None and "water.w01" not in fresh.catalogue.task_ids
    assert not fresh.catalogue.several


def test_stored_texts_give_back_the_same_table(tmp_path: Path) -> None:
    result = load_config(two_documents(tmp_path))
    assert from_texts(result.texts, result.primary_file, directory=True) == result.catalogue


def test_a_database_without_its_primary_file_qualifies_every_document(tmp_path: Path) -> None:
    """The primary file removed: another document must not take over unqualified ids (its
    stored history is keyed <document>.<id>); when the others used the primary's bureaus,
    nothing can be applied and the bot keeps its table."""
    config = shared_config(tmp_path)
    (config / "tasks.yaml").unlink()
    cat = load_config(config, primary_file="tasks.yaml").catalogue
    assert cat is not None and "water.w01" in cat.task_ids and "w01" not in cat.task_ids
    config = two_documents(tmp_path / "other")
    (config / "tasks.yaml").unlink()
    result = load_config(config, primary_file="tasks.yaml")
    assert result.catalogue is None and any("water.yaml" in e for e in errors(result))


def shared_config(tmp: Path) -> Path:
    """config/ with people.yaml (the 2022 table's people and bureaus), the 2022 table
    without them, and the water table."""
    config = tmp / "config"
    config.mkdir(parents=True)
    text = SHIPPED.read_text("utf-8")
    people_start, sections_start = text.index("\npeople:"), text.index("\nsections:")
    (config / "people.yaml").write_text(text[people_start:sections_start], "utf-8")
    (config / "tasks.yaml").write_text(text[:people_start] + text[sections_start:], "utf-8")
    shutil.copy(WATER, config / "water.yaml")
    return config


def test_two_files_with_one_document_id(tmp_path: Path) -> None:
    config = two_documents(tmp_path)
    shutil.copy(WATER, config / "water2.yaml")
    result = load_config(config)
    assert [f.name for f in result.broken] == ["water2.yaml"]
    assert any("water" in e and "water2.yaml" in e for e in errors(result))
    assert result.catalogue is not None and len(result.catalogue.docs) == 2


def test_people_yaml_is_shared_and_a_second_definition_is_an_error(tmp_path: Path) -> None:
    config = shared_config(tmp_path)
    result = load_config(config)
    assert not errors(result)
    assert result.catalogue is not None and len(result.catalogue.docs) == 2
    assert set(result.texts) == {"people.yaml", "tasks.yaml", "water.yaml"}
    water = config / "water.yaml"
    water.write_text(
        water.read_text("utf-8")
        + "bureaus:\n  - id: eco\n    name: 生态环境局\n    contacts: []\n",
        "utf-8",
    )
    again = load_config(config)
    assert [f.name for f in again.broken] == ["water.yaml"]
    assert any("eco" in e and "people.yaml" in e for e in errors(again))


def test_bad_document_ids_are_refused(tmp_path: Path) -> None:
    config = two_documents(tmp_path)
    water = config / "water.yaml"
    water.write_text(water.read_text("utf-8").replace("id: water", "id: Water.Doc"), "utf-8")
    result = load_config(config)
    assert [f.name for f in result.broken] == ["water.yaml"]
    assert any("Water.Doc" in e for e in errors(result))
    for short in ("<i>x", 'a"b', "a&b"):  # written into task numbers, buttons and HTML
        water.write_text(WATER.read_text("utf-8").replace("short: 节水", f"short: '{short}'"))
        bad = load_config(config)
        assert any("简称" in e and "water.yaml" in e for e in errors(bad)), short


def test_tasks_are_found_by_label_key_and_a_contacts_own_number(tmp_path: Path) -> None:
    cat = load_config(two_documents(tmp_path)).catalogue
    assert cat is not None
    assert find_task(cat, "2").id == "t02"  # type: ignore[union-attr]
    assert find_task(cat, "节水-2").id == "water.w02"  # type: ignore[union-attr]
    assert find_task(cat, "节水2").id == "water.w02"  # type: ignore[union-attr]
    assert find_task(cat, "water.w02").id == "water.w02"  # type: ignore[union-attr]
    assert find_task(cat, "2", cat.tasks_in("water")).id == "water.w02"  # type: ignore[union-attr]
    for text in ("节水", "water", "〔2024〕-样例1"):
        doc = cat.find_document(text)
        assert doc is not None and doc.id == "water", text


def test_buttons_carry_qualified_ids_within_telegrams_limit() -> None:
    for cb in (PickStatus("water-plan.w02-10", Answer.DONE), Show("t.water-plan.w02-10")):
        data = pack(cb)
        assert len(data.encode()) <= 64 and parse_callback(data) == cb
    assert parse_callback("u:a.b.c") is None


@pytest.mark.parametrize(
    ("task", "recipient", "bureau", "named"),
    [
        ("water.w03", "eco-1", "eco", True),  # 生态环境局 has tasks in both documents
        ("t07", "eco-1", "eco", True),
        ("t01", "nrp-1", "nrp", False),  # 自然资源和规划住建局: only in the 2022 table
    ],
)
def test_a_reminder_names_the_document_for_a_bureau_in_several(
    tmp_path: Path, task: str, recipient: str, bureau: str, named: bool
) -> None:
    cat = load_config(two_documents(tmp_path)).catalogue
    assert cat is not None
    now = dt.datetime(2025, 12, 1, 9, tzinfo=TZ)
    due = Due("k", Kind.REMINDER, recipient, now, task_id=task, bureau_id=bureau, offset_days=30)
    text = compose(cat, Record(), due, now, "zh").text
    doc = cat.document_of(cat.task(task))
    assert (f"📄 {doc.label}｜{doc.title}" in text) is named
    assert cat.task(task).title in text


def test_a_document_added_or_removed_is_one_line_of_the_change_report(tmp_path: Path) -> None:
    from bot.core.diff import diff_catalogues

    config = two_documents(tmp_path)
    both = load_config(config).catalogue
    (config / "water.yaml").unlink()
    one = load_config(config).catalogue
    assert both is not None and one is not None
    added = diff_catalogues(one, both).render("zh")
    assert "＋ 新增文件 节水「【测试样例】高新区节约用水行动实施方案（虚构）」（3 项任务）" in added
    assert "制定年度用水计划" not in added  # not a line per task
    removed = diff_catalogues(both, one).render("zh")
    assert "－ 移除文件 节水" in removed and "3 项任务已归档" in removed
    assert "文件" not in diff_catalogues(one, one).render("zh")  # one document: no such line


def test_more_documents_than_the_limit_are_named_and_the_primary_always_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.core.documents as documents

    monkeypatch.setattr(documents, "MAX_DOCUMENTS", 2)
    config = two_documents(tmp_path)
    for name in ("a.yaml", "b.yaml"):  # before tasks.yaml by name
        text = WATER.read_text("utf-8").replace("id: water", f"id: {name[0]}")
        (config / name).write_text(text, "utf-8")
    result = load_config(config)
    assert result.catalogue is not None
    assert [d.file for d in result.catalogue.docs] == ["tasks.yaml", "a.yaml"]
    (warned,) = [p for p in result.warnings if p.code == "too_many_documents"]
    assert "b.yaml、water.yaml" in render_problem(warned)
