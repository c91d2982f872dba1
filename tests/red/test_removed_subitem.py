"""Red team: the admin removes a sub-item from the table while its reminder is out; the
contact then answers the old reminder."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, Harness, MakeBot
from support import at

WITHOUT = TABLE.replace(
    "      - id: t02-2\n        text: 加强移动源排放控制\n        deadline: 2024年底\n", ""
)


async def reminded_then_removed(make_bot: MakeBot) -> tuple[Harness, dict[str, object]]:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")
    bot.config.write_text(WITHOUT, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    assert bot.duban.runtime.catalogue.task("t02").subtask("t02-2") is None
    return bot, reminder


async def test_a_reply_to_a_removed_sub_items_reminder_is_kept_on_its_task(
    make_bot: MakeBot,
) -> None:
    bot, reminder = await reminded_then_removed(make_bot)
    await bot.say(ECO, "进度80%，设备已到货", reply_to=reminder["message_id"])
    rows = bot.rows("SELECT task_id, subtask_id, note FROM status_updates")
    assert rows == [("t02", None, "进度80%，设备已到货")], rows


async def test_a_completion_claim_on_a_removed_sub_item_is_not_a_claim_of_the_task(
    make_bot: MakeBot,
) -> None:
    bot, reminder = await reminded_then_removed(make_bot)
    await bot.press(ECO, reminder, "a:d")
    assert bot.rows("SELECT count(*) FROM status_updates WHERE subtask_id = 't02-2'") == [(0,)]
    assert not any("申请办结" in t for t in bot.texts(COORD))


#: Task 2 archived (removed from the table); 生态环境局 keeps task 1 (cooperating).
NO_T02 = TABLE[: TABLE.index("  - id: t02\n")] + TABLE[TABLE.index("indicators:\n") :].replace(
    "    task: t02\n", "    task: t01\n"
)


async def test_a_reply_to_a_removed_tasks_reminder_is_not_filed_on_another_task(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    bot.config.write_text(NO_T02, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    assert "t02" not in bot.duban.runtime.catalogue.task_ids
    await bot.say(ECO, "已完成验收，进度100%", reply_to=reminder["message_id"])
    assert bot.rows("SELECT count(*) FROM status_updates WHERE task_id = 't01'") == [(0,)]
    assert bot.rows("SELECT task_id, note FROM status_updates") == [("t02", "已完成验收，进度100%")]
    assert "已不在分工表中" in bot.texts(ECO)[-1]
    await bot.say(COORD, "/status archived")
    await bot.say(COORD, "/export")
    assert bot.messages(COORD)[-1].get("document")


async def test_an_edit_of_a_note_on_a_removed_task_is_kept_too(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    sent = bot.client.send(ECO, "进度50%", reply_to=reminder["message_id"])
    await bot.pump()
    bot.config.write_text(NO_T02, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    bot.client.edit(ECO, sent["message_id"], "进度70%")
    await bot.pump()
    assert bot.rows("SELECT task_id, note, corrects IS NOT NULL FROM status_updates") == [
        ("t02", "进度50%", 0),
        ("t02", "进度70%", 1),
    ]
