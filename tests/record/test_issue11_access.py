"""Issue #11, access: a replaced account is cut off, forged buttons and long arguments get an
answer and change nothing, invite codes expire and wrong ones are rate-limited, groups never
see task data, unknown commands get a hint."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from harness import ADMIN, COORD, ECO, ECON, STRANGER, TABLE, Harness, MakeBot, buttons
from support import at

from storage.repo import Store

FORGED = [
    "", "p:", "c:", "c:ok:", "c:ok:abc", "c:ok:0", "c:ok:99999999999999999999", "c:xx:1",
    "a:x", "a:", "u:", "u:../../etc", "u:t02:z", "w:", "w:T02", "r:", "l:ok:zz", "x" * 64,
    "p:all:-1", "p:all:99999", "p:zz.t02:0", "\x00\x01", "😀" * 16, "a:d:extra",
]  # fmt: skip


def forge(bot: Harness, user: int, message: dict[str, Any], data: str) -> None:
    """A callback query with data no button of ours carries (a modified client)."""
    emu = bot.emu
    qid = str(900000 + len(emu.callback_queries))
    query = {
        "id": qid,
        "from": emu.users[user].as_api(),
        "message": {k: v for k, v in message.items() if k not in ("from_bot",)},
        "chat_instance": str(user),
        "data": data,
    }
    emu.callback_queries[qid] = query
    emu._push_update("callback_query", query)


def writes(bot: Harness) -> tuple[int, int, int]:
    return (
        bot.rows("SELECT count(*) FROM status_updates")[0][0],
        bot.rows("SELECT count(*) FROM readings")[0][0],
        bot.rows("SELECT count(*) FROM bindings")[0][0],
    )


async def test_forged_buttons_never_raise_and_change_nothing(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒")
    before = writes(bot)
    for user, data in itertools.product((ECO, COORD, STRANGER), FORGED):
        forge(bot, user, reminder, data)
    await bot.pump()
    assert writes(bot) == before
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    answered = {a["callback_query_id"] for a in bot.emu.callback_answers}
    assert len(answered) == 3 * len(FORGED)  # every press answered (a notice, not a spinner)


async def test_long_arguments_and_unknown_commands_get_an_answer(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ECO, COORD)
    emoji = "😀" * 2100
    for user, text in ((COORD, f"/status {emoji}"), (ECO, f"/update {emoji}"),
                       (ECO, f"/report pm25 {emoji}"), (ECO, f"/report {emoji} 4")):  # fmt: skip
        seen = len(bot.messages(user))
        await bot.say(user, text)
        answer = bot.messages(user)[seen:]
        assert len(answer) == 1 and len(answer[0]["text"]) < 1000
    await bot.say(ECO, "/frobnicate")
    assert "/help" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT count(*) FROM readings")[0][0] == 0


async def test_a_changed_telegram_id_cuts_the_old_account_off(make_bot: MakeBot) -> None:
    """A new person in the post: the table gives eco-1 another Telegram id."""
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, ADMIN)
    bot.config.write_text(TABLE.replace("telegram_id: 2001", "telegram_id: 2101"), "utf-8")
    await bot.duban.reload("test", explicit=True)
    bot.client.add_user(2101, "新联络")
    await bot.start_users(2101)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    assert any("节点提醒" in t for t in bot.texts(2101))
    assert not any("节点提醒" in t for t in bot.texts(ECO))
    for command in ("/mytasks", "/update 2", "进度90%"):
        await bot.say(ECO, command)
        assert "仅供" in bot.texts(ECO)[-1]  # a stranger now
    assert bot.rows("SELECT count(*) FROM status_updates")[0][0] == 0


async def test_a_removed_contact_re_added_does_not_revive_the_old_binding(
    make_bot: MakeBot,
) -> None:
    table = TABLE.replace(
        "        name: 李联络\n        telegram_id: 2002\n", "        name: 李联络\n"
    )
    bot = await make_bot(at("2023-06-01 10:00"), table)
    code = Store.create_invite(bot.runtime.writer.store, "econ-1", bot.clock.now())
    await bot.say(ECON, f"/start {code}")
    assert "绑定成功" in bot.texts(ECON)[-1]
    without = table.replace(
        "      - id: econ-1\n        name: 李联络\n", "      - id: econ-9\n        name: 临时\n"
    )
    for text in (without, table):  # removed, then the same id back for someone else to bind
        bot.config.write_text(text, "utf-8")
        await bot.duban.reload("test", explicit=True)
    await bot.say(ECON, "/mytasks")
    assert "仅供" in bot.texts(ECON)[-1]
    assert bot.rows("SELECT member_id FROM bindings WHERE telegram_user_id = ?", ECON) == []


async def test_invite_codes_expire_and_wrong_ones_are_rate_limited(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"), TABLE.replace("        telegram_id: 2003\n", ""))
    old = Store.create_invite(bot.runtime.writer.store, "streets-1", bot.clock.now())
    bot.advance(days=15)
    await bot.say(2003, f"/start {old}")
    assert "无效或已经用过" in bot.texts(2003)[-1]
    for i in range(5):
        await bot.say(STRANGER, f"/start wrong{i}")
    fresh = Store.create_invite(bot.runtime.writer.store, "streets-1", bot.clock.now())
    await bot.say(STRANGER, f"/start {fresh}")  # even a good code waits after five wrong ones
    assert "次数过多" in bot.texts(STRANGER)[-1]
    assert bot.rows("SELECT count(*) FROM bindings WHERE telegram_user_id = ?", STRANGER)[0][0] == 0
    bot.advance(hours=2)
    await bot.say(STRANGER, f"/start {fresh}")
    assert "绑定成功" in bot.texts(STRANGER)[-1]


async def test_a_group_with_a_stranger_never_sees_task_data(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ECO, COORD)
    group = -100123
    bot.emu.add_group(group, "生态环境局工作群", [ECO, COORD, STRANGER], privacy=False)
    for user, text in ((ECO, "进度50%，资金到位"), (COORD, "/status"), (ECO, "/update"),
                       (ECO, "/mytasks"), (STRANGER, "/status"), (COORD, "/overdue"),
                       (ECO, "/report pm25 40")):  # fmt: skip
        bot.client.send(user, text, chat_id=group)
    await bot.pump()
    said = [m.get("text", "") for m in bot.emu.bot_messages(group)]
    assert not any("打好蓝天保卫战" in t or "落实主体功能区战略" in t for t in said)
    assert not any(buttons(m) for m in bot.emu.bot_messages(group))
    assert bot.rows("SELECT count(*) FROM status_updates")[0][0] == 0
    assert bot.rows("SELECT count(*) FROM readings")[0][0] == 0
