"""Red team: a contact answers the bot inside a group chat (a group may hold people the table
does not know: nothing said there is recorded, and no task data or buttons are shown there)."""

from __future__ import annotations

from harness import COORD, ECO, STRANGER, MakeBot, buttons
from support import at

GROUP = -100777


async def test_a_reply_to_the_bot_in_a_group_is_no_answer_and_shows_no_tasks(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ECO, COORD)
    bot.emu.add_group(GROUP, "生态环境局工作群", [ECO, COORD, STRANGER])  # privacy mode on
    bot.client.send(ECO, "/mytasks", chat_id=GROUP)
    await bot.pump()
    hint = bot.emu.bot_messages(GROUP)[-1]
    bot.client.send(ECO, "进度50%，资金已到位", reply_to=hint["message_id"], chat_id=GROUP)
    await bot.pump()
    said = [m.get("text", "") for m in bot.emu.bot_messages(GROUP)]
    assert not any("打好蓝天保卫战" in t or "落实主体功能区战略" in t for t in said), said
    assert not any(buttons(m) for m in bot.emu.bot_messages(GROUP))
    assert bot.rows("SELECT count(*) FROM status_updates") == [(0,)]


async def test_an_edit_in_a_group_does_not_correct_a_private_answer(make_bot: MakeBot) -> None:
    """Message ids are counted per chat: a group message may carry the id of a private one."""
    bot = await make_bot(at("2023-06-01 10:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:n")
    note = bot.client.send(ECO, "进度 60%")
    await bot.pump()
    assert bot.rows("SELECT note FROM status_updates") == [("进度 60%",)]

    bot.emu.add_group(GROUP, "生态环境局工作群", [ECO, COORD, STRANGER], privacy=False)
    said = {}
    while not said or said["message_id"] < note["message_id"]:
        said = bot.client.send(ECO, "大家好", chat_id=GROUP)
    assert said["message_id"] == note["message_id"]
    await bot.pump()
    bot.emu.user_edit(ECO, said["message_id"], "周五聚餐改到周六", chat_id=GROUP)
    await bot.pump()
    assert bot.rows("SELECT note FROM status_updates") == [("进度 60%",)]
