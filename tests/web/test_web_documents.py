"""The dashboard of a bot that follows several documents (#15): the model's 文件 filter, its
grouping by document and its counts per document (pure, on the merged catalogue of the shipped
table and the water sample), then the pages over HTTP against the bot's own web server.

A single table's dashboard stays as it was (the other tests of tests/web hold that)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from dash_support import NOW, PUBLIC, ROOT, WATER, local
from harness import COORD, Harness
from support import table

from bot.core.documents import load_config
from bot.core.history import Record
from bot.core.model import Catalogue
from bot.core.status import counts, table_status
from bot.core.workdays import WorkCalendar
from bot.web.model import Filters, Overview, overview
from bot.web.server import INIT_DATA_HEADER

WATER_TASKS = ["water.w01", "water.w02", "water.w03"]


@pytest.fixture
def two(tmp_path: Path) -> Catalogue:
    """config/tasks.yaml and the water sample in one directory, merged."""
    shutil.copy(ROOT / "config" / "tasks.yaml", tmp_path / "tasks.yaml")
    shutil.copy(WATER, tmp_path / "water.yaml")
    result = load_config(tmp_path)
    assert result.catalogue is not None and not result.errors, result.errors
    assert result.catalogue.several
    return result.catalogue


def view(cat: Catalogue, **query: str) -> Overview:
    return overview(cat, Record(), NOW, WorkCalendar(cat.calendar), Filters.parse(query, cat))


def ids(ov: Overview) -> list[str]:
    return [r.task.id for _, rows in ov.groups for r in rows]


# -- the model


def test_the_document_filter_takes_an_id_or_short_name_and_drops_anything_else(
    two: Catalogue,
) -> None:
    assert Filters.parse({"doc": "water"}, two).doc == "water"
    assert Filters.parse({"doc": "节水"}, two).doc == "water"
    assert Filters.parse({"doc": "tasks"}, two).doc == "tasks"
    for unknown in ("nope", "water.w02", "", "x" * 500):
        assert Filters.parse({"doc": unknown}, two) == Filters()
    # a section of another document than the one picked goes with the other unknown values
    assert Filters.parse({"doc": "water", "section": "s3"}, two).section == ""
    assert Filters.parse({"doc": "water", "section": "water.s2"}, two).section == "water.s2"
    assert Filters.parse({"section": "water.s2"}, two).section == "water.s2"
    # a single table has no documents to pick
    assert Filters.parse({"doc": "tasks"}, table()).doc == ""


def test_the_other_filters_links_keep_the_document() -> None:
    f = Filters(doc="water", light="red")
    assert f.query() == "?doc=water&light=red"
    assert f.query(light="") == "?doc=water"
    assert f.query(overdue=True) == "?doc=water&light=red&overdue=1"
    assert f.active and Filters(doc="water").active
    assert Filters().query(doc="") == ""


def test_unfiltered_the_tasks_come_under_each_document_then_its_sections(
    two: Catalogue,
) -> None:
    ov = view(two)
    assert [doc.id for doc, _ in ov.by_document] == ["tasks", "water"]
    primary, water = (groups for _, groups in ov.by_document)
    assert [s.id for s, _ in primary] == ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert [[r.task.id for r in rows] for _, rows in water] == [WATER_TASKS[:2], WATER_TASKS[2:]]
    assert [s.id for s, _ in water] == ["water.s1", "water.s2"]
    assert ov.total == ov.shown == 19 and len(ids(ov)) == 19
    # other filters keep the grouping: the red tasks, under their documents
    red = view(two, light="red")
    assert red.by_document and all(r.status.light.value == "red" for r in ids_rows(red))


def ids_rows(ov: Overview) -> list[Any]:
    return [r for _, groups in ov.by_document for _, rows in groups for r in rows]


def test_each_document_is_counted_by_light(two: Catalogue) -> None:
    ov = view(two)
    statuses = table_status(two, Record(), NOW, WorkCalendar(two.calendar))
    of = {s.task_id: s for s in statuses}
    assert [(d.document.id, d.total) for d in ov.documents] == [("tasks", 16), ("water", 3)]
    for fig in ov.documents:
        mine = [of[t.id] for t in two.tasks_in(fig.document.id)]
        assert fig.counts == counts(mine), fig.document.id
    assert ov.counts == counts(statuses)  # the page's chips: every document
    assert {x: sum(d.counts[x] for d in ov.documents) for x in ov.counts} == ov.counts


def test_picking_a_document_keeps_only_its_tasks_and_counts(two: Catalogue) -> None:
    ov = view(two, doc="water")
    assert ids(ov) == WATER_TASKS and not ov.by_document
    assert ov.total == ov.shown == 3
    assert ov.counts == next(d.counts for d in ov.documents if d.document.id == "water")
    assert len(ov.documents) == 2  # the cards still show both
    primary = view(two, doc="tasks")
    assert len(ids(primary)) == 16 and not any(i.startswith("water.") for i in ids(primary))
    # with the other filters: 节水-2 by its label, the water tasks 经济发展局 works on
    assert ids(view(two, doc="water", q="节水-2")) == ["water.w02"]
    assert ids(view(two, doc="water", bureau="经济发展局")) == WATER_TASKS
    assert ids(view(two, doc="tasks", q="节水-2")) == []


def test_an_unknown_document_filters_nothing(two: Catalogue) -> None:
    assert ids(view(two, doc="nope")) == ids(view(two))
    assert view(two, doc="nope").by_document


def test_a_single_table_has_no_documents_in_its_overview() -> None:
    cat = table()
    ov = view(cat, doc="whatever")
    assert ov.documents == () and ov.by_document == [] and ov.filters.doc == ""


# -- the pages, over HTTP


async def page(bot: Harness, path: str = "") -> tuple[int, str]:
    web = bot.duban.web
    assert web is not None
    headers = {INIT_DATA_HEADER: bot.emu.init_data(COORD)}
    async with (
        aiohttp.ClientSession() as session,
        session.get(local(web, PUBLIC + "/app/" + path), headers=headers) as r,
    ):
        return r.status, await r.text()


def tasks_on(text: str) -> list[str]:
    return re.findall(r'<article class="task" data-task="([^"]+)"', text)


async def test_the_overview_shows_each_documents_counts_and_groups_by_document(
    dash2: Harness,
) -> None:
    status, text = await page(dash2)
    assert status == 200
    cat = dash2.runtime.catalogue
    # a card per document: its tasks by light, a link that narrows the page to it
    cards = re.findall(r'<a class="doc-card" href="\./\?doc=(\w+)" data-doc="\1">', text)
    assert cards == ["tasks", "water"]
    assert "督办总览（2 份文件）" in text
    # the 文件 filter beside the others, every document a choice
    select = re.search(r'<select name="doc" aria-label="文件">(.*?)</select>', text)
    assert select is not None
    assert re.findall(r'value="([^"]*)"', select.group(1)) == ["", "tasks", "water"]
    assert "节水｜【测试样例】" in select.group(1)
    # the tasks under each document's heading (title, 文号), its sections inside
    groups = re.findall(r'<section class="docgroup" data-doc="(\w+)">', text)
    assert groups == ["tasks", "water"]
    water = text[text.index('<section class="docgroup" data-doc="water">') :]
    assert "【测试样例】高新区节约用水行动实施方案（虚构）" in water[:600]
    assert "〔2024〕-样例1" in water[:600]
    assert "<h3>一、强化用水总量和强度双控</h3>" in water
    assert tasks_on(water) == WATER_TASKS
    assert len(tasks_on(text)) == len(cat.tasks) == 19
    # with no document picked, the sections to pick come under each document's name
    optgroups = re.findall(r'<optgroup label="([^"]+)">', text)
    assert optgroups == ["石家庄高新区管委会办公室关于进一步弘扬…", "节水"]
    assert 'data-number="节水-2"' in water


async def test_picking_a_document_shows_only_its_tasks_and_other_filters_keep_it(
    dash2: Harness,
) -> None:
    status, text = await page(dash2, "?doc=water")
    assert status == 200 and tasks_on(text) == WATER_TASKS
    assert '<option value="water" selected>' in text
    assert '<a class="doc-card on" href="./?doc=water" data-doc="water">' in text
    assert "<h1>【测试样例】高新区节约用水行动实施方案（虚构）</h1>" in text
    assert "显示 3 / 3 项任务" in text
    assert 'href="./?doc=water&amp;light=red"' in text  # the light chips keep the document
    sections = re.search(r'<select name="section" aria-label="部分">(.*?)</select>', text)
    assert sections is not None  # the sections to pick: this document's only
    assert re.findall(r'value="([^"]*)"', sections.group(1)) == ["", "water.s1", "water.s2"]
    status, text = await page(dash2, "?doc=water&q=节水-3")
    assert status == 200 and tasks_on(text) == ["water.w03"]
    # an unknown document filters nothing (and never fails)
    for bad in ("nope", "%00", "water.w02", "<b>"):
        status, text = await page(dash2, f"?doc={bad}")
        assert status == 200 and len(tasks_on(text)) == 19, bad


async def test_a_task_of_another_document_has_its_page_under_its_documents_name(
    dash2: Harness,
) -> None:
    status, text = await page(dash2, "task/water.w02")
    assert status == 200
    doc = text.index('<p class="doc-of" data-doc="water">')
    heading = text.index('<h1 data-task="water.w02"')
    assert doc < heading
    assert "【测试样例】高新区节约用水行动实施方案（虚构）" in text[doc:heading]
    assert "〔2024〕-样例1" in text[doc:heading]
    assert "任务 节水-2：开展节水型单位创建</h1>" in text[heading:]
    status, text = await page(dash2, "task/t07")  # the primary's tasks: its own document
    assert status == 200 and '<p class="doc-of" data-doc="tasks">' in text
    status, _ = await page(dash2, "task/water.w99")
    assert status == 404


async def test_indicators_come_under_their_documents_and_bureaus_lead_to_labels(
    dash2: Harness,
) -> None:
    status, text = await page(dash2, "indicators")
    assert status == 200
    assert re.findall(r'<section class="docgroup" data-doc="(\w+)">', text) == ["tasks", "water"]
    water = text[text.index('data-doc="water"') :]
    assert re.findall(r'<article class="indicator" data-indicator="([^"]+)"', water) == [
        "water.reuse"
    ]
    status, text = await page(dash2, "bureaus")
    assert status == 200 and 'href="./?bureau=econ"' in text
    # a bureau's tasks (the overview its name links to) show the water tasks by label
    status, text = await page(dash2, "?bureau=econ")
    labels = re.findall(r'data-number="([^"]+)"', text)
    assert {"节水-1", "节水-2", "节水-3"} <= set(labels)


async def test_the_document_filter_is_there_with_several_documents_only(
    dash: Harness, dash2: Harness
) -> None:
    status, text = await page(dash)
    assert status == 200 and 'name="doc"' not in text and "doc-card" not in text
    assert "docgroup" not in text and "<h1>石家庄高新区管委会办公室关于" in text
    status, text = await page(dash2)
    assert status == 200 and 'name="doc"' in text and "doc-card" in text
    assert "--num:" not in (await page(dash))[1]  # one table: the number column as it was
    assert '<div class="table" style="--num: 4.8em">' in text  # room for 节水-3 and its light


def test_the_number_column_is_as_wide_as_the_longest_label(two: Catalogue) -> None:
    from dataclasses import replace

    from bot.web.pages import number_width

    assert number_width(two.tasks) == 4.8  # 节水-3
    longer = [replace(t, prefix="节约用水-", number=12) for t in two.tasks_in("water")]
    assert number_width(longer) == 7.4  # 节约用水-12 does not spill into the title
    assert number_width([replace(t, number=99999) for t in two.tasks_in("tasks")]) == 0
