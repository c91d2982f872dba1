"""Issue #13, leave and deputies: while a contact is on leave their reminders reach the
deputy (marked 代收), or with no deputy wait for the first working day back; follow-ups do not
count the days of leave; coordinators see who is on leave in /contacts and /status BUREAU."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, MakeBot, buttons
from support import at

DEPUTY = 2004
#: 生态环境局 with two contacts; 张联络 names 王副联络 as deputy in the YAML.
TWO = TABLE.replace(
    "      - id: eco-1\n        name: 张联络\n        telegram_id: 2001\n",
    "      - id: eco-1\n        name: 张联络\n        telegram_id: 2001\n        deputy: eco-2\n"
    "      - id: eco-2\n        name: 王副联络\n        telegram_id: 2004\n",
)


async def test_a_contact_on_leave_has_the_reminder_reach_the_deputy(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-27 10:00"), table=TWO)
    bot.client.add_user(DEPUTY, "王副联络")
    await bot.start_users(ECO, DEPUTY, COORD, ADMIN)
    await bot.say(ECO, "/leave 11月28日 12月6日")
    assert "由 王副联络 代收" in bot.texts(ECO)[-1]
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    assert not [t for t in bot.texts(ECO) if "节点提醒" in t]
    got = bot.last(DEPUTY, "节点提醒", "加强移动源排放控制")
    assert "👥 代收：张联络请假中（至 2024-12-06）" in got["text"]
    assert len([t for t in bot.texts(DEPUTY) if "加强移动源排放控制" in t]) == 1  # one message
    # the absent contact's reminder went out in the deputy's message
    rows = bot.rows(
        "SELECT recipient, chat_id, state FROM outbox WHERE key LIKE 'reminder:t02/t02-2:%' "
        "AND recipient LIKE 'eco-%' ORDER BY recipient"
    )
    assert rows == [("eco-1", DEPUTY, "sent"), ("eco-2", DEPUTY, "sent")]
    await bot.press(DEPUTY, got, "a:o")
    assert bot.rows("SELECT by_member, kind FROM status_updates") == [("eco-2", "on_track")]
    # coordinators see who is away
    await bot.say(COORD, "/contacts")
    assert "🏖 张联络：2024-11-28 至 2024-12-06 请假，王副联络 代收" in bot.texts(COORD)[-1]
    await bot.say(COORD, "/status 生态环境局")
    assert "🏖 张联络" in bot.texts(COORD)[-1]


async def test_a_deputy_chosen_in_chat(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-27 10:00"), table=TWO.replace("        deputy: eco-2\n", ""))
    bot.client.add_user(DEPUTY, "王副联络")
    await bot.start_users(ECO, DEPUTY)
    await bot.say(ECO, "/deputy")
    pick = bot.last(ECO, "代收人")
    assert buttons(pick) == ["dp:eco-2", "dp:-"]
    await bot.press(ECO, pick, "dp:eco-2")
    assert "已指定 王副联络 为代收人" in bot.texts(ECO)[-1]
    await bot.say(ECO, "/leave 2024-11-28 2024-12-06")
    assert "由 王副联络 代收" in bot.texts(ECO)[-1]


async def test_without_a_deputy_reminders_wait_for_the_first_working_day_back(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-27 10:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/leave 11月28日 12月6日")
    assert "2024-12-09（返岗后第一个工作日）" in bot.texts(ECO)[-1]
    for day in ("2024-11-29", "2024-12-02", "2024-12-05", "2024-12-06"):
        bot.set_time(at(f"{day} 09:00"))
        await bot.tick()
    assert not [t for t in bot.texts(ECO) if "节点提醒" in t]
    await bot.say(COORD, "/contacts")
    assert "无代收人，提醒暂缓" in bot.texts(COORD)[-1]
    bot.set_time(at("2024-12-09 09:00"))
    await bot.tick()
    back = bot.last(ECO, "加强移动源排放控制")
    assert "补发" in back["text"]


async def test_followups_do_not_count_days_of_leave(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    assert bot.last(ECO, "节点提醒")
    await bot.say(ECO, "/leave 12月2日 12月4日")  # three working days away
    # without the leave the follow-up would come 3 working days later, on 12-04
    for day in ("2024-12-04", "2024-12-05", "2024-12-06"):
        bot.set_time(at(f"{day} 09:00"))
        await bot.tick()
        assert not [t for t in bot.texts(ECO) if "催办" in t], day
    bot.set_time(at("2024-12-09 09:00"))  # 12-05, 12-06, 12-09: three working days present
    await bot.tick()
    assert [t for t in bot.texts(ECO) if "催办" in t]


async def test_leave_can_end_early(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-27 10:00"))
    await bot.start_users(ECO)
    await bot.say(ECO, "/leave 11月28日 12月6日")
    bot.set_time(at("2024-11-28 18:00"))
    await bot.say(ECO, "/leave 取消")
    assert "已销假" in bot.texts(ECO)[-1]
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    assert bot.last(ECO, "节点提醒", "加强移动源排放控制")
    await bot.say(ECO, "/leave 12月6日 12月1日")
    assert "结束日期早于开始日期" in bot.texts(ECO)[-1]


async def test_leave_by_buttons(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-27 10:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/leave")
    offer = bot.last(ECO, "用法：/leave")
    assert buttons(offer) == ["lv:3", "lv:7", "lv:14"]
    await bot.press(ECO, offer, "lv:7")
    assert "2024-11-27 至 2024-12-03" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT start, end FROM leaves") == [("2024-11-27", "2024-12-03")]
    await bot.say(ECO, "/leave")
    offer = bot.last(ECO, "已登记的请假")
    assert buttons(offer) == ["lv:3", "lv:7", "lv:14", "lv:0"]
    await bot.press(ECO, offer, "lv:0")
    assert "已销假" in bot.texts(ECO)[-1]
