"""The emulator answers like Telegram: each rule checked against the Bot API's documented behaviour."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
import telegram
from e2e.e2e_support import TOKEN
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter

from bot.emulator.client import EmulatorClient

USER = 501


def call(base: str, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """A raw Bot API call with a JSON body, as any client would make it."""
    request = urllib.request.Request(
        f"{base}/bot{TOKEN}/{method}",
        data=json.dumps(params).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def started(client: EmulatorClient, user: int = USER) -> None:
    client.add_user(user, "张三")
    client.send(user, "/start")


def bot(base: str) -> telegram.Bot:
    return telegram.Bot(TOKEN, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot")


def test_get_me_and_wrong_token(api: tuple[str, EmulatorClient]) -> None:
    base, _ = api
    code, body = call(base, "getMe")
    assert code == 200 and body["ok"] and body["result"]["is_bot"]
    request = urllib.request.Request(f"{base}/bot999:WRONG/getMe", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    err.value.close()
    assert err.value.code == 401


def test_text_limits_4096_visible_characters(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    client.set_limits(enabled=False)
    assert call(base, "sendMessage", chat_id=USER, text="字" * 4096)[0] == 200
    code, body = call(base, "sendMessage", chat_id=USER, text="字" * 4097)
    assert (code, body["description"]) == (400, "Bad Request: message is too long")
    # tags do not count, entities count as one character
    assert (
        call(
            base,
            "sendMessage",
            chat_id=USER,
            text="<b>" + "a" * 4095 + "&amp;</b>",
            parse_mode="HTML",
        )[0]
        == 200
    )
    # an emoji outside the BMP is two UTF-16 code units
    assert call(base, "sendMessage", chat_id=USER, text="😀" * 2049)[0] == 400
    code, body = call(base, "sendMessage", chat_id=USER, text="  ")
    assert (code, body["description"]) == (400, "Bad Request: message text is empty")


def test_html_must_parse(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    ok = call(
        base, "sendMessage", chat_id=USER, text="<b>任务 7</b>：&lt;蓝天&gt;", parse_mode="HTML"
    )
    assert ok[0] == 200 and ok[1]["result"]["text"] == "任务 7：<蓝天>"
    assert ok[1]["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    for bad in ("a < b", "<b>unclosed", "<foo>x</foo>", "<b>x</i>", "R&D"):
        code, body = call(base, "sendMessage", chat_id=USER, text=bad, parse_mode="HTML")
        assert code == 400 and "can't parse entities" in body["description"], bad
    # without parse_mode the same text is fine
    assert call(base, "sendMessage", chat_id=USER, text="a < b")[0] == 200


def test_callback_data_is_1_to_64_bytes(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "a" * 64}]]}
    assert call(base, "sendMessage", chat_id=USER, text="ok", reply_markup=markup)[0] == 200
    markup = {"inline_keyboard": [[{"text": "x", "callback_data": "任" * 22}]]}  # 66 bytes
    code, body = call(base, "sendMessage", chat_id=USER, text="no", reply_markup=markup)
    assert (code, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")


def test_a_user_who_never_started_or_blocked_gives_403(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    code, body = call(base, "sendMessage", chat_id=USER, text="hi")
    assert (code, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    client.send(USER, "/start")
    assert call(base, "sendMessage", chat_id=USER, text="hi")[0] == 200
    client.block(USER)
    code, body = call(base, "sendMessage", chat_id=USER, text="hi")
    assert (code, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert (
        call(base, "sendMessage", chat_id=424242, text="hi")[1]["description"]
        == "Bad Request: chat not found"
    )
    assert client.stats()["errors"]["403"] == 2


def test_a_burst_of_100_to_one_chat_draws_429_with_retry_after(
    api: tuple[str, EmulatorClient],
) -> None:
    base, client = api
    started(client)
    answers = [call(base, "sendMessage", chat_id=USER, text=f"m{i}") for i in range(100)]
    limited = [body for code, body in answers if code == 429]
    assert 0 < len(answers) - len(limited) <= 6  # a short burst passes
    assert limited and all(b["parameters"]["retry_after"] >= 1 for b in limited)
    assert limited[0]["description"].startswith("Too Many Requests: retry after")


def test_more_than_30_a_second_overall_draws_429(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    users = range(1000, 1040)
    for u in users:
        started(client, u)
    codes = [call(base, "sendMessage", chat_id=u, text="hi")[0] for u in users]
    assert codes.count(200) <= 30 and 429 in codes


def test_more_than_20_a_minute_to_a_group_draws_429(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_group(-100, "生态环境局工作群", [USER])
    codes = []
    for _ in range(22):
        codes.append(call(base, "sendMessage", chat_id=-100, text="hi")[0])
        time.sleep(0.05)
    assert codes[:20] == [200] * 20 and codes[20:] == [429, 429]


def test_edit_not_modified_and_not_found(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)
    _, sent = call(base, "sendMessage", chat_id=USER, text="第 1 页")
    mid = sent["result"]["message_id"]
    assert call(base, "editMessageText", chat_id=USER, message_id=mid, text="第 2 页")[0] == 200
    code, body = call(base, "editMessageText", chat_id=USER, message_id=mid, text="第 2 页")
    assert code == 400 and body["description"].startswith("Bad Request: message is not modified")
    code, body = call(base, "editMessageText", chat_id=USER, message_id=999, text="x")
    assert (code, body["description"]) == (400, "Bad Request: message to edit not found")
    assert client.bot_messages(USER)[-1]["text"] == "第 2 页"


def test_long_polling_offset_and_allowed_updates(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    t0 = time.monotonic()
    _, body = call(base, "getUpdates", timeout=1)
    assert body["result"] == [] and time.monotonic() - t0 >= 0.9  # waited for the timeout
    client.send(USER, "/start")
    first = call(base, "getUpdates", timeout=5)[1]["result"]
    assert first[0]["message"]["entities"][0]["type"] == "bot_command"
    # offset confirms: the update is not delivered again
    assert call(base, "getUpdates", offset=first[-1]["update_id"] + 1)[1]["result"] == []
    _, sent = call(
        base,
        "sendMessage",
        chat_id=USER,
        text="选择",
        reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]},
    )
    client.press(USER, sent["result"]["message_id"], data="x")
    client.send(USER, "hello")
    only = call(
        base, "getUpdates", offset=first[-1]["update_id"] + 1, allowed_updates=["callback_query"]
    )[1]["result"]
    assert [list(u)[1] for u in only] == ["callback_query"]


def test_long_poll_returns_when_an_update_arrives(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.add_user(USER, "张三")
    import threading

    threading.Timer(0.3, lambda: client.send(USER, "来了")).start()
    t0 = time.monotonic()
    result = call(base, "getUpdates", timeout=10)[1]["result"]
    assert result and result[0]["message"]["text"] == "来了" and time.monotonic() - t0 < 5


def test_second_poller_and_webhook_give_409(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    import threading

    out: list[tuple[int, dict[str, Any]]] = []
    first = threading.Thread(target=lambda: out.append(call(base, "getUpdates", timeout=5)))
    first.start()
    time.sleep(0.3)
    call(base, "getUpdates", timeout=0)
    first.join(10)
    assert out[0][0] == 409 and "terminated by other getUpdates request" in out[0][1]["description"]
    client.set_webhook("https://example.org/hook")
    code, body = call(base, "getUpdates")
    assert code == 409 and "webhook is active" in body["description"]
    assert call(base, "deleteWebhook")[0] == 200 and call(base, "getUpdates")[0] == 200


def test_fault_injection_share_is_honoured(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    client.set_faults(error_rate=0.3, seed=42)
    codes = [call(base, "getMe")[0] for _ in range(200)]
    assert 40 <= codes.count(502) <= 80
    client.set_faults(error_rate=0.0)
    assert call(base, "getMe")[0] == 200


def test_multipart_document_is_stored_and_retrievable(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    started(client)

    async def send() -> telegram.Message:
        async with bot(base) as b:
            return await b.send_document(
                USER,
                b"PK\x03\x04 workbook",
                filename="分工表.xlsx",
                caption="<b>导出</b>",
                parse_mode="HTML",
            )

    message = asyncio.run(send())
    assert message.document is not None and message.document.file_name == "分工表.xlsx"
    assert message.caption == "导出"
    assert client.file(message.document.file_id) == b"PK\x03\x04 workbook"


async def test_python_telegram_bot_reads_every_answer(api: tuple[str, EmulatorClient]) -> None:
    base, client = api
    await asyncio.to_thread(client.add_user, USER, "张三")
    async with bot(base) as b:
        me = await b.get_me()
        assert me.username and me.is_bot
        with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
            await b.send_message(USER, "hi")
        await asyncio.to_thread(client.send, USER, "/start")
        updates = await b.get_updates(timeout=2)
        assert updates[0].message.text == "/start"
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton("🟢 正常推进", callback_data="a:o")]]
        )
        sent = await b.send_message(
            USER, "<b>节点提醒</b>", parse_mode="HTML", reply_markup=keyboard
        )
        assert sent.text == "节点提醒" and sent.reply_markup == keyboard
        await asyncio.to_thread(client.press, USER, sent.message_id, None, "🟢 正常推进")
        updates = await b.get_updates(offset=updates[-1].update_id + 1, timeout=2)
        query = updates[0].callback_query
        assert query.data == "a:o" and query.message.message_id == sent.message_id
        assert await b.answer_callback_query(query.id, "已记录")
        with pytest.raises(BadRequest, match=r"(?i)query is too old"):
            await b.answer_callback_query(query.id, "again")
        with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
            await b.send_message(USER, "<oops>", parse_mode="HTML")
        await asyncio.to_thread(client.set_webhook, "https://example.org/x")
        with pytest.raises(Conflict):
            await b.get_updates()
        await b.delete_webhook()
        await b.set_my_commands([("status", "分工表总览")], language_code="zh")
        with pytest.raises(RetryAfter) as flood:
            for i in range(50):
                await b.send_message(USER, f"m{i}")
        assert flood.value.retry_after
    answers = await asyncio.to_thread(client.callback_answers)
    assert answers[0]["text"] == "已记录"
    assert (await asyncio.to_thread(client.commands))["default:zh"][0]["command"] == "status"
