"""Applying tables: versions, archive and restore, id reuse refused, the change report."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from catalogue.valid_table import VALID
from support import at, table

from bot.core.diff import diff_catalogues
from bot.core.history import Record, UpdateKind
from bot.core.model import Catalogue
from bot.core.planner import plan
from bot.reload import Outcome, apply, failure_text, last_good, validate
from storage.repo import NewMessage, Store


class Reloader:
    """The reload steps the bot takes, called in order (validate, then apply)."""

    def __init__(self, store: Store, config: Path) -> None:
        self.store = store
        self.config = config

    def attempt(
        self, current: Catalogue | None, version: int, now: dt.datetime, confirmed: bool = True
    ) -> Outcome:
        result = validate(self.config)
        return apply(
            self.store, result, current, version, self.store.record(), now, confirmed=confirmed
        )

    def current(self) -> tuple[int, Catalogue | None]:
        return last_good(self.store, self.config)

    def failure_text(self, out: Outcome, lang: str) -> str:
        return failure_text(out, str(self.config), lang)


NOW = at("2025-11-20 10:00")


@pytest.fixture
def env(tmp_path: Path) -> tuple[Reloader, Store, Path]:
    config = tmp_path / "tasks.yaml"
    config.write_text(VALID, encoding="utf-8")
    store = Store.open(tmp_path / "duban.db")
    yield Reloader(store, config), store, config
    store.close()


def test_first_start_applies_version_one(env: tuple[Reloader, Store, Path]) -> None:
    reloader, store, _ = env
    out = reloader.attempt(None, 0, NOW)
    assert out.applied and out.version == 1
    assert [v.id for v in store.versions()] == [1]
    assert {e.id for e in store.entities("task")} == {"t01", "t02"}


def test_an_unchanged_file_is_not_a_new_version(env: tuple[Reloader, Store, Path]) -> None:
    reloader, store, _ = env
    first = reloader.attempt(None, 0, NOW)
    again = reloader.attempt(first.catalogue, first.version, NOW)
    assert again.unchanged and not again.applied
    assert len(store.versions()) == 1


def test_a_broken_edit_keeps_the_last_good_table_with_located_errors(
    env: tuple[Reloader, Store, Path],
) -> None:
    reloader, store, config = env
    first = reloader.attempt(None, 0, NOW)
    config.write_text(VALID.replace("    lead: 经济发展局\n", "    lead: 经济发展部\n", 1), "utf-8")
    out = reloader.attempt(first.catalogue, first.version, NOW)
    assert not out.applied and out.catalogue is None
    assert any("tasks.yaml:55" in e and "经济发展局" in e for e in out.errors)
    text = reloader.failure_text(out, "zh")
    assert "第 1 版" in text and "tasks.yaml:55" in text
    assert len(store.versions()) == 1


def test_removing_a_task_archives_it_with_its_history_and_restoring_brings_it_back(
    env: tuple[Reloader, Store, Path],
) -> None:
    reloader, store, config = env
    first = reloader.attempt(None, 0, NOW)
    store.add_update(task_id="t01", kind=UpdateKind.AT_RISK, by="econ-1", at=NOW, note="资金")
    start = VALID.index("  - id: t01\n")
    end = VALID.index("  - id: t02\n")
    without = VALID[:start] + VALID[end:]
    without = without.replace("    task: t01\n", "    task: t02\n")
    config.write_text(without, "utf-8")
    out = reloader.attempt(first.catalogue, first.version, NOW, confirmed=False)
    assert out.applied, out.errors
    assert [e.id for e in store.entities("task", archived=True)] == ["t01"]
    assert [u.note for u in store.updates("t01")] == ["资金"]  # history kept
    assert out.report is not None and "task_removed" in {c.code for c in out.report.changes}
    config.write_text(VALID, "utf-8")
    back = reloader.attempt(out.catalogue, out.version, NOW)
    assert back.applied and store.entities("task", archived=True) == []
    assert [u.note for u in store.updates("t01")] == ["资金"]


def test_an_id_reused_for_a_different_task_is_refused(env: tuple[Reloader, Store, Path]) -> None:
    reloader, _, config = env
    reloader.attempt(None, 0, NOW)
    reused = VALID.replace(
        "  - id: s1\n    number: 一\n    title: 优化国土空间开发保护格局\n",
        "  - id: s1\n    number: 一\n    title: 优化国土空间开发保护格局\n"
        "  - id: s2\n    number: 二\n    title: 另一章\n",
    )
    reused = reused.replace(
        "    section: s1\n    title: 落实主体功能区战略\n",
        "    section: s2\n    title: 完全不同的任务\n",
    )
    config.write_text(reused, "utf-8")
    version, cat = reloader.current()
    out = reloader.attempt(cat, version, NOW)
    assert not out.applied
    assert any("t01" in e and "落实主体功能区战略" in e for e in out.errors)


def test_change_report_names_renames_moved_deadlines_and_schedule_effect() -> None:
    old = table()
    new = table(
        VALID.replace("    title: 打好蓝天保卫战\n", "    title: 打赢蓝天保卫战\n").replace(
            "    deadline: 2025年底\n    subtasks:", "    deadline: 2026年1月底\n    subtasks:"
        )
    )
    report = diff_catalogues(old, new, now=NOW)
    codes = [c.code for c in report.changes]
    assert "task_renamed" in codes and "deadline_moved" in codes
    assert report.reminders_added > 0 and report.reminders_cancelled > 0
    text = report.render("zh", 2)
    assert "打赢蓝天保卫战" in text and "2026年1月底" in text


def test_a_new_deadline_keeps_history_and_does_not_resend(
    env: tuple[Reloader, Store, Path],
) -> None:
    """Reminders already sent stay sent; new offsets are planned from the new deadline."""
    old = table()
    now = at("2025-12-01 09:05")
    sent_keys = {d.key for d in plan(old, now, Record())}
    moved = table(
        VALID.replace(
            "    deadline: 2025年底\n    subtasks:", "    deadline: 2026年6月底\n    subtasks:"
        )
    )
    new_keys = {d.key for d in plan(moved, now, Record())}
    assert "reminder:t02:2025-12-31:30d:eco-1" in sent_keys
    assert not any(k.startswith("reminder:t02:2025-12-31") for k in new_keys)


@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_a_hundred_random_edits_leave_no_orphan_and_no_duplicate(tmp_path: Path) -> None:
    """Random valid edits, each applied; updates keep their task, no key is planned twice."""
    rng = random.Random(7)
    config = tmp_path / "tasks.yaml"
    store = Store.open(tmp_path / "d.db")
    reloader = Reloader(store, config)
    config.write_text(VALID, "utf-8")
    current = reloader.attempt(None, 0, NOW)
    cat, version = current.catalogue, current.version
    now = at("2025-06-02 09:30")
    titles = ["打好蓝天保卫战", "打赢蓝天保卫战", "坚决打好蓝天保卫战"]
    deadlines = ["2025年底", "2025年6月底", "2026年底", "2025年9月30日"]
    sent_total: list[str] = []
    for i in range(100):
        text = VALID.replace("    title: 打好蓝天保卫战\n", f"    title: {rng.choice(titles)}\n")
        text = text.replace(
            "    deadline: 2025年底\n    subtasks:",
            f"    deadline: {rng.choice(deadlines)}\n    subtasks:",
        )
        if rng.random() < 0.3:  # drop t01 (archive) now and then
            s, e = text.index("  - id: t01\n"), text.index("  - id: t02\n")
            text = (text[:s] + text[e:]).replace("    task: t01\n", "    task: t02\n")
        config.write_text(text, "utf-8")
        out = reloader.attempt(cat, version, now)
        if out.applied:
            cat, version = out.catalogue, out.version
        assert cat is not None
        # the engine's part: record what is due as sent, answer now and then
        for d in plan(cat, now, store.record()):
            message = NewMessage(
                d.key, d.kind.value, d.recipient, 1, d.slot, "x", task_id=d.task_id,
                indicator_id=d.indicator_id, bureau_id=d.bureau_id,
            )  # fmt: skip
            assert store.outbox_add([message], now) == [d.key], f"{d.key} planned twice"
            assert store.outbox_claim([d.key])
            store.outbox_sent([d.key], i, now)
            sent_total.append(d.key)
        if rng.random() < 0.5:
            store.add_update(
                task_id=rng.choice(["t01", "t02"]),
                kind=UpdateKind.ON_TRACK,
                by="eco-1",
                at=now,
                bureau_id="eco",
            )
        now += dt.timedelta(days=rng.choice([1, 3, 7]))
        while not (0 <= now.weekday() < 5):
            now += dt.timedelta(days=1)
    assert len(sent_total) == len(set(sent_total))
    known = {e.id for e in store.entities("task")}
    assert {u.task_id for u in store.updates()} <= known  # every update's task is live or archived
    store.close()


def test_cli_diff_prints_the_change_report(tmp_path: Path) -> None:
    import subprocess
    import sys

    old = tmp_path / "old.yaml"
    new = tmp_path / "new.yaml"
    old.write_text(VALID, "utf-8")
    new.write_text(
        VALID.replace(  # renamed; the old name stays as an alias, so references still resolve
            "    name: 经济发展局\n    aliases: [经济发展和局]\n",
            "    name: 经济发展和改革局\n    aliases: [经济发展局, 经济发展和局]\n",
        ),
        "utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot", "diff", str(old), str(new)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "单位改名：「经济发展局」→「经济发展和改革局」（联系人和记录保留）" in out.stdout
    assert "<b>" not in out.stdout
    broken = subprocess.run(
        [sys.executable, "-m", "bot", "diff", str(old), str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert broken.returncode == 2 and "Traceback" not in broken.stderr


def test_an_edit_removing_a_third_of_the_tasks_waits_for_an_admin(tmp_path: Path) -> None:
    """A save caught half-way can look like a valid table without its last tasks: such an
    edit is held (nothing applied, nothing archived) until an admin confirms it."""
    from catalogue.valid_table import VALID as text

    extra = "".join(
        f"  - {{id: x{i}, number: {10 + i}, section: s1, title: 任务{i}, lead: eco, deadline: 2026年底}}\n"
        for i in range(4)
    )
    full = text.replace("indicators:\n", extra + "indicators:\n")
    config = tmp_path / "tasks.yaml"
    config.write_text(full, "utf-8")
    store = Store.open(tmp_path / "d.db")
    reloader = Reloader(store, config)
    first = reloader.attempt(None, 0, NOW)
    assert first.applied and len(first.catalogue.tasks) == 6
    config.write_text(full.replace(extra, extra.split("\n")[0] + "\n"), "utf-8")  # 3 of 6 gone
    held = reloader.attempt(first.catalogue, first.version, NOW, confirmed=False)
    assert held.held and not held.applied and held.report is not None
    assert len(store.versions()) == 1 and store.entities("task", archived=True) == []
    confirmed = reloader.attempt(first.catalogue, first.version, NOW, confirmed=True)
    assert confirmed.applied and len(store.entities("task", archived=True)) == 3
    store.close()
