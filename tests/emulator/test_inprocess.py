"""The real python-telegram-bot against the emulator in the test's own event loop
(`InProcessRequest`): the same answers as over HTTP, and network faults raised as PTB's
HTTPXRequest raises them."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TimedOut
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.emulator.inprocess import InProcessRequest
from bot.emulator.server import DEFAULT_TOKEN, Emulator, Faults, Limits

TOKEN = DEFAULT_TOKEN
USER = 501
PNG_640x480 = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"\x00" * 16


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    """An emulator on the test's event loop (no HTTP server)."""
    emulator = Emulator(TOKEN)
    yield emulator
    await emulator.stop()


def in_process(emulator: Emulator, token: str = TOKEN, **timeouts: Any) -> telegram.Bot:
    return telegram.Bot(
        token,
        request=InProcessRequest(emulator, **timeouts),
        get_updates_request=InProcessRequest(emulator, **timeouts),
    )


def started(emulator: Emulator, user: int = USER) -> None:
    emulator.add_user(user, "张三", username=f"u{user}")
    emulator.user_start(user)


async def test_get_me_send_message_with_keyboard_and_a_press(emu: Emulator) -> None:
    started(emu)
    async with in_process(emu) as bot:
        me = await bot.get_me()
        assert me.username == "duban_test_bot" and me.is_bot
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("🟢 正常推进", callback_data="a:o")]])
        sent = await bot.send_message(
            USER, "<b>节点提醒</b>", parse_mode="HTML", reply_markup=markup
        )
        assert sent.text == "节点提醒" and sent.reply_markup == markup
        stored = emu.bot_messages(USER)[-1]
        assert stored["text"] == "节点提醒"
        assert stored["reply_markup"] == markup.to_dict()
        emu.press(USER, sent.message_id, text="🟢 正常推进")
        updates = await bot.get_updates(timeout=1)
        query = updates[-1].callback_query
        assert query is not None and query.data == "a:o"
        assert await bot.answer_callback_query(query.id, "已记录")
        with pytest.raises(BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(USER, "长" * 4097)
    assert emu.callback_answers[0]["text"] == "已记录"
    assert emu.stats()["requests"]["sendMessage"] == 2


async def test_a_user_message_arrives_through_a_long_poll(emu: Emulator) -> None:
    emu.add_user(USER, "张三")
    async with in_process(emu) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=10))
        await asyncio.sleep(0)  # the poll is waiting in the emulator
        assert not poll.done()
        emu.user_message(USER, "进度60%")
        updates = await poll
        assert [u.message.text for u in updates if u.message] == ["进度60%"]
        # the next offset confirms it
        assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
        assert emu.updates == []


async def test_a_wrong_token_is_401(emu: Emulator) -> None:
    bot = in_process(emu, token="999:WRONG")
    with pytest.raises(InvalidToken):
        await bot.initialize()  # (which asks getMe)
    await bot.shutdown()
    assert emu.stats()["errors"]["401"] >= 1


