"""Webhooks like Telegram's: setWebhook's checks, each update POSTed with the secret
token header, one at a time in order, retried until the webhook answers 2xx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from bot.emulator.inprocess import InProcessRequest
from bot.emulator.server import DEFAULT_TOKEN, Emulator

TOKEN = DEFAULT_TOKEN
USER = 501
SECRET = "duban_Secret-2024"


@dataclass
class Receiver:
    """A webhook endpoint: answers 500 to the first `failures` POSTs, then 200."""

    failures: int = 0
    posts: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        update = json.loads(await request.read())
        self.posts.append((secret, update))
        self.changed.set()
        if len(self.posts) <= self.failures:
            return web.Response(status=500)
        self.accepted.append(update)
        return web.Response(status=200)

    async def until(self, count: int) -> None:
        """Wait until `count` updates were accepted."""
        while len(self.accepted) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 10)


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(TOKEN, allow_http_webhooks=True, webhook_backoff=(0.01, 0.05))
    emulator.add_user(USER, "张三")
    yield emulator
    await emulator.stop()


async def serve(receiver: Receiver) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    return runner


def bot(emulator: Emulator) -> telegram.Bot:
    return telegram.Bot(
        TOKEN,
        request=InProcessRequest(emulator),
        get_updates_request=InProcessRequest(emulator),
    )


async def test_updates_arrive_in_order_with_the_secret_header(emu: Emulator) -> None:
    receiver = Receiver()
    runner = await serve(receiver)
    async with bot(emu) as b:
        assert await b.set_webhook(receiver.url, secret_token=SECRET)
        emu.user_start(USER)
        emu.user_message(USER, "进度60%")
        await receiver.until(2)
        assert [s for s, _ in receiver.posts] == [SECRET, SECRET]
        texts = [u["message"]["text"] for u in receiver.accepted]
        assert texts == ["/start", "进度60%"]
        assert receiver.accepted[0]["update_id"] < receiver.accepted[1]["update_id"]
        # each body is an Update PTB reads
        user = telegram.Update.de_json(receiver.accepted[1], b).effective_user
        assert user is not None and user.id == USER
        info = await b.get_webhook_info()
        assert info.url == receiver.url and info.pending_update_count == 0
        assert info.last_error_date is None
        with pytest.raises(Conflict, match="webhook is active"):
            await b.get_updates()
    await runner.cleanup()


async def test_a_failing_webhook_gets_the_same_update_until_it_takes_it(emu: Emulator) -> None:
    receiver = Receiver(failures=2)
    runner = await serve(receiver)
    async with bot(emu) as b:
        await b.set_webhook(receiver.url, secret_token=SECRET)
        emu.user_message(USER, "第一条")
        emu.user_message(USER, "第二条")
        await receiver.until(2)
        info = await b.get_webhook_info()
    await runner.cleanup()
    posted = [u["message"]["text"] for _, u in receiver.posts]
    assert posted == ["第一条", "第一条", "第一条", "第二条"]  # retried, never reordered
    assert [u["message"]["text"] for u in receiver.accepted] == ["第一条", "第二条"]
    assert info.pending_update_count == 0
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
    assert info.last_error_date is not None
    assert emu.stats()["errors"]["webhook"] == 2


async def test_an_unreachable_webhook_keeps_the_update_pending(emu: Emulator) -> None:
    receiver = Receiver()
    runner = await serve(receiver)
    url = receiver.url
    await runner.cleanup()  # nobody listens there any more
    async with bot(emu) as b:
        await b.set_webhook(url)
        emu.user_message(USER, "有人吗")
        for _ in range(500):
            if emu.webhook_error is not None:
                break
            await asyncio.sleep(0.01)
        info = await b.get_webhook_info()
        assert info.pending_update_count == 1
        assert info.last_error_message == "Connection refused"
        # deleteWebhook stops the pusher; the update waits for getUpdates
        assert await b.delete_webhook()
        updates = await b.get_updates()
        assert [u.message.text for u in updates if u.message] == ["有人吗"]


@pytest.mark.parametrize(
    ("url", "secret", "description"),
    [
        ("https://example.org/hook", "bad secret!", "secret token contains unallowed characters"),
        ("https://example.org/hook", "s" * 257, "secret token contains unallowed characters"),
        ("http://example.org/hook", "", "An HTTPS URL must be provided for webhook"),
        ("https://example.org:8080/hook", "", "only on ports 80, 88, 443 or 8443"),
    ],
)
async def test_set_webhook_refuses_what_telegram_refuses(
    emu: Emulator, url: str, secret: str, description: str
) -> None:
    async with bot(emu) as b:
        with pytest.raises(BadRequest, match=f"(?i){description}"):
            await b.set_webhook(url, secret_token=secret or None)
        assert (await b.get_webhook_info()).url == ""
        assert await b.set_webhook("https://example.org:8443/hook", secret_token="s" * 256)
    assert emu.webhook == "https://example.org:8443/hook"


async def test_http_webhooks_only_with_the_flag() -> None:
    strict = Emulator(TOKEN)
    async with bot(strict) as b:
        with pytest.raises(BadRequest, match=r"(?i)an HTTPS URL must be provided"):
            await b.set_webhook("http://127.0.0.1:8443/hook")
    await strict.stop()


async def test_setting_a_webhook_ends_a_pending_long_poll(emu: Emulator) -> None:
    async with bot(emu) as b:
        poll = asyncio.create_task(b.get_updates(timeout=30))
        await emu.wait_update(10)  # the poll has arrived
        await b.set_webhook("https://example.org/hook")
        with pytest.raises(Conflict, match=r"(?i)terminated by setWebhook request"):
            await poll
