"""Issue #11, editing the table while the bot runs: a save is read once it stops changing,
every rejected save is reported, an edit that removes a large share of the tasks waits for
an admin, validation runs off the event loop, and the bot starts on the last good table when
the file is broken."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import ADMIN, COORD, ECO, TABLE, Harness, MakeBot, buttons
from support import at
from support_big import big_table_yaml

from bot.app import settled
from bot.core.clock import SimulatedClock
from bot.ops import _startup

BROKEN = TABLE.replace("    lead: 经济发展局\n", "    lead: 经济发展部\n", 1)


def save(path: Path, text: str) -> None:
    """What editors do: write a new file and rename it over the old one."""
    tmp = path.with_suffix(".swp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)


@contextlib.asynccontextmanager
async def watching(bot: Harness) -> AsyncIterator[None]:
    task = asyncio.create_task(bot.duban._watch())
    await asyncio.sleep(0.3)  # the watcher is up
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_for(bot: Harness, chat: int, needle: str, count: int, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if sum(needle in t for t in bot.texts(chat)) >= count:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count}× {needle!r} not seen: {bot.texts(chat)}")


@pytest.mark.slow
async def test_every_rejected_save_is_reported(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ADMIN)
    async with watching(bot):
        save(bot.config, BROKEN)
        await wait_for(bot, ADMIN, "修改未生效", 1)
        save(bot.config, TABLE.replace("打好蓝天保卫战", "打赢蓝天保卫战"))
        await wait_for(bot, ADMIN, "分工表已更新", 1)
        save(bot.config, BROKEN)  # the same broken file again, after a good one
        await wait_for(bot, ADMIN, "修改未生效", 2)
        save(bot.config, BROKEN)  # and once more: each rejected save is reported
        await wait_for(bot, ADMIN, "修改未生效", 3)


@pytest.mark.slow
async def test_a_save_written_in_two_parts_is_read_only_when_finished(make_bot: MakeBot) -> None:
    """The first part alone is valid YAML without the last tasks: it is never applied."""
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ADMIN)
    full = TABLE.replace("打好蓝天保卫战", "打赢蓝天保卫战")
    cut = full.index("  - id: t02\n")
    async with watching(bot):
        with bot.config.open("w", encoding="utf-8") as f:  # an in-place write, slowly
            f.write(full[:cut])
            f.flush()
            await asyncio.sleep(2.0)
            f.write(full[cut:])
        await wait_for(bot, ADMIN, "分工表已更新", 1)
        await asyncio.sleep(1.0)
    said = "\n".join(bot.texts(ADMIN))
    assert "移除" not in said and "文件为空" not in said and "修改未生效" not in said
    assert bot.rows("SELECT count(*) FROM entities WHERE archived_at IS NOT NULL")[0][0] == 0


async def test_settled_waits_for_a_file_to_stop_changing(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("a", "utf-8")

    async def writer() -> None:
        for i in range(4):
            await asyncio.sleep(0.1)
            path.write_text("a" * (i + 2), "utf-8")

    task = asyncio.create_task(writer())
    stamp = await settled(path, quiet=0.3)
    await task
    assert stamp is not None and stamp[0] == 5  # the last size, not a half-written one
    path.unlink()
    assert await settled(path, quiet=0.1) is None


async def test_a_large_removal_waits_for_an_admin_and_applies_on_confirm(make_bot: MakeBot) -> None:
    extra = "".join(
        f"  - {{id: x{i}, number: {10 + i}, section: s1, title: 任务{i}, lead: eco, "
        "deadline: 2026年底}\n"
        for i in range(4)
    )
    full = TABLE.replace("indicators:\n", extra + "indicators:\n")
    bot = await make_bot(at("2023-06-01 10:00"), full)
    await bot.start_users(ADMIN, ECO, COORD)
    bot.config.write_text(full.replace(extra, ""), "utf-8")  # 4 of 6 tasks gone
    await bot.duban.reload("file", explicit=False)
    held = bot.last(ADMIN, "待确认")
    assert "移除任务" in held["text"]
    assert bot.rows("SELECT count(*) FROM entities WHERE archived_at IS NOT NULL")[0][0] == 0
    assert len(bot.runtime.catalogue.tasks) == 6  # nothing applied meanwhile
    apply_button = next(d for d in buttons(held) if d.startswith("l:ok:"))
    await bot.press(ADMIN, held, apply_button)
    assert len(bot.runtime.catalogue.tasks) == 2
    assert (
        bot.rows("SELECT count(*) FROM entities WHERE kind = 'task' AND archived_at IS NOT NULL")[
            0
        ][0]
        == 4
    )
    assert "分工表已更新" in "\n".join(bot.texts(ADMIN))


async def test_reload_confirm_by_command_and_discard(make_bot: MakeBot) -> None:
    extra = "".join(
        f"  - {{id: x{i}, number: {10 + i}, section: s1, title: 任务{i}, lead: eco, "
        "deadline: 2026年底}\n"
        for i in range(4)
    )
    full = TABLE.replace("indicators:\n", extra + "indicators:\n")
    bot = await make_bot(at("2023-06-01 10:00"), full)
    await bot.start_users(ADMIN)
    bot.config.write_text(full.replace(extra, ""), "utf-8")
    await bot.say(ADMIN, "/reload")
    held = bot.last(ADMIN, "待确认")
    await bot.press(ADMIN, held, next(d for d in buttons(held) if d.startswith("l:no:")))
    assert "已放弃" in bot.texts(ADMIN)[-1] and len(bot.runtime.catalogue.tasks) == 6
    await bot.say(ADMIN, "/reload confirm")
    assert "没有待确认" in bot.texts(ADMIN)[-1]  # discarded: nothing to confirm
    await bot.say(ADMIN, "/reload")
    await bot.say(ADMIN, "/reload confirm")
    assert len(bot.runtime.catalogue.tasks) == 2


@pytest.mark.slow
async def test_validation_does_not_hold_up_answers(make_bot: MakeBot) -> None:
    """While a large table is being validated, a coordinator's /status is answered first."""
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ADMIN, COORD)
    bot.config.write_text(big_table_yaml(3000), "utf-8")
    reload = asyncio.create_task(bot.duban.reload("file", explicit=False))
    await asyncio.sleep(0.05)  # validation has started
    bot.client.send(COORD, "/status")
    await bot.pump()
    assert not reload.done()  # the answer did not wait for the validation
    assert "分工表总览" in bot.texts(COORD)[-1]
    await reload


def test_the_bot_starts_on_the_last_good_table_when_the_file_is_broken(tmp_path: Path) -> None:
    config = tmp_path / "tasks.yaml"
    db = tmp_path / "duban.db"
    config.write_text(TABLE, "utf-8")
    args = argparse.Namespace(
        config=str(config), clock_start="2023-06-01T10:00", clock_speed=1.0, lang=None
    )
    first = _startup(args, db)
    assert first is not None and first[2] == 1
    config.write_text(TABLE.replace("title: 打好蓝天保卫战", "title: 打好\x07蓝天保卫战"), "utf-8")
    started = _startup(args, db)
    assert started is not None
    clock, catalogue, version, errors = started
    assert isinstance(clock, SimulatedClock) and version == 1
    assert catalogue.task("t02").title == "打好蓝天保卫战"
    assert errors and "tasks.yaml" in errors[0] and any("U+0007" in e for e in errors)
