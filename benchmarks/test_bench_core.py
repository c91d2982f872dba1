"""Speed of the core on a table larger than any real one: `make bench`.

A tick runs the planner and the bot answers /status from the status rules, so both must
stay fast as history grows over years: 200 tasks, 60 bureaus, 20 000 status updates,
5 000 messages sent.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bot.core.catalogue import parse_catalogue
from bot.core.history import History, Sent, StatusUpdate, UpdateKind
from bot.core.model import Catalogue
from bot.core.planner import plan, upcoming
from bot.core.status import table_status
from bot.core.workdays import WorkCalendar

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2024, 6, 3, 9, 30, tzinfo=SH)


def big_table(tasks: int = 200, bureaus: int = 60) -> Catalogue:
    lines = [
        "version: 1",
        "document: {title: 压测, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}",
        "people:",
        "  - {id: admin-1, name: 管理员, roles: [admin, coordinator], telegram_id: 1}",
        "bureaus:",
    ]
    for b in range(bureaus):
        lines.append(
            f"  - id: b{b}\n    name: 单位{b}局\n    contacts:\n      - {{id: c{b}, name: 联络{b}}}"
        )
    lines += ["sections:", "  - {id: s1, number: 一, title: 全部}", "tasks:"]
    years = ["2022年底", "2023年底", "2024年底", "2025年底", "持续推进，2025年底取得阶段成效"]
    for n in range(tasks):
        lines.append(
            f"  - id: t{n}\n    number: {n + 1}\n    section: s1\n    title: 任务{n}\n"
            f"    lead: b{n % bureaus}\n    cooperating: [b{(n + 1) % bureaus}, b{(n + 7) % bureaus}]\n"
            f"    deadline: {years[n % len(years)]}"
        )
    result = parse_catalogue("\n".join(lines) + "\n", "bench.yaml")
    assert result.catalogue is not None, [p.code for p in result.errors]
    return result.catalogue


@pytest.fixture(scope="module")
def setup() -> tuple[Catalogue, History]:
    cat = big_table()
    rng = random.Random(1)
    kinds = [UpdateKind.ON_TRACK, UpdateKind.AT_RISK, UpdateKind.NOTE, UpdateKind.BLOCKED]
    start = dt.datetime(2022, 4, 1, tzinfo=SH)
    updates = [
        StatusUpdate(
            i,
            f"t{rng.randrange(200)}",
            rng.choice(kinds),
            start + dt.timedelta(minutes=rng.randrange(10**6)),
            "c1",
            "b1",
        )
        for i in range(20_000)
    ]
    sent = [
        Sent(
            f"reminder:x{i}",
            "reminder",
            f"c{i % 60}",
            start + dt.timedelta(hours=i),
            task_id=f"t{i % 200}",
            bureau_id=f"b{i % 60}",
        )
        for i in range(5_000)
    ]
    return cat, History(updates, sent=sent)


def test_plan_one_tick(benchmark, setup) -> None:  # type: ignore[no-untyped-def]
    cat, history = setup
    cal = WorkCalendar()
    result = benchmark(plan, cat, NOW, history, cal)
    assert isinstance(result, list)


def test_status_whole_table(benchmark, setup) -> None:  # type: ignore[no-untyped-def]
    cat, history = setup
    cal = WorkCalendar()
    result = benchmark(table_status, cat, history, NOW, cal)
    assert len(result) == 200


def test_upcoming_ninety_days(benchmark, setup) -> None:  # type: ignore[no-untyped-def]
    cat, history = setup
    result = benchmark(upcoming, cat, NOW, history, NOW + dt.timedelta(days=90))
    assert result


def test_history_index(benchmark, setup) -> None:  # type: ignore[no-untyped-def]
    _, history = setup
    benchmark(History, history.updates, history.readings, history.sent.values())


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory, setup: tuple[Catalogue, History]) -> object:
    from storage.repo import Store

    _, history = setup
    store = Store.open(tmp_path_factory.mktemp("bench") / "duban.db")
    with store.transaction():
        for u in history.updates:
            store.add_update(
                task_id=u.task_id, kind=u.kind, by=u.by, at=u.at, bureau_id=u.bureau_id
            )
        for s in history.sent.values():
            store.outbox_claim(
                key=s.key,
                kind=s.kind,
                recipient=s.recipient,
                slot=s.at,
                at=s.at,
                chat_id=1,
                task_id=s.task_id,
                bureau_id=s.bureau_id,
            )
            store.outbox_sent(s.key, 1, s.at)
    yield store
    store.close()


def test_history_from_sqlite(benchmark, big_store) -> None:  # type: ignore[no-untyped-def]
    """What every tick and every answer reads: 20 000 updates and 5 000 sent messages."""
    history = benchmark(big_store.history)
    assert len(history.updates) == 20_000 and len(history.sent) == 5_000


def test_memory_of_a_tick(benchmark, setup) -> None:  # type: ignore[no-untyped-def]
    """Peak memory of one plan and one whole-table status (reported as extra info, in KiB)."""
    import tracemalloc

    cat, history = setup
    cal = WorkCalendar()

    def tick() -> int:
        tracemalloc.start()
        plan(cat, NOW, history, cal)
        table_status(cat, history, NOW, cal)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak = benchmark.pedantic(tick, rounds=3, iterations=1)
    benchmark.extra_info["peak_kib"] = round(peak / 1024)
    assert peak > 0
