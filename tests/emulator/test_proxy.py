"""The flapping proxy: real refused connections in front of the emulator, never a request
cut in flight; and the real PTB Bot (HTTPXRequest) sees what it would see on a bad network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import telegram
from telegram.error import NetworkError

from bot.emulator.client import EmulatorClient
from bot.emulator.proxy import FlappingProxy, HttpFraming
from bot.emulator.server import DEFAULT_TOKEN, Emulator, Faults, Limits
from bot.emulator.thread import EmulatorThread

TOKEN = DEFAULT_TOKEN
USER = 501


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Setup:
    emulator: Emulator
    proxy: FlappingProxy

    def bot(self) -> telegram.Bot:
        return telegram.Bot(TOKEN, base_url=f"http://127.0.0.1:{self.proxy.port}/bot")


@pytest.fixture
async def held() -> AsyncIterator[Setup]:
    """The emulator behind a proxy that moves only when the test holds it down or up."""
    emulator = Emulator(TOKEN, limits=Limits(enabled=False))
    emulator.add_user(USER, "张三").started = True
    proxy = FlappingProxy(await emulator.start())
    await proxy.start(schedule=False)
    yield Setup(emulator, proxy)
    await proxy.stop()
    await emulator.stop()


def test_framing_counts_requests_and_responses() -> None:
    requests = HttpFraming(responses=False)
    requests.feed(b"POST /a HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
    assert (requests.started, requests.done) == (1, 0)  # in the middle of its body
    requests.feed(b"cdeGET /b HTTP/1.1\r\nHost: x\r\n\r\n")  # the rest, then a GET
    assert (requests.started, requests.done) == (2, 2)
    responses = HttpFraming(responses=True)
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"
    responses.feed(chunked)
    assert (responses.started, responses.done) == (1, 0)
    responses.feed(b"0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
    assert (responses.started, responses.done) == (2, 2)
    for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":  # one byte at a time
        responses.feed(bytes([byte]))
    assert (responses.started, responses.done) == (3, 3)


async def test_down_refuses_connections_and_the_bot_sees_connect_error(held: Setup) -> None:
    async with held.bot() as bot:  # getMe: a keep-alive connection now sits in the pool
        await held.proxy.hold(True)
        assert held.proxy.stats["closed_idle"] == 1  # so the next request must connect
        with pytest.raises(NetworkError) as err:
            await bot.send_message(USER, "提醒")
        assert isinstance(err.value.__cause__, httpx.ConnectError)
        assert held.emulator.requests["sendMessage"] == 0  # it never reached the server
        await held.proxy.hold(False)
        assert (await bot.send_message(USER, "重发")).text == "重发"
    assert [m["text"] for m in held.emulator.bot_messages(USER)] == ["重发"]


async def test_a_long_poll_in_flight_survives_a_down_window(held: Setup) -> None:
    async with held.bot() as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await held.emulator.wait_update(10)  # a poll arriving wakes the one before it
        assert held.emulator.requests["getUpdates"] == 1  # the poll is at the server
        await held.proxy.hold(True)  # closes getMe's idle connection, not the poll's
        assert held.proxy.stats["closed_idle"] == 1
        assert len(held.proxy.links) == 1
        held.emulator.user_message(USER, "进度60%")
        updates = await poll
        assert [u.message.text for u in updates if u.message] == ["进度60%"]
        # the poll's connection is idle now and the proxy is still down: it goes
        await held.proxy.sync(grace=0.0)
        assert held.proxy.stats["closed_idle"] == 2
        assert not held.proxy.links
        await held.proxy.hold(False)


async def test_the_duty_cycle_refuses_its_share_of_connection_attempts() -> None:
    """Down for the last 20% of each period: 20 of 100 evenly spread attempts refused."""
    emulator = Emulator(TOKEN)
    clock = Clock()
    proxy = FlappingProxy(await emulator.start(), down_share=0.2, period=1.0, clock=clock)
    port = await proxy.start(schedule=False)
    outcomes = []
    for k in range(100):
        clock.now = k * 0.05  # five periods, twenty attempts each
        await proxy.sync()
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except ConnectionRefusedError:
            outcomes.append("refused")
            continue
        writer.close()
        await writer.wait_closed()
        outcomes.append("connected")
    await proxy.stop()
    await emulator.stop()
    assert outcomes.count("refused") == 20
    assert outcomes[:20] == ["connected"] * 16 + ["refused"] * 4  # the end of each period


async def test_refuse_rate_from_the_control_api_flaps_the_proxy() -> None:
    """Over HTTP as the e2e tests run it: the emulator in a thread with its proxy, the
    control client setting refuse_rate, the real PTB Bot retrying failed sends. Every
    message arrives exactly once, in order: a request that failed never reached the server.

    Most failures are refused connections; a few may be a kept-alive connection closed
    at the moment the client reused it (ReadError/RemoteProtocolError: the keep-alive race
    any HTTP client meets), never a request cut after it was forwarded."""
    thread = EmulatorThread(TOKEN, proxy=True, proxy_period=0.05)
    client = EmulatorClient(await asyncio.to_thread(thread.start))
    failures: list[type[BaseException]] = []
    try:
        await asyncio.to_thread(client.add_user, USER, "张三")
        await asyncio.to_thread(client.start, USER)
        await asyncio.to_thread(client.set_limits, enabled=False)
        sent = 0
        async with telegram.Bot(TOKEN, base_url=f"{thread.proxy_url}/bot") as bot:
            await asyncio.to_thread(client.set_faults, refuse_rate=0.3)
            refused = 0
            while (sent < 30 or refused < 3) and sent + len(failures) < 5000:
                try:
                    await bot.send_message(USER, f"m{sent}")
                    sent += 1
                except NetworkError as err:
                    assert err.__cause__ is not None
                    failures.append(type(err.__cause__))
                    refused += isinstance(err.__cause__, httpx.ConnectError)
        texts = [m["text"] for m in await asyncio.to_thread(client.bot_messages, USER)]
        stats = await asyncio.to_thread(client.stats)
    finally:
        await asyncio.to_thread(thread.stop)
    assert failures.count(httpx.ConnectError) >= 3
    assert set(failures) <= {httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError}
    assert texts == [f"m{i}" for i in range(sent)]
    assert stats["requests"]["sendMessage"] == sent


async def test_refuse_rate_is_a_fault_like_the_others() -> None:
    faults = Faults(refuse_rate=0.2)
    emulator = Emulator(TOKEN, faults=faults)
    proxy = FlappingProxy(0, down_share=lambda: emulator.faults.refuse_rate)
    assert proxy.share() == 0.2
    emulator.set_faults(Faults())
    assert proxy.share() == 0.0 and not proxy.down_at(0.99)