async def test_the_application_runs_in_process(emu: Emulator) -> None:
    """A real Application with a handler, polling the emulator: /start gets an answer."""

    async def hello(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Greet."""
        assert update.effective_message is not None
        await update.effective_message.reply_text("你好，张三")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(InProcessRequest(emu))
        .get_updates_request(InProcessRequest(emu))
        .build()
    )
    app.add_handler(CommandHandler("start", hello))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        started(emu)
        messages = await emu.wait_for(USER, 1, seconds=10)
        await app.updater.stop()
        await app.stop()
    assert [m["text"] for m in messages] == ["你好，张三"]


async def test_file_round_trip(emu: Emulator) -> None:
    started(emu)
    async with in_process(emu) as bot:
        doc = await bot.send_document(USER, b"PK\x03\x04 workbook", filename="分工表.xlsx")
        assert doc.document is not None and doc.document.file_name == "分工表.xlsx"
        file = await bot.get_file(doc.document.file_id)
        assert file.file_path is not None and file.file_path.endswith(".xlsx")
        assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04 workbook"
        # what a user sends comes the same way
        emu.user_document(USER, "附件：进度说明".encode(), "说明.txt", caption="任务 2 的材料")
        emu.user_photo(USER, PNG_640x480, caption="现场照片")
        updates = await bot.get_updates()
        document = updates[-2].message.document if updates[-2].message else None
        assert document is not None and document.mime_type == "text/plain"
        got = await (await bot.get_file(document.file_id)).download_as_bytearray()
        assert got.decode() == "附件：进度说明"
        message = updates[-1].message
        assert message is not None and message.caption == "现场照片"
        largest = message.photo[-1]
        assert (largest.width, largest.height) == (640, 480)
        got = await (await bot.get_file(largest.file_id)).download_as_bytearray()
        assert bytes(got) == PNG_640x480


@pytest.mark.parametrize(
    ("faults", "raised", "cause"),
    [
        (Faults(refuse_rate=1.0), NetworkError, httpx.ConnectError),
        (Faults(connect_timeout_rate=1.0), TimedOut, httpx.ConnectTimeout),
        (Faults(pool_timeout_rate=1.0), TimedOut, httpx.PoolTimeout),
        (Faults(drop_rate=1.0), NetworkError, httpx.RemoteProtocolError),
    ],
)
async def test_a_fault_before_the_method_raises_as_httpx_would_and_sends_nothing(
    emu: Emulator, faults: Faults, raised: type[Exception], cause: type[Exception]
) -> None:
    started(emu)
    async with in_process(emu) as bot:
        emu.set_faults(faults)
        with pytest.raises(raised) as err:
            await bot.send_message(USER, "提醒")
        assert type(err.value) is raised and isinstance(err.value.__cause__, cause)
        emu.set_faults(Faults())
        assert (await bot.send_message(USER, "重发")).text == "重发"
    assert [m["text"] for m in emu.bot_messages(USER)] == ["重发"]


async def test_a_late_answer_is_a_read_timeout_after_the_message_was_stored(
    emu: Emulator,
) -> None:
    started(emu)
    async with in_process(emu, read_timeout=0.05) as bot:
        emu.set_faults(Faults(late_rate=1.0, late_seconds=30))
        with pytest.raises(TimedOut) as err:
            await bot.send_message(USER, "提醒")
        assert type(err.value.__cause__) is httpx.ReadTimeout
    # Telegram has it: the user sees the message the bot could not confirm
    assert [m["text"] for m in emu.bot_messages(USER)] == ["提醒"]
    assert emu.stats()["errors"]["late"] == 1


async def test_connection_faults_do_not_reach_the_server(emu: Emulator) -> None:
    started(emu)
    async with in_process(emu) as bot:
        emu.set_faults(Faults(refuse_rate=0.5, seed=7))
        emu.set_limits(Limits(enabled=False))
        outcomes = []
        for i in range(40):
            try:
                await bot.send_message(USER, f"m{i}")
                outcomes.append("sent")
            except NetworkError:
                outcomes.append("refused")
    refused = outcomes.count("refused")
    assert 0 < refused < 40
    stats = emu.stats()
    assert stats["errors"]["refused"] == refused
    assert stats["requests"]["sendMessage"] == 40 - refused
    assert len(emu.bot_messages(USER)) == 40 - refused


def _request_data(params: dict[str, Any]) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


def _without_dates(body: bytes) -> Any:
    return json.loads(re.sub(rb'"(edit_)?date": \d+', b'"date": 0', body))


CASES: list[tuple[str, dict[str, Any]]] = [
    ("getMe", {}),
    ("sendMessage", {"chat_id": USER, "text": "<b>任务</b> 7", "parse_mode": "HTML"}),
    (
        "sendMessage",
        {
            "chat_id": USER,
            "text": "选择",
            "reply_markup": InlineKeyboardMarkup(
                [[InlineKeyboardButton("完成", callback_data="d")]]
            ),
            "link_preview_options": {"is_disabled": True},
        },
    ),
    ("sendMessage", {"chat_id": USER, "text": "a < b", "parse_mode": "HTML"}),
    ("sendMessage", {"chat_id": 4242, "text": "x"}),
    ("sendDocument", {"chat_id": USER, "document": InputFile(b"xlsx", filename="表.xlsx")}),
    ("setMyCommands", {"commands": [{"command": "status", "description": "总览"}]}),
    ("getMyCommands", {}),
    ("sendTelepathy", {}),
    ("getUpdates", {"offset": -1}),
]


async def test_in_process_answers_are_the_http_servers_answers() -> None:
    """The same requests, as PTB encodes them, answered alike by both transports."""
    answers: list[list[tuple[int, Any]]] = []
    for transport in ("http", "inprocess"):
        emulator = Emulator(TOKEN, limits=Limits(enabled=False))
        started(emulator)
        port = await emulator.start() if transport == "http" else 0
        request: HTTPXRequest | InProcessRequest = (
            HTTPXRequest() if transport == "http" else InProcessRequest(emulator)
        )
        base = f"http://127.0.0.1:{port}/bot{TOKEN}"
        got = []
        async with request:
            for method, params in CASES:
                code, body = await request.do_request(
                    f"{base}/{method}", "POST", _request_data(params)
                )
                got.append((code, _without_dates(body)))
        answers.append(got)
        await emulator.stop()
    assert answers[0] == answers[1]
    assert [code for code, _ in answers[0]] == [200, 200, 200, 400, 400, 200, 200, 200, 404, 200]


async def test_a_long_poll_wakes_for_an_update_added_before_it_started_waiting(
    emu: Emulator,
) -> None:
    """Regression: the poll's wait began one loop turn after it checked the queue, and an
    update added in between was a wake-up nobody heard (the poll slept its whole timeout:
    a bot answering a user 2.5 s late on average)."""
    emu.add_user(USER, "张三")
    poll = asyncio.create_task(emu.m_getUpdates({"timeout": 30}))
    await asyncio.sleep(0)  # the poll found nothing and is about to wait
    emu.user_message(USER, "进度60%")
    for _ in range(20):  # a few turns of the loop, no clock
        await asyncio.sleep(0)
    assert poll.done()
    assert [u["message"]["text"] for u in poll.result()] == ["进度60%"]
