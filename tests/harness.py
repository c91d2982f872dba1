"""The real bot in the test process: the PTB application, the engine and a real SQLite file,
against the Bot API emulator in the same event loop (`InProcessRequest`: no HTTP, no
thread), on a clock the test moves by hand.

Nothing is scheduled: the test says when updates are fetched and handled (`pump`) and when
the scheduler ticks (`tick`), so a test reads as the story it tells, in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from catalogue.valid_table import VALID

from bot.app import Duban
from bot.core.clock import FixedClock
from bot.core.history import Record
from bot.emulator.client import EmulatorClient
from bot.emulator.inprocess import InProcessRequest
from bot.emulator.model import Faults
from bot.emulator.server import Emulator
from bot.emulator.thread import EmulatorThread
from bot.reload import apply, validate
from bot.runtime import Runtime
from storage.repo import Store

TOKEN = "123456:HARNESS"
ADMIN, COORD, ECO, ECON, STREETS, STRANGER = 1001, 1002, 2001, 2002, 2003, 9999
NAMES = {
    ADMIN: "王管理",
    COORD: "赵督办",
    ECO: "张联络",
    ECON: "李联络",
    STREETS: "街道联络",
    STRANGER: "路人",
}

#: The small valid table with everyone's Telegram id (so /start binds without a code).
TABLE = VALID.replace(
    "    roles: [coordinator]\n", "    roles: [coordinator]\n    telegram_id: 1002\n"
).replace("        name: 街道联络\n", "        name: 街道联络\n        telegram_id: 2003\n")


class Users:
    """The emulator's users, as the tests act through them (the same calls as the HTTP
    control client, `EmulatorClient`, but in process)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu

    def add_user(self, user_id: int, first_name: str) -> None:
        self.emu.add_user(user_id, first_name)

    def send(
        self, user_id: int, text: str, reply_to: int | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        return self.emu.user_message(user_id, text, chat_id, reply_to)

    def press(self, user_id: int, message_id: int, data: str, chat_id: int | None = None) -> str:
        return self.emu.press(user_id, message_id, data=data, chat_id=chat_id)

    def edit(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        return self.emu.user_edit(user_id, message_id, text)

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        return self.emu.bot_messages(chat_id)

    def set_faults(self, **faults: Any) -> None:
        self.emu.set_faults(Faults(**faults))

    def file(self, file_id: str) -> bytes:
        return self.emu.files[file_id].data

    def stats(self) -> dict[str, Any]:
        return self.emu.stats()


class Harness:
    """One bot, one database, one emulator; the test drives the clock and the updates."""

    def __init__(
        self,
        tmp: Path,
        emu: Emulator,
        table: str,
        start: dt.datetime,
        *,
        pace: bool = True,
        token: str = TOKEN,
        documents: Mapping[str, str] | None = None,
    ) -> None:
        self.tmp = tmp
        self.emu = emu
        self.client = Users(emu)
        self.config = tmp / "config" / "tasks.yaml"
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(table, encoding="utf-8")
        if documents:  # several documents: more tables beside tasks.yaml, the directory read
            for name, text in documents.items():
                (self.config.parent / name).write_text(text, encoding="utf-8")
            self.config = self.config.parent
        self.db_path = tmp / "duban.db"
        self.clock = FixedClock(start)
        store = Store.open(self.db_path)
        outcome = apply(store, validate(self.config), None, 0, Record(), start, confirmed=True)
        store.close()
        assert outcome.catalogue is not None, outcome.errors
        self.runtime = Runtime(
            self.config, self.db_path, self.clock, outcome.catalogue, outcome.version
        )
        self.duban = Duban(
            self.runtime,
            token,
            tick_seconds=3600,
            watch=False,
            request=InProcessRequest(emu),
            updates_request=InProcessRequest(emu),
            pace=pace,
        )
        self.app = self.duban.app
        self._offset = 0

    async def start(self) -> None:
        """Initialise the application as `duban run` does, without polling or jobs."""
        await self.app.initialize()
        await self.duban._post_init(self.app)

    async def stop(self) -> None:
        """Shut the application down and close the database."""
        await self.duban.engine.settle()
        await self.app.shutdown()
        self.runtime.close()
        self.duban.inbox.close()

    # -- time and the scheduler

    def advance(self, **delta: float) -> None:
        """Move the bot's clock forward (or back, with negative values)."""
        self.clock.advance(dt.timedelta(**delta))

    def set_time(self, when: dt.datetime) -> None:
        """Put the bot's clock at an instant."""
        self.clock.advance(when - self.clock.now())

    async def tick(self) -> int:
        """One run of the scheduler: send what is due now."""
        sent = await self.duban.engine.tick()
        await self.duban.engine.settle()
        return sent

    # -- users

    async def pump(self) -> int:
        """Fetch the updates users sent and let the bot handle them, in order, as the poller
        does: each goes through the inbox before it is handled."""
        handled = 0
        queue = self.app.update_queue
        while True:
            updates = await self.app.bot.get_updates(offset=self._offset, timeout=0)
            if not updates:
                await self.duban.engine.settle()
                return handled
            for update in updates:
                self._offset = update.update_id + 1
                await queue.put(update)
            while not queue.empty():
                await self.app.process_update(queue.get_nowait())
                handled += 1

    async def say(self, user: int, text: str, reply_to: int | None = None) -> None:
        """A user writes to the bot; the bot handles it."""
        self.client.send(user, text, reply_to=reply_to)
        await self.pump()

    async def press(self, user: int, message: dict[str, Any], data: str) -> None:
        """A user presses a button under a message; the bot handles it."""
        self.client.press(user, message["message_id"], data=data, chat_id=message["chat"]["id"])
        await self.pump()

    async def start_users(self, *users: int) -> None:
        """Each user presses Start."""
        for user in users:
            self.client.send(user, "/start")
        await self.pump()

    # -- what users saw

    def messages(self, chat: int) -> list[dict[str, Any]]:
        """What the bot sent to a chat, in order, as the chat shows it now (edits applied)."""
        return self.client.bot_messages(chat)

    def texts(self, chat: int) -> list[str]:
        """The texts (or captions) of the bot's messages in a chat."""
        return [m.get("text") or m.get("caption") or "" for m in self.messages(chat)]

    def last(self, chat: int, *needles: str) -> dict[str, Any]:
        """The latest bot message in a chat containing every needle (fails if none)."""
        for m in reversed(self.messages(chat)):
            text = m.get("text") or m.get("caption") or ""
            if all(n in text for n in needles):
                return m
        raise AssertionError(f"no message with {needles} in chat {chat}: {self.texts(chat)}")

    def rows(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows from the bot's database (a separate connection, as an auditor would)."""
        conn = sqlite3.connect(self.db_path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


def buttons(message: dict[str, Any]) -> list[str]:
    """The callback data of every inline button under a message."""
    markup = message.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


@pytest.fixture(scope="session")
def emulator_http() -> Iterator[tuple[str, EmulatorClient]]:
    """One emulator for the session, reset before each harness."""
    thread = EmulatorThread(TOKEN)
    base = thread.start()
    yield base, EmulatorClient(base)
    thread.stop()


def users(emu: Emulator) -> None:
    """The people of TABLE as emulator users."""
    for uid, name in NAMES.items():
        emu.add_user(uid, name)


#: `await make_bot(start, table=TABLE)` (fixture in tests/record/conftest.py).
MakeBot = Callable[..., Awaitable[Harness]]
