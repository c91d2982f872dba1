"""An update id means "handled before" only while Telegram could still send it again.

Telegram numbers a bot's updates itself: it keeps an undelivered update for 24 hours, starts
from a random number after a week without updates, and another bot counts from elsewhere.
A database made anew (the demo, a fresh deployment) beside an old inbox, a token of another
bot, or a quiet week must not make the bot take new messages for old ones and ignore them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness import COORD, ECO, TABLE, TOKEN, Harness, users
from support import at

from bot.emulator.model import Limits
from bot.emulator.server import Emulator
from storage.inbox import REDELIVERY_WINDOW, Inbox, inbox_path
from storage.repo import Store

T0 = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.UTC)


def test_an_update_id_is_received_before_only_within_the_window(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path / "x.inbox.db", owner="a")
    assert inbox.put(7, {"n": 1}, T0)
    assert not inbox.put(7, {"n": 1}, T0 + dt.timedelta(hours=23))  # a redelivery
    inbox.done(7)
    later = T0 + REDELIVERY_WINDOW + dt.timedelta(minutes=1)
    assert inbox.put(7, {"n": 2}, later)  # Telegram used the id again: a new update
    assert inbox.waiting() == [(7, {"n": 2})]
    inbox.close()


def test_a_handled_mark_lasts_only_the_window(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "duban.db")
    assert store.mark_processed(42, T0)
    assert not store.mark_processed(42, T0 + dt.timedelta(days=1))
    assert store.mark_processed(42, T0 + REDELIVERY_WINDOW + dt.timedelta(days=2))
    assert store.forget_processed(T0 + dt.timedelta(days=30)) == 1
    assert store.processed([42]) == set()
    store.close()


def test_an_inbox_of_another_database_is_set_aside_not_trusted(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    store = Store.open(db)
    first = store.get_meta("db_id")
    store.close()
    inbox = Inbox(inbox_path(db), owner=first)
    inbox.put(1, {"message": "old"}, T0)
    inbox.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    store = Store.open(db)  # made anew: another identity
    second = store.get_meta("db_id")
    store.close()
    assert first and second and first != second
    inbox = Inbox(inbox_path(db), owner=second)
    assert inbox.put(1, {"message": "new"}, T0)  # not "received before"
    inbox.close()
    aside = list(tmp_path.glob("duban.inbox.db.*.orphaned"))
    assert len(aside) == 1  # what the old inbox held is kept, not deleted
    old = Inbox(aside[0])
    assert old.count() == 1
    old.close()


def _remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


async def _bot(tmp: Path, emu: Emulator, token: str = TOKEN) -> Harness:
    bot = Harness(tmp, emu, TABLE, at("2023-06-01 10:00"), pace=False, token=token)
    await bot.start()
    return bot


def _emulator(token: str = TOKEN) -> Emulator:
    emu = Emulator(token, limits=Limits(enabled=False))
    users(emu)
    return emu


async def test_a_new_database_beside_an_old_inbox_still_answers(tmp_path: Path) -> None:
    emu = _emulator()
    bot = await _bot(tmp_path, emu)
    await bot.start_users(ECO, COORD)
    assert bot.texts(COORD)
    await bot.stop()
    await emu.stop()
    _remove_database(bot.db_path)  # `duban demo` again: a new database, update ids from 1
    emu = _emulator()
    bot = await _bot(tmp_path, emu)
    try:
        await bot.start_users(ECO, COORD)
        assert bot.texts(COORD), "the coordinator's /start was taken for an old update"
        assert bot.texts(ECO)
    finally:
        await bot.stop()
        await emu.stop()


async def test_another_bots_token_on_the_same_database_still_answers(tmp_path: Path) -> None:
    emu = _emulator()
    bot = await _bot(tmp_path, emu)
    await bot.start_users(ECO, COORD)
    await bot.stop()
    await emu.stop()
    other = "654321:ANOTHER"
    emu = _emulator(other)  # the new bot's update ids start again from the beginning
    bot = await _bot(tmp_path, emu, other)
    try:
        await bot.say(COORD, "/status")
        assert any("分工表总览" in t for t in bot.texts(COORD)), bot.texts(COORD)
    finally:
        await bot.stop()
        await emu.stop()
