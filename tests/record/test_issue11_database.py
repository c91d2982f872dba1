"""Issue #11: the database and its companions are private; a database locked by another
process does not freeze the bot: /status still answers, and an answer that cannot be written
now is kept and written later, never answered with "save failed, send it again"."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest
from harness import COORD, ECO, MakeBot
from support import at

from storage.inbox import Inbox, inbox_path
from storage.repo import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_wal_shm_and_inbox_are_private_even_if_they_were_not(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    Store.open(db).close()
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if p.exists():
            p.chmod(0o644)
    db.chmod(0o644)
    store = Store.open(db)
    store.set_meta("x", "y")  # the WAL and shared-memory files exist now
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        assert mode(p) == 0o600, p
    store.close()
    inbox = inbox_path(db)
    inbox.touch(mode=0o644)
    inbox.chmod(0o644)
    Inbox(inbox).close()
    assert mode(inbox) == 0o600


@pytest.mark.slow
async def test_a_locked_database_keeps_answers_and_status_answers(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ECO, COORD)
    locker = sqlite3.connect(bot.db_path, isolation_level=None, timeout=0)
    locker.execute("BEGIN IMMEDIATE")  # another process holds the write lock (a backup, a CLI)
    try:
        bot.client.send(ECO, "/update 2")
        bot.client.send(COORD, "/status")
        await bot.pump()
        assert "分工表总览" in bot.texts(COORD)[-1]  # answered from what it has
        asked = bot.texts(ECO)[-1]
        assert "目前进展如何" in asked  # a question needs no write
        ask = bot.last(ECO, "目前进展如何")
        bot.client.press(ECO, ask["message_id"], "u:t02:b", chat_id=ECO)  # needs one: kept
        await bot.pump()
        assert "已记录" not in bot.texts(ECO)[-1]
        assert not any("保存失败" in t for t in bot.texts(ECO))
        assert bot.rows("SELECT count(*) FROM status_updates")[0][0] == 0
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    for _ in range(100):  # the kept answer is written once the lock is gone
        if bot.rows("SELECT count(*) FROM status_updates")[0][0]:
            break
        await asyncio.sleep(0.1)
    await bot.duban.engine.settle()
    assert bot.rows("SELECT task_id, kind FROM status_updates") == [("t02", "blocked")]
    assert "已记录" in bot.texts(ECO)[-1]
    bot.client.send(ECO, "资金尚未到位")  # and the note the bot then asks for lands on it
    await bot.pump()
    assert bot.rows("SELECT task_id, kind, note FROM status_updates")[-1] == (
        "t02",
        "note",
        "资金尚未到位",
    )
