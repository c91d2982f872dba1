"""Red team: a contact replaced in the table (telegram_id changed: a new person in the post)
while a reminder to them is still waiting to be sent (Telegram unreachable a while)."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, MakeBot
from support import at

NEW = 2099
REPLACED = TABLE.replace("        telegram_id: 2001\n", "        telegram_id: 2099\n")


async def test_a_queued_reminder_never_reaches_the_replaced_account(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    bot.emu.add_user(NEW, "新联络")
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    bot.client.set_faults(refuse_rate=1.0)  # Telegram unreachable: the reminders wait
    await bot.tick()
    bot.client.set_faults()
    assert not any("节点提醒" in t for t in bot.texts(ECO))
    assert bot.rows("SELECT count(*) FROM outbox WHERE recipient = 'eco-1' AND state = 'pending'")[
        0
    ][0]

    bot.config.write_text(REPLACED, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    await bot.start_users(NEW)  # the new person in the post presses Start
    for _ in range(5):
        bot.advance(minutes=30)
        await bot.tick()
    assert not any("节点提醒" in t for t in bot.texts(ECO)), "the old account got task data"
    assert any("打好蓝天保卫战" in t for t in bot.texts(NEW))


ECO2, ECO2_NEW = 2011, 2012
#: 生态环境局 with a second contact, the first one's deputy.
TWO = TABLE.replace(
    "        name: 张联络\n        telegram_id: 2001\n",
    "        name: 张联络\n        telegram_id: 2001\n        deputy: eco-2\n"
    "      - id: eco-2\n        name: 陈联络\n        telegram_id: 2011\n",
)


async def test_a_queued_message_carried_for_a_colleague_follows_the_replaced_deputy(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-11-28 10:00"), table=TWO)
    bot.emu.add_user(ECO2, "陈联络")
    bot.emu.add_user(ECO2_NEW, "新陈联络")
    await bot.start_users(ECO, ECO2, COORD, ADMIN)
    await bot.say(ECO, "/leave 2025-11-28 2025-12-10")  # 陈联络 receives for 张联络 (代收)
    bot.set_time(at("2025-12-01 09:00"))
    bot.client.set_faults(refuse_rate=1.0)
    await bot.tick()
    bot.client.set_faults()
    seen = len(bot.texts(ECO2))
    bot.config.write_text(TWO.replace("telegram_id: 2011", "telegram_id: 2012"), encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    await bot.start_users(ECO2_NEW)
    for _ in range(5):
        bot.advance(minutes=30)
        await bot.tick()
    assert not any("打好蓝天保卫战" in t for t in bot.texts(ECO2)[seen:]), "old deputy got data"
    assert any("打好蓝天保卫战" in t for t in bot.texts(ECO2_NEW))
