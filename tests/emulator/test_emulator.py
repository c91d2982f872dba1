"""The emulator answers like Telegram: each rule checked against the Bot API's documented
behaviour, over plain HTTP and through python-telegram-bot itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter

from bot.emulator.client import EmulatorClient, EmulatorError
from bot.emulator.server import DEFAULT_TOKEN, Emulator, Faults, Limits, parse_markdown

TOKEN = DEFAULT_TOKEN
USER = 501
GROUP = -100


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Local:
    """An emulator on the test's event loop, its clock, and an HTTP session to it."""

    emulator: Emulator
    clock: Clock
    session: aiohttp.ClientSession
    base: str

    async def call(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        """A Bot API call with a JSON body: (HTTP status, answer)."""
        async with self.session.post(f"{self.base}/bot{TOKEN}/{method}", json=params) as response:
            return response.status, await response.json()


@pytest.fixture
async def local() -> AsyncIterator[Local]:
    """An emulator in this test's event loop with a fake clock (Telegram's limits on)."""
    clock = Clock()
    emulator = Emulator(TOKEN, limits=Limits(), clock=clock)
    port = await emulator.start()
    async with aiohttp.ClientSession() as session:
        yield Local(emulator, clock, session, f"http://127.0.0.1:{port}")
    await emulator.stop()


def call(base: str, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call with a JSON body, as any client would make it."""
    request = urllib.request.Request(
        f"{base}/bot{TOKEN}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    return _open(request)


def call_form(base: str, method: str, **params: str) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call with a form-encoded body (JSON-valued fields as strings)."""
    request = urllib.request.Request(
        f"{base}/bot{TOKEN}/{method}", data=urllib.parse.urlencode(params).encode()
    )
    return _open(request)


def _open(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def started(client: EmulatorClient, user: int = USER) -> None:
    client.add_user(user, "张三", username=f"u{user}")
    client.send(user, "/start")


def keyboard(*data: str) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": d, "callback_data": d} for d in data]]}


def bot(base: str) -> telegram.Bot:
    return telegram.Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


def kinds(updates: list[dict[str, Any]]) -> list[str]:
    return [next(k for k in u if k != "update_id") for u in updates]


# -- the HTTP surface


def test_get_me_wrong_token_unknown_method(api: tuple[str, EmulatorClient]) -> None:
    base, _ = api
    code, body = call(base, "getMe")
    assert code == 200 and body["ok"] and body["result"]["is_bot"]
    assert body["result"]["id"] == int(TOKEN.split(":")[0])
    request = urllib.request.Request(f"{base}/bot999:WRONG/getMe", data=b"{}")
    assert _open(request) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert call(base, "sendTelepathy") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert call(base, "getme")[0] == 200  # method names are case-insensitive


def test_form_body_with_json_valued_fields(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    code, body = call_form(
        base,
        "sendMessage",
        chat_id=str(USER),
        text="<i>表单</i>",
        parse_mode="HTML",
        reply_markup=json.dumps(keyboard("a:1")),
        disable_notification="true",
        link_preview_options=json.dumps({"is_disabled": True}),
    )
    assert code == 200
    result = body["result"]
    assert result["reply_markup"] == keyboard("a:1")
    assert result["link_preview_options"] == {"is_disabled": True}
    stored = client.bot_messages(USER)[-1]
    assert stored["disable_notification"] is True and stored["text"] == "表单"


# -- the text rules


def test_text_limits_4096_visible_characters(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    client.set_limits(enabled=False)
    assert call(base, "sendMessage", chat_id=USER, text="字" * 4096)[0] == 200
    code, body = call(base, "sendMessage", chat_id=USER, text="字" * 4097)
    assert (code, body["description"]) == (400, "Bad Request: message is too long")
    # tags do not count: "<b>x</b>" is one character, an entity like &amp; is one
    html = "<b>" + "x" * 4095 + "&amp;</b>"
    assert call(base, "sendMessage", chat_id=USER, text=html, parse_mode="HTML")[0] == 200
    html = "<b>" + "x" * 4096 + "&amp;</b>"
    assert call(base, "sendMessage", chat_id=USER, text=html, parse_mode="HTML")[0] == 400
    # an emoji outside the BMP is two UTF-16 code units
    assert call(base, "sendMessage", chat_id=USER, text="😀" * 2048)[0] == 200
    assert call(base, "sendMessage", chat_id=USER, text="😀" * 2049)[0] == 400
    for empty in ("", "  \n", "<b> </b>"):
        code, body = call(base, "sendMessage", chat_id=USER, text=empty, parse_mode="HTML")
        assert (code, body["description"]) == (400, "Bad Request: message text is empty")


def test_html_must_parse(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    ok = call(
        base, "sendMessage", chat_id=USER, text="<b>任务 7</b>：&lt;蓝天&gt;", parse_mode="HTML"
    )
    assert ok[0] == 200 and ok[1]["result"]["text"] == "任务 7：<蓝天>"
    assert ok[1]["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    link = '<a href="https://example.org/?a=1&amp;b=2">链接</a> <tg-spoiler>密</tg-spoiler>'
    ok = call(base, "sendMessage", chat_id=USER, text=link, parse_mode="HTML")
    assert ok[1]["result"]["entities"][0]["url"] == "https://example.org/?a=1&b=2"
    for bad in ("a < b", "<b>unclosed", "<foo>x</foo>", "<b>x</i>", "R&D", "<br>"):
        code, body = call(base, "sendMessage", chat_id=USER, text=bad, parse_mode="HTML")
        assert code == 400, bad
        assert body["description"].startswith("Bad Request: can't parse entities: "), bad
    # without parse_mode the same text is fine; an unknown parse_mode is not
    assert call(base, "sendMessage", chat_id=USER, text="a < b")[0] == 200
    code, body = call(base, "sendMessage", chat_id=USER, text="x", parse_mode="BBCode")
    assert (code, body["description"]) == (400, "Bad Request: unsupported parse_mode")


def test_markdown_v2() -> None:
    text, entities = parse_markdown("*粗* _斜_ __下__ ~删~ ||隐|| `x\\`y` [链](https://a.b/c\\)d)")
    assert text == "粗 斜 下 删 隐 x`y 链"
    assert [e["type"] for e in entities] == [
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    assert entities[-1]["url"] == "https://a.b/c)d"
    assert parse_markdown("第 1\\.5 项\\!") == ("第 1.5 项!", [])
    assert parse_markdown("```python\nprint(1)\n```")[1] == [
        {"type": "pre", "offset": 0, "length": 9, "language": "python"}
    ]
    assert parse_markdown(">引用\n>两行\n正文")[1] == [
        {"type": "blockquote", "offset": 0, "length": 5}
    ]
    with pytest.raises(ValueError, match=r"Character '\.' is reserved"):
        parse_markdown("1.5")
    with pytest.raises(ValueError, match="Can't find end of Bold entity at byte offset 0"):
        parse_markdown("*粗")
    with pytest.raises(ValueError, match="Can't find end of Code entity"):
        parse_markdown("`x")
    # the old Markdown has no reserved characters
    assert parse_markdown("1.5 *b*", legacy=True) == (
        "1.5 b",
        [{"type": "bold", "offset": 4, "length": 1}],
    )


def test_markdown_v2_over_http(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    ok = call(base, "sendMessage", chat_id=USER, text="*进度* 50\\%", parse_mode="MarkdownV2")
    assert ok[0] == 200 and ok[1]["result"]["text"] == "进度 50%"
    code, body = call(base, "sendMessage", chat_id=USER, text="进度 50%.", parse_mode="MarkdownV2")
    assert code == 400 and "is reserved and must be escaped" in body["description"]


def test_callback_data_is_1_to_64_bytes(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    assert (
        call(base, "sendMessage", chat_id=USER, text="ok", reply_markup=keyboard("a" * 64))[0]
        == 200
    )
    for data in ("a" * 65, "任" * 22):  # 65 bytes; 66 bytes (3 a character)
        code, body = call(base, "sendMessage", chat_id=USER, text="no", reply_markup=keyboard(data))
        assert (code, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")
    plain = {"inline_keyboard": [[{"text": "只有字"}]]}
    assert call(base, "sendMessage", chat_id=USER, text="no", reply_markup=plain)[0] == 400


async def test_caption_limit_1024(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(started, client)
    await asyncio.to_thread(client.set_limits, enabled=False)
    async with bot(base) as b:
        sent = await b.send_document(USER, b"x", filename="a.txt", caption="说" * 1024)
        assert sent.caption == "说" * 1024
        with pytest.raises(BadRequest, match="caption is too long"):
            await b.send_document(USER, b"x", filename="a.txt", caption="说" * 1025)


# -- who can be written to


def test_a_user_who_never_started_or_blocked_gives_403(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    code, body = call(base, "sendMessage", chat_id=USER, text="hi")
    assert (code, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    client.send(USER, "你好")  # any message starts the chat
    assert call(base, "sendMessage", chat_id=USER, text="hi")[0] == 200
    client.block(USER)
    code, body = call(base, "sendMessage", chat_id=USER, text="hi")
    assert (code, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    client.unblock(USER)
    assert call(base, "sendMessage", chat_id=USER, text="hi")[0] == 200
    code, body = call(base, "sendMessage", chat_id=424242, text="hi")
    assert (code, body["description"]) == (400, "Bad Request: chat not found")
    assert client.stats()["errors"]["403"] == 2
    # blocking and unblocking reach the bot as my_chat_member updates
    members = [u["my_chat_member"] for u in client.updates() if "my_chat_member" in u]
    assert [m["new_chat_member"]["status"] for m in members] == ["kicked", "member"]


# -- flood limits


def test_a_burst_of_100_to_one_chat_draws_429_with_retry_after(
    api: tuple[str, EmulatorClient],
) -> None:
    base, client = api
    started(client)
    answers = [call(base, "sendMessage", chat_id=USER, text=f"m{i}") for i in range(100)]
    limited = [body for code, body in answers if code == 429]
    assert 0 < len(answers) - len(limited) <= 6  # a short burst passes
    assert limited and all(b["parameters"]["retry_after"] >= 1 for b in limited)
    assert limited[0]["description"] == (
        f"Too Many Requests: retry after {limited[0]['parameters']['retry_after']}"
    )
    # refused messages take no message id: the chat's ids have no gaps
    ids = [m["message_id"] for m in client.chat(USER)]
    assert ids == list(range(1, len(ids) + 1))


def test_more_than_30_a_second_overall_draws_429(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    users = range(1000, 1040)
    for u in users:
        started(client, u)
    codes = [call(base, "sendMessage", chat_id=u, text="hi")[0] for u in users]
    assert codes.count(200) <= 30 and 429 in codes


def test_more_than_20_a_minute_to_a_group_draws_429(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_group(GROUP, "生态环境局工作群", [USER])
    codes = [call(base, "sendMessage", chat_id=GROUP, text=f"通知 {i}")[0] for i in range(22)]
    assert codes[:20] == [200] * 20 and codes[20:] == [429, 429]
    client.set_limits(enabled=False)
    assert call(base, "sendMessage", chat_id=GROUP, text="no limits")[0] == 200


async def test_limits_follow_the_clock(local: Local) -> None:
    """The windows move with the emulator's clock: no sleeping."""
    local.emulator.add_group(GROUP, "群", [USER])
    for _ in range(20):
        assert (await local.call("sendMessage", chat_id=GROUP, text="x"))[0] == 200
        local.clock.advance(1.0)
    code, body = await local.call("sendMessage", chat_id=GROUP, text="x")
    assert code == 429 and body["parameters"]["retry_after"] == 40  # the first left 20 s ago
    local.clock.advance(40.0)
    assert (await local.call("sendMessage", chat_id=GROUP, text="x"))[0] == 200

    local.emulator.add_user(USER, "张三").started = True
    burst = [(await local.call("sendMessage", chat_id=USER, text="x"))[0] for _ in range(6)]
    assert burst == [200] * 5 + [429]
    local.clock.advance(1.0)  # one message a second refills
    assert (await local.call("sendMessage", chat_id=USER, text="x"))[0] == 200
    assert (await local.call("sendMessage", chat_id=USER, text="x"))[0] == 429

    local.clock.advance(10.0)
    for u in range(2000, 2031):
        local.emulator.add_user(u, "u").started = True
    codes = [(await local.call("sendMessage", chat_id=u, text="x"))[0] for u in range(2000, 2031)]
    assert codes == [200] * 30 + [429]
    local.clock.advance(1.0)
    assert (await local.call("sendMessage", chat_id=2030, text="x"))[0] == 200


async def test_reset_restores_the_limits_given_at_construction() -> None:
    emulator = Emulator(TOKEN, limits=Limits(enabled=False), faults=Faults(error_rate=0.5))
    emulator.set_limits(Limits())
    emulator.reset()
    assert emulator.limits == Limits(enabled=False) and emulator.faults.error_rate == 0.5


# -- editing


def test_edit_not_modified_and_not_found(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    _, sent = call(base, "sendMessage", chat_id=USER, text="第 1 页", reply_markup=keyboard("p:2"))
    mid = sent["result"]["message_id"]
    edit = {"chat_id": USER, "message_id": mid, "text": "第 2 页", "reply_markup": keyboard("p:1")}
    assert call(base, "editMessageText", **edit)[0] == 200
    code, body = call(base, "editMessageText", **edit)
    assert code == 400 and body["description"].startswith("Bad Request: message is not modified")
    # the same text in bold is a change (entities differ); the same markup is not
    assert (
        call(base, "editMessageText", **{**edit, "text": "<b>第 2 页</b>", "parse_mode": "HTML"})[0]
        == 200
    )
    markup = {"chat_id": USER, "message_id": mid, "reply_markup": keyboard("p:1")}
    assert call(base, "editMessageReplyMarkup", **markup)[0] == 400
    assert call(base, "editMessageReplyMarkup", chat_id=USER, message_id=mid)[0] == 200
    code, body = call(base, "editMessageText", chat_id=USER, message_id=999, text="x")
    assert (code, body["description"]) == (400, "Bad Request: message to edit not found")
    last = client.bot_messages(USER)[-1]
    assert last["text"] == "第 2 页" and "reply_markup" not in last and last["edit_date"]


# -- getUpdates


def test_long_polling_offset_and_allowed_updates(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    t0 = time.monotonic()
    _, body = call(base, "getUpdates", timeout=1)
    assert body["result"] == [] and time.monotonic() - t0 >= 0.9  # waited for the timeout
    client.start(USER, "c_ab12")
    first = call(base, "getUpdates", timeout=5)[1]["result"]
    assert first[0]["message"]["text"] == "/start c_ab12"
    assert first[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # offset confirms: the update is not delivered again
    assert call(base, "getUpdates", offset=first[-1]["update_id"] + 1)[1]["result"] == []
    _, sent = call(base, "sendMessage", chat_id=USER, text="选择", reply_markup=keyboard("x"))
    client.press(USER, sent["result"]["message_id"], data="x")
    client.send(USER, "hello")
    only = call(
        base, "getUpdates", offset=first[-1]["update_id"] + 1, allowed_updates=["callback_query"]
    )[1]["result"]
    assert kinds(only) == ["callback_query"]
    # the filter stays until the next allowed_updates; an empty list means all again
    assert kinds(call(base, "getUpdates")[1]["result"]) == ["callback_query"]
    assert kinds(call(base, "getUpdates", allowed_updates=[])[1]["result"]) == [
        "callback_query",
        "message",
    ]
    # a negative offset keeps only the last updates
    assert kinds(call(base, "getUpdates", offset=-1)[1]["result"]) == ["message"]


def test_long_poll_returns_when_an_update_arrives(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    timer = threading.Timer(0.3, lambda: client.send(USER, "来了"))
    timer.start()
    t0 = time.monotonic()
    result = call(base, "getUpdates", timeout=10)[1]["result"]
    timer.join()
    assert result and result[0]["message"]["text"] == "来了" and time.monotonic() - t0 < 5


def test_second_poller_and_webhook_give_409(api: tuple[str, EmulatorClient]) -> None:
    base, _ = api
    out: list[tuple[int, dict[str, Any]]] = []
    first = threading.Thread(target=lambda: out.append(call(base, "getUpdates", timeout=5)))
    first.start()
    time.sleep(0.3)
    assert call(base, "getUpdates", timeout=0)[0] == 200  # the newcomer wins
    first.join(10)
    assert out[0] == (
        409,
        {
            "ok": False,
            "error_code": 409,
            "description": "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        },
    )
    assert call(base, "setWebhook", url="https://example.org/hook")[0] == 200
    code, body = call(base, "getUpdates")
    assert code == 409 and body["description"] == (
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
    )
    assert call(base, "getWebhookInfo")[1]["result"]["url"] == "https://example.org/hook"
    assert call(base, "deleteWebhook")[0] == 200 and call(base, "getUpdates")[0] == 200


# -- what users do


def test_user_replies_edits_and_presses_by_label(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    _, sent = call(
        base, "sendMessage", chat_id=USER, text="进度如何？", reply_markup=keyboard("a:o", "a:d")
    )
    mid = sent["result"]["message_id"]
    reply = client.send(USER, "完成 30%", reply_to=mid)
    assert reply["reply_to_message"]["message_id"] == mid
    edited = client.edit(USER, reply["message_id"], "完成 35%")
    assert edited["text"] == "完成 35%" and edited["edit_date"]
    client.press(USER, mid, text="a:d")
    updates = client.updates()
    assert kinds(updates) == ["message", "message", "edited_message", "callback_query"]
    assert updates[-1]["callback_query"]["data"] == "a:d"
    assert [m["text"] for m in client.chat(USER)] == ["/start", "进度如何？", "完成 35%"]
    with pytest.raises(EmulatorError) as err:
        client.press(USER, mid, data="nope")
    assert err.value.status == 404
    with pytest.raises(EmulatorError):
        client.press(999, mid, data="a:o")
    # the bot's own reply to a message the chat does not have
    code, body = call(
        base, "sendMessage", chat_id=USER, text="x", reply_parameters={"message_id": 77}
    )
    assert (code, body["description"]) == (400, "Bad Request: message to be replied not found")


def test_group_privacy_mode(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    client.add_group(GROUP, "工作群", [USER])
    _, notice = call(base, "sendMessage", chat_id=GROUP, text="请回复进度")
    client.send(USER, "大家好", chat_id=GROUP)  # chatter: not for the bot
    client.send(USER, "/status", chat_id=GROUP)
    client.send(USER, "/status@other_bot", chat_id=GROUP)
    client.send(USER, "已完成", chat_id=GROUP, reply_to=notice["result"]["message_id"])
    client.send(USER, "@duban_test_bot 在吗", chat_id=GROUP)
    texts = [u["message"]["text"] for u in client.updates()]
    assert texts == ["/status", "已完成", "@duban_test_bot 在吗"]
    assert len(client.chat(GROUP)) == 6  # the chat itself has everything
    client.add_group(GROUP, "工作群", [USER], privacy=False)
    client.send(USER, "闲聊", chat_id=GROUP)
    assert client.updates()[-1]["message"]["text"] == "闲聊"


def test_wait_returns_when_the_bot_has_written(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    timer = threading.Timer(0.2, lambda: call(base, "sendMessage", chat_id=USER, text="到了"))
    timer.start()
    t0 = time.monotonic()
    messages = client.wait_for(USER, 1, timeout=5)
    timer.join()
    assert [m["text"] for m in messages] == ["到了"] and time.monotonic() - t0 < 3
    assert client.wait_for(USER, 2, timeout=0.2) == messages  # times out with what there is


def test_commands_per_scope_and_language(api: tuple[str, EmulatorClient]) -> None:
    base, _ = api
    zh = [{"command": "status", "description": "分工表总览"}]
    en = [{"command": "status", "description": "Overview"}]
    assert call(base, "setMyCommands", commands=zh, language_code="zh")[0] == 200
    assert call(base, "setMyCommands", commands=en)[0] == 200
    assert call(base, "getMyCommands", language_code="zh")[1]["result"] == zh
    assert call(base, "getMyCommands")[1]["result"] == en
    scope = {"type": "chat", "chat_id": USER}
    assert call(base, "getMyCommands", scope=scope)[1]["result"] == []
    assert call(base, "deleteMyCommands", language_code="zh")[0] == 200
    assert call(base, "getMyCommands", language_code="zh")[1]["result"] == []
    bad = [{"command": "Status!", "description": "x"}]
    assert call(base, "setMyCommands", commands=bad)[1]["description"] == (
        "Bad Request: BOT_COMMAND_INVALID"
    )


# -- faults


def test_fault_injection_share_is_honoured(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.set_faults(error_rate=0.3, seed=42)
    codes = [call(base, "getMe")[0] for _ in range(200)]
    assert 40 <= codes.count(502) <= 80
    assert client.stats()["errors"]["502"] == codes.count(502)
    client.set_faults(error_rate=0.3, seed=42)  # the same seed, the same faults
    assert [call(base, "getMe")[0] for _ in range(200)] == codes
    client.set_faults()
    assert call(base, "getMe")[0] == 200


async def test_dropped_and_delayed_requests(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    async with bot(base) as b:  # (initialising calls getMe)
        await asyncio.to_thread(client.set_faults, drop_rate=1.0)
        with pytest.raises(NetworkError):
            await b.get_chat(USER)
        await asyncio.to_thread(client.set_faults, delay_rate=1.0, delay_seconds=0.3)
        await asyncio.to_thread(client.add_user, USER, "张三")
        t0 = time.monotonic()
        chat = await b.get_chat(USER)
        assert chat.first_name == "张三" and time.monotonic() - t0 >= 0.3
    stats = await asyncio.to_thread(client.stats)
    assert stats["errors"]["dropped"] >= 1 and stats["errors"]["delayed"] == 1


# -- python-telegram-bot reads every answer


async def test_ptb_get_me_keyboard_and_callback_query(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(started, client)
    async with bot(base) as b:
        me = await b.get_me()
        assert me.username == "duban_test_bot" and me.is_bot
        updates = await b.get_updates(timeout=2)
        assert updates[0].message is not None and updates[0].message.text == "/start"
        assert updates[0].message.date.tzinfo == dt.UTC
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("🟢 正常推进", callback_data="a:o")]])
        sent = await b.send_message(USER, "<b>节点提醒</b>", parse_mode="HTML", reply_markup=markup)
        assert sent.text == "节点提醒" and sent.reply_markup == markup
        assert sent.from_user is not None and sent.from_user.is_bot
        await asyncio.to_thread(client.press, USER, sent.message_id, None, "🟢 正常推进")
        updates = await b.get_updates(offset=updates[-1].update_id + 1, timeout=2)
        query = updates[0].callback_query
        assert query is not None and query.data == "a:o"
        assert query.message is not None and query.message.message_id == sent.message_id
        assert await b.answer_callback_query(query.id, "已记录")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await b.answer_callback_query(query.id, "again")
        edited = await b.edit_message_text("已记录", USER, sent.message_id)
        assert isinstance(edited, telegram.Message) and edited.edit_date is not None
        await b.set_my_commands([("status", "分工表总览")], language_code="zh")
        assert (await b.get_my_commands(language_code="zh"))[0].command == "status"
    answers = await asyncio.to_thread(client.callback_answers)
    assert answers[0]["text"] == "已记录"
    assert (await asyncio.to_thread(client.commands))["default:zh"][0]["command"] == "status"


async def test_ptb_raises_forbidden_and_bad_request(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(client.add_user, USER, "张三")
    async with bot(base) as b:
        with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
            await b.send_message(USER, "hi")
        await asyncio.to_thread(client.start, USER)
        await asyncio.to_thread(client.block, USER)
        with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
            await b.send_message(USER, "hi")
        updates = await b.get_updates()
        member = updates[-1].my_chat_member
        assert member is not None and member.new_chat_member.status == "kicked"
        await asyncio.to_thread(client.unblock, USER)
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await b.send_message(USER, "<oops>", parse_mode="HTML")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await b.send_message(USER, "长" * 4097)
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await b.send_message(4242, "hi")
        sent = await b.send_message(USER, "同一")
        with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
            await b.edit_message_text("同一", USER, sent.message_id)


async def test_ptb_raises_retry_after_and_conflict(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(started, client)
    async with bot(base) as b:
        with pytest.raises(RetryAfter) as flood:
            for i in range(50):
                await b.send_message(USER, f"m{i}")
        assert flood.value.retry_after >= dt.timedelta(seconds=1)
        await b.set_webhook("https://example.org/x")
        with pytest.raises(Conflict, match="webhook is active"):
            await b.get_updates()
        await b.delete_webhook()
        pending = await b.get_updates()  # the /start: confirm it so the next poll waits
        poll = asyncio.create_task(b.get_updates(offset=pending[-1].update_id + 1, timeout=5))
        await asyncio.sleep(0.2)
        async with bot(base) as other:
            assert await other.get_updates(timeout=0) is not None
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await poll


async def test_ptb_document_photo_and_download(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(started, client)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"\x00" * 16
    async with bot(base) as b:
        doc = await b.send_document(
            USER,
            b"PK\x03\x04 workbook",
            filename="分工表.xlsx",
            caption="<b>导出</b>",
            parse_mode="HTML",
        )
        assert doc.document is not None and doc.document.file_name == "分工表.xlsx"
        assert doc.caption == "导出" and doc.caption_entities[0].type == "bold"
        photo = await b.send_photo(USER, png, caption="进度图")
        assert photo.photo[-1].width == 640 and photo.photo[-1].height == 480
        again = await b.send_document(USER, doc.document.file_id)  # a file_id sent before
        assert again.document is not None
        file = await b.get_file(doc.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04 workbook"
    assert await asyncio.to_thread(client.file, doc.document.file_id) == b"PK\x03\x04 workbook"
    assert await asyncio.to_thread(client.file, photo.photo[-1].file_id) == png
    stored = await asyncio.to_thread(client.bot_messages, USER)
    assert [("document" in m, "photo" in m) for m in stored] == [
        (True, False),
        (False, True),
        (True, False),
    ]


def test_updates_deserialize_in_ptb(api: tuple[str, EmulatorClient]) -> None:
    """Every kind of update the control API makes is a valid PTB Update."""
    base, client = api
    started(client)
    _, sent = call(base, "sendMessage", chat_id=USER, text="x", reply_markup=keyboard("k"))
    note = client.send(USER, "回复", reply_to=sent["result"]["message_id"])
    client.edit(USER, note["message_id"], "回复（改）")
    client.press(USER, sent["result"]["message_id"], data="k")
    client.block(USER)
    parsed = [Update.de_json(u, None) for u in client.updates()]
    assert parsed[1].message is not None and parsed[1].message.reply_to_message is not None
    assert parsed[2].edited_message is not None
    assert parsed[2].edited_message.text == "回复（改）"
    assert parsed[3].callback_query is not None and parsed[4].my_chat_member is not None
