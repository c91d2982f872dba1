"""Red team: a contact presses 申请延期, then answers another reminder by replying to it."""

from __future__ import annotations

from harness import COORD, ECO, MakeBot
from support import at


async def test_a_reply_to_a_reminder_is_recorded_even_while_an_extension_is_asked(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    t02 = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    t01 = bot.last(ECO, "节点提醒", "落实主体功能区战略")
    await bot.press(ECO, t02, "e:")  # 申请延期 … then the contact thinks better of it
    assert bot.rows("SELECT count(*) FROM extensions") == [(0,)]

    bot.advance(minutes=5)
    await bot.say(ECO, "进度60%，已完成年度目标", reply_to=t01["message_id"])
    assert bot.rows("SELECT task_id, note, progress FROM status_updates") == [
        ("t01", "进度60%，已完成年度目标", 60)
    ]
    assert "已记录" in bot.texts(ECO)[-1]
