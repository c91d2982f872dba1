"""The new server faults over HTTP with PTB's own HTTPXRequest, and the send log a
benchmark reads to judge pacing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import telegram
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.emulator.client import EmulatorClient
from bot.emulator.inprocess import InProcessRequest
from bot.emulator.pacing import max_in_window, summary
from bot.emulator.server import DEFAULT_TOKEN, Emulator, Faults, Limits

TOKEN = DEFAULT_TOKEN
USER = 501
GROUP = -100


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def served() -> AsyncIterator[tuple[Emulator, telegram.Bot]]:
    """An emulator serving HTTP in this loop and a PTB Bot with its default HTTPXRequest."""
    emulator = Emulator(TOKEN)
    emulator.add_user(USER, "张三").started = True
    port = await emulator.start()
    async with telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot") as bot:
        yield emulator, bot
    await emulator.stop()


async def test_late_over_http_stores_the_message_the_client_timed_out_on(
    served: tuple[Emulator, telegram.Bot],
) -> None:
    emulator, bot = served
    emulator.set_faults(Faults(late_rate=1.0, late_seconds=0.5))
    with pytest.raises(TimedOut) as err:
        await bot.send_message(USER, "节点提醒", read_timeout=0.1)
    assert type(err.value.__cause__) is httpx.ReadTimeout
    assert [m["text"] for m in emulator.bot_messages(USER)] == ["节点提醒"]


async def test_delay_over_http_holds_the_request_before_carrying_it_out(
    served: tuple[Emulator, telegram.Bot],
) -> None:
    emulator, bot = served
    emulator.set_faults(Faults(delay_rate=1.0, delay_seconds=0.5))
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "节点提醒", read_timeout=0.1)
    assert emulator.bot_messages(USER) == []  # not yet: it is still being held
    assert [m["text"] for m in await emulator.wait_for(USER, 1)] == ["节点提醒"]


async def test_a_dropped_connection_is_a_remote_protocol_error(
    served: tuple[Emulator, telegram.Bot],
) -> None:
    emulator, bot = served
    emulator.set_faults(Faults(drop_rate=1.0))
    with pytest.raises(NetworkError) as err:
        await bot.send_message(USER, "x")
    assert type(err.value.__cause__) is httpx.RemoteProtocolError


async def test_the_send_log_records_each_send_and_429_on_the_emulators_clock() -> None:
    clock = Clock()
    emulator = Emulator(TOKEN, limits=Limits(), clock=clock)
    emulator.add_user(USER, "张三").started = True
    emulator.add_group(GROUP, "群", [USER])
    async with telegram.Bot(TOKEN, request=InProcessRequest(emulator)) as bot:
        for _ in range(6):  # a burst of five passes, the sixth is refused
            with contextlib.suppress(RetryAfter):
                await bot.send_message(USER, "x")
        clock.now += 1.0
        await bot.send_message(USER, "y")
        await bot.send_document(GROUP, b"x", filename="a.txt")
        await bot.send_chat_action(USER, "typing")  # not a message: not in the log
    await emulator.stop()
    assert [(s["chat_id"], s["method"], s["t"], s["ok"]) for s in emulator.sends] == [
        *[(USER, "sendMessage", 100.0, True)] * 5,
        (USER, "sendMessage", 100.0, False),
        (USER, "sendMessage", 101.0, True),
        (GROUP, "sendDocument", 101.0, True),
    ]
    report = summary(emulator.sends)
    assert report["count"] == 7 and report["span"] == 1.0 and report["rate"] == 6.0
    assert report["max_per_second"] == 5
    assert report["chats"][USER] == {"count": 6, "max_per_second": 5, "max_per_minute": 6}


def test_max_in_window() -> None:
    assert max_in_window([], 1.0) == 0
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 5.0], 1.0) == 4  # [0.5, 1.5)
    assert max_in_window([0.0, 1.0, 2.0], 1.0) == 1


async def test_sends_and_pacing_over_the_control_api(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(client.add_user, USER, "张三")
    await asyncio.to_thread(client.start, USER)
    async with telegram.Bot(TOKEN, base_url=f"{base}/bot") as bot:
        for i in range(3):
            await bot.send_message(USER, f"m{i}")
    sends = await asyncio.to_thread(client.sends, USER)
    assert [(s["method"], s["ok"]) for s in sends] == [("sendMessage", True)] * 3
    assert await asyncio.to_thread(client.sends, 4242) == []
    later = await asyncio.to_thread(client.sends, None, sends[-1]["t"])
    assert later == [sends[-1]]
    pacing = await asyncio.to_thread(client.pacing)
    assert pacing["count"] == 3 and pacing["chats"][str(USER)]["count"] == 3
