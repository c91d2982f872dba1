"""The real bot on a generated deployment, for measuring: the PTB application, the engine, the
writer thread and a real SQLite file, against the Bot API emulator.

`Rig` runs them in one event loop (`InProcessRequest`, as tests/harness.py does), with every
request the bot makes and every update it starts handling time-stamped, so a figure can say
how long the bot itself took: from `process_update` to the answer's request leaving it.
`HttpRig` runs the emulator over HTTP in a thread of its own and the bot polling it as in
production (`RetryingRequest`, long polling), for the end-to-end time a user sees.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from telegram.request import RequestData

from benchmarks.data import Deployment, chat_ids
from bot.app import Duban
from bot.core.clock import Clock
from bot.core.planner import Due, Kind
from bot.emulator.inprocess import InProcessRequest
from bot.emulator.model import Limits
from bot.emulator.server import Emulator
from bot.engine import compose_messages
from bot.reload import apply, last_good, validate
from bot.runtime import Runtime
from bot.transport import RetryingRequest
from storage.repo import Store

TOKEN = "123456:BENCH"
#: Telegram's update ids only grow: new ones start above the generated history's.
FIRST_UPDATE_ID = 10_000_000


def start_runtime(dep: Deployment, clock: Clock) -> Runtime:
    """The runtime as `duban run` starts it: the last good table, the file applied if new."""
    store = Store.open(dep.db)
    try:
        version, good = last_good(store, dep.config)
        outcome = apply(
            store, validate(dep.config), good, version, store.record(), clock.now(),
            actor="start", confirmed=True,
        )  # fmt: skip
    finally:
        store.close()
    catalogue = outcome.catalogue if outcome.applied else good
    assert catalogue is not None
    return Runtime(
        dep.config, dep.db, clock, catalogue, outcome.version if outcome.applied else version
    )


class Stamps:
    """When updates started being handled and when the bot's requests left (perf_counter)."""

    def __init__(self) -> None:
        self.requests: list[tuple[float, str]] = []
        self.updates: list[float] = []

    def first_request_after(self, t0: float, skip: tuple[str, ...] = ("getUpdates",)) -> float:
        """Seconds from t0 to the first request (other than `skip`) made after it."""
        for t, method in self.requests:
            if t >= t0 and method not in skip:
                return t - t0
        return float("nan")


def _method(url: str) -> str:
    return url.rsplit("/", 1)[-1]


class TimingRequest(InProcessRequest):
    """InProcessRequest that notes when each request leaves the bot."""

    def __init__(self, emulator: Emulator, stamps: Stamps) -> None:
        super().__init__(emulator)
        self.stamps = stamps

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        self.stamps.requests.append((time.perf_counter(), _method(url)))
        return await super().do_request(url, method, request_data, *args, **kw)


class TimingHttpRequest(RetryingRequest):
    """The production transport, noting when each request leaves the bot."""

    def __init__(self, stamps: Stamps, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stamps = stamps

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any, **kw: Any
    ) -> tuple[int, bytes]:
        self.stamps.requests.append((time.perf_counter(), _method(url)))
        return await super().do_request(url, method, request_data, *args, **kw)


def _timed_process_update(duban: Duban, stamps: Stamps) -> None:
    """Stamp each update as `process_update` gets it (the inbox queue has already written it)."""
    app: Any = duban.app
    inner = app.process_update

    async def process_update(update: object) -> None:
        stamps.updates.append(time.perf_counter())
        await inner(update)

    app.process_update = process_update


def add_users(emu: Emulator, dep: Deployment, runtime: Runtime) -> dict[str, int]:
    """Every member of the deployment as an emulator user who has started the bot."""
    chats = chat_ids(runtime.catalogue)
    for member, user in chats.items():
        emu.add_user(user, runtime.member_name(member)).started = True
    return chats


def prompts(runtime: Runtime, contacts: list[str], tag: str) -> list[Due]:
    """One check-in per contact about an open task of their bureau (to press and answer)."""
    cat, record, now = runtime.catalogue, runtime.record, runtime.now()
    out = []
    for n, member in enumerate(contacts):
        contact = cat.contact(member)
        tasks = [t for t in cat.tasks_of(contact.bureau_id) if not record.closed(t.id)]
        task = tasks[n % len(tasks)]
        out.append(
            Due(
                key=f"checkin:{task.id}:{tag}:{member}", kind=Kind.CHECKIN, recipient=member,
                slot=now, task_id=task.id, bureau_id=contact.bureau_id,
                milestone=task.deadline.due,
            )
        )  # fmt: skip
    return out


