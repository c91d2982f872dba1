"""What /status, /overdue and /mytasks show, computed from a real store and a fixed clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import at, table

from bot.chat.pages import page as _page
from bot.core.history import UpdateKind
from bot.core.model import Catalogue
from bot.core.render import paginate
from bot.core.workdays import WorkCalendar
from bot.service import views
from bot.service.base import Identity, World
from storage.repo import Store


def big_yaml(n: int) -> str:
    head = """\
version: 1
document: {title: 测试, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}
people:
  - {id: coord-1, name: 赵督办, roles: [coordinator], telegram_id: 1}
bureaus:
  - id: eco
    name: 生态环境局
    contacts:
      - {id: eco-1, name: 张联络, telegram_id: 2}
sections:
  - {id: s1, number: 一, title: 第一部分}
tasks:
"""
    body = "".join(
        f"  - id: t{i}\n    number: {i}\n    section: s1\n    title: 一项名称相当长的重点工作任务第{i}项\n"
        f"    lead: eco\n    deadline: {'2022年底' if i % 3 == 0 else '2025年底'}\n"
        for i in range(1, n + 1)
    )
    return head + body


class Screens:
    """The read side of a running bot: a real store and a fixed clock."""

    def __init__(self, store: Store, catalogue: Catalogue) -> None:
        self.store = store
        self.catalogue = catalogue
        self.world = World(catalogue, at("2023-03-01 10:00"), WorkCalendar(catalogue.calendar))

    def overview(self) -> list[str]:
        return views.overview_lines(self.world, self.store.record(), self.store)

    def task(self, task_id: str) -> list[str]:
        task = self.catalogue.task(task_id)
        return views.task_lines(self.world, self.store.record(), self.store, task)

    def overdue(self) -> list[str]:
        return views.overdue_lines(self.world, self.store.record())

    def mytasks(self, who: Identity) -> list[str]:
        return views.mytasks_lines(self.world, self.store.record(), who)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Screens]:
    store = Store.open(tmp_path / "d.db")
    yield Screens(store, table(big_yaml(120)))
    store.close()


def test_a_long_overview_is_paged_with_buttons(runtime: Screens) -> None:
    lines = runtime.overview()
    pages = paginate(lines)
    assert len(pages) > 1 and all(len(p) <= 4096 for p in pages)
    first = _page("all", pages, 0, "zh")
    last = _page("all", pages, len(pages) - 1, "zh")
    assert [b.data for b in first.buttons[0]] == ["p:all:1"]
    assert [b.data for b in last.buttons[0]] == [f"p:all:{len(pages) - 2}"]
    assert "共 120 项任务：🔴 40" in lines[0]
    # red first within the section
    rows = [x for x in lines if x.startswith(("🔴", "🟡", "🟢"))]
    assert rows[0].startswith("🔴") and rows[-1].startswith("🟢")


def test_task_detail_shows_history_with_names_and_corrections(runtime: Screens) -> None:
    store = runtime.store
    first = store.add_update(
        task_id="t3",
        kind=UpdateKind.AT_RISK,
        by="eco-1",
        at=at("2023-02-01 10:00"),
        note="进度30%",
        progress=30,
    )
    store.add_update(
        task_id="t3",
        kind=UpdateKind.NOTE,
        by="eco-1",
        at=at("2023-02-01 11:00"),
        note="进度35%",
        progress=35,
        corrects=first.id if first else None,
    )
    text = "\n".join(runtime.task("t3"))
    assert "逾期 60 天" in text and "张联络" in text and "（更正）" in text and "进度 35%" in text


def test_overdue_and_mytasks(runtime: Screens) -> None:
    assert runtime.overdue()[0] == "<b>逾期任务</b>（40 项）"
    who = Identity(2, runtime.catalogue.contact("eco-1"))
    lines = runtime.mytasks(who)
    assert "120 项" in lines[0] and lines[1].startswith("🔴")
    runtime.store.add_update(
        task_id="t3", kind=UpdateKind.CLOSED, by="coord-1", at=at("2023-02-02 10:00")
    )
    assert "119 项" in runtime.mytasks(who)[0]


def test_times_are_shown_in_shanghai(runtime: Screens) -> None:
    runtime.store.add_update(
        task_id="t1",
        kind=UpdateKind.ON_TRACK,
        by="eco-1",
        at=dt.datetime(2023, 2, 1, 1, 0, tzinfo=dt.UTC),
    )
    assert any("2023-02-01 09:00" in x for x in runtime.task("t1"))


def test_english_screens_use_english_words_and_punctuation(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "en.db")
    rt = Screens(store, table("language: en\n" + big_yaml(3)))
    store.add_update(
        task_id="t3", kind=UpdateKind.AT_RISK, by="eco-1", at=at("2023-02-01 10:00"), note="资金"
    )
    screens = [
        *rt.overview(),
        *rt.task("t3"),
        *rt.overdue(),
        *rt.mytasks(Identity(2, rt.catalogue.contact("eco-1"))),
    ]
    text = "\n".join(screens)
    assert "Division table" in text and "Recent history" in text and "days overdue" in text
    assert not any(ch in text for ch in "（）；、")
    store.close()
