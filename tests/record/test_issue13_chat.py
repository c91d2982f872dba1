"""Issue #13, chat that fits each role: menus by role, /status lookup with choices and
did-you-means, drill-down buttons, /report by buttons and by Chinese name, /invite in chat,
every symbol explained in /help."""

from __future__ import annotations

import re

from harness import ADMIN, COORD, ECO, ECON, TABLE, MakeBot, buttons
from support import at

from bot.chat.menus import EVERYONE

PM_TABLE = TABLE.replace("name: 细颗粒物平均浓度", "name: 细颗粒物（PM2.5）平均浓度")


def menu(bot: object, scope: str) -> list[str]:
    emu = bot.emu  # type: ignore[attr-defined]
    return [c["command"] for c in emu.commands.get(scope, [])]


async def test_menus_by_role(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    assert menu(bot, "default:zh") == list(EVERYONE)
    assert menu(bot, "default:") == list(EVERYONE)
    await bot.start_users(ECO, COORD, ADMIN)
    contact = menu(bot, f"chat/{ECO}:")
    coordinator = menu(bot, f"chat/{COORD}:")
    admin = menu(bot, f"chat/{ADMIN}:")
    assert {"mytasks", "update", "report", "help"} <= set(contact)
    assert not {"status", "export", "contacts", "reload"} & set(contact)
    assert {"status", "overdue", "export", "contacts"} <= set(coordinator)
    assert "reload" not in coordinator and "mytasks" not in coordinator
    assert {"status", "contacts", "invite", "reload", "export"} <= set(admin)


async def test_menus_are_not_resent_at_a_restart_unless_they_changed(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO)
    calls = bot.emu.requests["setMyCommands"]
    await bot.duban.publish_commands()
    assert bot.emu.requests["setMyCommands"] - calls == 3  # the default menus only


async def test_status_finds_a_bureau_by_a_part_of_its_name(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(COORD)
    await bot.say(COORD, "/status 生态")
    shown = bot.texts(COORD)[-1]
    assert "生态环境局" in shown and "打好蓝天保卫战" in shown
    await bot.say(COORD, "/status 蓝天")
    assert "任务 2：打好蓝天保卫战" in bot.texts(COORD)[-1]


async def test_status_offers_choices_and_did_you_mean(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(COORD)
    await bot.say(COORD, "/status 局")
    choice = bot.last(COORD, "对应多项")
    # two bureaus and the section 优化国土空间开发保护格局 have 局 in their names
    assert buttons(choice) == ["v:b.eco", "v:b.econ", "v:s.s1"]
    await bot.press(COORD, choice, "v:b.econ")
    assert "经济发展局" in bot.texts(COORD)[-1].splitlines()[0]
    await bot.say(COORD, "/status 生态环保局")
    assert "是否要找：生态环境局" in bot.texts(COORD)[-1]


async def test_status_overview_drills_down_by_section_and_bureau(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(COORD, ECO)
    await bot.say(COORD, "/status")
    overview = bot.last(COORD, "分工表总览")
    data = buttons(overview)
    assert "v:s.s1" in data and "v:b.eco" in data and "v:b.econ" in data
    await bot.press(COORD, overview, "v:s.s1")
    assert "优化国土空间开发保护格局" in bot.texts(COORD)[-1]
    assert "（2 项任务）" in bot.texts(COORD)[-1]
    # a contact cannot press a coordinator's drill-down into someone else's data
    before = len(bot.texts(ECO))
    await bot.say(ECO, "/status")
    assert "督办员" in bot.texts(ECO)[-1] and len(bot.texts(ECO)) == before + 1


async def test_report_by_buttons(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO)
    await bot.say(ECO, "/report")
    pick = bot.last(ECO, "请选择要报告的指标")
    assert buttons(pick) == ["i:pm25"]  # only the bureau's own indicators
    await bot.press(ECO, pick, "i:pm25")
    assert "细颗粒物平均浓度" in bot.texts(ECO)[-1]
    await bot.say(ECO, "47.5")
    assert bot.rows("SELECT indicator_id, value, by_member FROM readings") == [
        ("pm25", 47.5, "eco-1")
    ]


async def test_report_by_chinese_name(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"), table=PM_TABLE)
    await bot.start_users(ECO, ECON)
    await bot.say(ECO, "/report PM2.5 47")
    await bot.say(ECON, "/report 规上工业 8.5")
    await bot.say(ECO, "/report 细颗粒物 46")
    assert bot.rows("SELECT indicator_id, value FROM readings ORDER BY id") == [
        ("pm25", 47.0),
        ("energy", 8.5),
        ("pm25", 46.0),
    ]
    await bot.say(ECO, "/report 能耗 8")  # another bureau's indicator
    assert "经济发展局" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT count(*) FROM readings")[0][0] == 3


async def test_invite_in_chat_uses_the_bots_real_username(make_bot: MakeBot) -> None:
    unnamed = TABLE.replace(
        "        name: 街道联络\n        telegram_id: 2003\n", "        name: 街道联络\n"
    )
    bot = await make_bot(at("2024-11-29 08:00"), table=unnamed)
    await bot.start_users(ADMIN, COORD)
    await bot.say(ADMIN, "/invite streets-1")
    text = bot.texts(ADMIN)[-1]
    username = bot.runtime.bot_username
    m = re.search(rf"https://t\.me/{username}\?start=([A-Za-z0-9_-]+)", text)
    assert m is not None, text
    assert "街道联络（各街道、镇）" in text
    await bot.say(ADMIN, "/invite streets")
    assert "是否要找：streets-1" in bot.texts(ADMIN)[-1]
    await bot.say(COORD, "/invite streets-1")  # coordinators do not invite
    assert "管理员" in bot.texts(COORD)[-1] and "start=" not in bot.texts(COORD)[-1]
    # the link binds whoever opens it
    bot.client.add_user(3003, "新街道联络")
    await bot.say(3003, f"/start {m.group(1)}")
    assert bot.rows("SELECT telegram_user_id FROM bindings WHERE member_id = 'streets-1'") == [
        (3003,)
    ]
    assert "report" in menu(bot, "chat/3003:")


async def test_help_explains_every_symbol_used(make_bot: MakeBot) -> None:
    from bot.core.status import Light

    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ADMIN)
    await bot.say(ADMIN, "/help")
    text = bot.texts(ADMIN)[-1]
    for light in Light:
        assert light.icon in text
    for symbol in ("📈", "📨", "🔔", "⏳", "📅", "📎", "🏖", "👥", "✅", "⬜", "🚫"):
        assert symbol in text


async def test_a_removed_contact_loses_the_menu(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECON)
    assert "report" in menu(bot, f"chat/{ECON}:")
    removed = TABLE.replace(
        "      - id: econ-1\n        name: 李联络\n        telegram_id: 2002\n", ""
    )
    bot.config.write_text(removed)
    await bot.duban.reload("test", explicit=True)
    assert f"chat/{ECON}:" not in bot.emu.commands


async def test_forged_workflow_buttons_change_nothing(make_bot: MakeBot) -> None:
    from test_issue11_access import forge

    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, ECON, COORD)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    notice = bot.last(COORD, "延期申请")
    mine = bot.last(ECO, "已提交延期申请")
    before = (
        bot.rows("SELECT count(*) FROM extension_events")[0][0],
        bot.rows("SELECT count(*) FROM deputies")[0][0],
    )
    for user, data in (
        (ECO, "x:ok:1"),  # a contact approving their own request
        (ECON, "x:no:1"),
        (ECON, "dp:eco-1"),  # another bureau's contact as deputy
        (ECON, "i:pm25"),  # another bureau's indicator
        (ECO, "v:ct"),  # a coordinator's view
        (ECO, "v:b.econ"),
        (ECO, "x:ok:999999"),
        (COORD, "dp:eco-1"),  # coordinators have no deputies
    ):
        forge(bot, user, mine if user != COORD else notice, data)
    await bot.pump()
    after = (
        bot.rows("SELECT count(*) FROM extension_events")[0][0],
        bot.rows("SELECT count(*) FROM deputies")[0][0],
    )
    assert after == before == (0, 0)
    assert bot.rows("SELECT telegram_user_id FROM pending_input WHERE kind = 'reading'") == []
    assert not any("李联络" in t and "经济发展局" in t for t in bot.texts(ECO))