class Rig:
    """The bot and the emulator in this event loop (see the module docstring)."""

    def __init__(
        self, dep: Deployment, clock: Clock, *, pace: bool = True, limits: Limits | None = None
    ) -> None:
        self.dep = dep
        self.emu = Emulator(TOKEN, limits=limits)
        self.emu.update_ids = itertools.count(FIRST_UPDATE_ID)
        self.stamps = Stamps()
        self.runtime = start_runtime(dep, clock)
        self.chats = add_users(self.emu, dep, self.runtime)
        self.duban = Duban(
            self.runtime,
            TOKEN,
            tick_seconds=3600,
            watch=False,
            request=TimingRequest(self.emu, self.stamps),
            updates_request=InProcessRequest(self.emu),
            pace=pace,
        )
        _timed_process_update(self.duban, self.stamps)
        self.app: Any = self.duban.app
        self._offset = 0

    async def start(self) -> None:
        await self.app.initialize()
        await self.duban._post_init(self.app)

    async def stop(self) -> None:
        await self.duban.engine.settle()
        await self.app.shutdown()
        self.runtime.close()
        self.duban.inbox.close()
        await self.emu.stop()

    async def pump(self) -> list[float]:
        """Fetch and handle what users sent, as the poller does; each update's handling time
        inside the bot (process_update to its first answer request)."""
        out = []
        queue = self.app.update_queue
        while True:
            updates = await self.app.bot.get_updates(offset=self._offset, timeout=0)
            if not updates:
                return out
            for update in updates:
                self._offset = update.update_id + 1
                await queue.put(update)
            while not queue.empty():
                mark = len(self.stamps.updates)
                await self.app.process_update(queue.get_nowait())
                t0 = self.stamps.updates[mark]
                out.append(self.stamps.first_request_after(t0))

    async def send_prompts(self, contacts: list[str], tag: str) -> dict[str, dict[str, Any]]:
        """A check-in to each contact, through the outbox and the engine; contact -> the
        message as their chat shows it."""
        rt = self.runtime
        due = prompts(rt, contacts, tag)
        messages = compose_messages(rt.world(), rt.record, due)
        await rt.write(Store.outbox_add, messages, rt.now())
        await self.duban.engine.flush()
        out = {}
        for d in due:
            chat = self.chats[d.recipient]
            out[d.recipient] = next(
                m
                for m in reversed(self.emu.bot_messages(chat))
                if d.task_id and "reply_markup" in m
            )
        return out


async def run_with(rig: Rig, body: Callable[[Rig], Awaitable[Any]]) -> Any:
    """Start the rig, run `body`, stop it whatever happens."""
    await rig.start()
    try:
        return await body(rig)
    finally:
        await rig.stop()


class TimedEmulator(Emulator):
    """The emulator noting when a user acts and when the bot's answer arrives (perf_counter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acted: dict[int | str, float] = {}  # update id, callback query id -> when
        self.answered: dict[str, float] = {}  # callback query id -> when it was answered
        self.replied: dict[int, float] = {}  # chat -> when the bot last sent to it
        self.on_answer: Callable[[], None] = lambda: None

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        t = time.perf_counter()
        update = super()._push_update(kind, payload)
        self.acted[update["update_id"]] = t
        if kind == "callback_query":
            self.acted[str(payload["id"])] = t
        return update

    async def m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        self.answered[str(p.get("callback_query_id"))] = time.perf_counter()
        result = await super().m_answerCallbackQuery(p)
        self.on_answer()
        return result

    async def m_sendMessage(self, p: dict[str, Any]) -> Any:
        result = await super().m_sendMessage(p)
        self.replied[int(p["chat_id"])] = time.perf_counter()
        self.on_answer()
        return result


class EmulatorServer:
    """A TimedEmulator over HTTP on its own event loop in a daemon thread."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.emu: TimedEmulator | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="bench-emulator", daemon=True)

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(20):
            raise RuntimeError("the emulator did not start")
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            self.emu = TimedEmulator(TOKEN, **self.options)
            self.emu.update_ids = itertools.count(FIRST_UPDATE_ID)
            self.port = await self.emu.start("127.0.0.1", 0)
            self.loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            await self._stop.wait()
            await self.emu.stop()

        asyncio.run(main())

    async def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the emulator's loop (its state belongs to that thread)."""
        assert self.loop is not None

        async def inner() -> Any:
            return fn()

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(inner(), self.loop))

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def shanghai(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()


__all__ = ["EmulatorServer", "Path", "Rig", "Stamps", "TimedEmulator", "run_with"]
