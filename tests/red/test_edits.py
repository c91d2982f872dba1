"""Red team: a contact edits a message after the bot took it (a reading, a text it is still
keeping, a note on a task that has since moved to another bureau)."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, ECON, TABLE, MakeBot
from support import at


async def test_an_edited_reading_is_recorded_as_the_corrected_value(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-03-03 10:00"))
    await bot.start_users(ECO)
    await bot.say(ECO, "/report pm25")
    sent = bot.client.send(ECO, "47.5")
    await bot.pump()
    assert bot.rows("SELECT value FROM readings") == [(47.5,)]

    bot.advance(minutes=2)
    bot.client.edit(ECO, sent["message_id"], "45.2")  # a typo in the figure, corrected
    await bot.pump()
    assert bot.rows("SELECT value FROM readings ORDER BY id") == [(47.5,), (45.2,)]
    assert "更正" in bot.texts(ECO)[-1]
    await bot.say(ECO, "/mytasks")
    assert bot.duban.runtime.record.readings["pm25"].value == 45.2


async def test_an_edited_reading_that_is_no_figure_gets_an_example(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-03-03 10:00"))
    await bot.start_users(ECO)
    await bot.say(ECO, "/report pm25")
    sent = bot.client.send(ECO, "47.5")
    await bot.pump()
    bot.client.edit(ECO, sent["message_id"], "-5")
    await bot.pump()
    assert bot.rows("SELECT value FROM readings") == [(47.5,)]
    assert "例如" in bot.texts(ECO)[-1]


async def test_editing_a_kept_text_files_what_it_says_now(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-03-03 10:00"))
    await bot.start_users(ECO)
    sent = bot.client.send(ECO, "进度 50%")  # two open tasks: the bot asks which
    await bot.pump()
    question = bot.last(ECO, "对应的任务")
    bot.client.edit(ECO, sent["message_id"], "进度 80%，已完成招标")
    await bot.pump()
    await bot.press(ECO, question, "w:t02")
    assert bot.rows("SELECT task_id, note, progress FROM status_updates") == [
        ("t02", "进度 80%，已完成招标", 80)
    ]


async def test_an_edit_of_a_note_on_a_task_now_led_by_another_bureau_is_refused(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, ECON, ADMIN, COORD)
    # a direct note on task 2 through a reply to its reminder
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "打好蓝天保卫战")
    reply = bot.client.send(ECO, "进度 60%", reply_to=reminder["message_id"])
    await bot.pump()
    count = bot.rows("SELECT count(*) FROM status_updates WHERE task_id = 't02'")[0][0]

    moved = TABLE.replace(
        "    title: 打好蓝天保卫战\n    lead: 生态环境局\n",
        "    title: 打好蓝天保卫战\n    lead: 经济发展局\n",
    ).replace("        lead: 生态环境局\n        cooperating: [经济发展局]\n", "")
    bot.config.write_text(moved, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    assert "eco" not in bot.duban.runtime.catalogue.bureaus_of(
        bot.duban.runtime.catalogue.task("t02")
    )

    bot.client.edit(ECO, reply["message_id"], "进度 90%")
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM status_updates WHERE task_id = 't02'")[0][0] == count
    assert "不是您单位" in bot.texts(ECO)[-1], bot.texts(ECO)[-1]


async def test_editing_a_refused_reading_into_a_figure_records_it(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-03-03 10:00"))
    await bot.start_users(ECO)
    await bot.say(ECO, "/report pm25")
    sent = bot.client.send(ECO, "47.5.3")  # a typo: the bot asks again with an example
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM readings") == [(0,)]
    bot.client.edit(ECO, sent["message_id"], "47.5")
    await bot.pump()
    assert bot.rows("SELECT value FROM readings") == [(47.5,)]
