"""Red team: table text and chat text with HTML's special characters (R&D, <3%, <局>) go
through every message the bot sends: Telegram refuses unescaped ones with 400, and a
refused reminder is never delivered."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, ECON, TABLE, MakeBot, buttons
from support import at

HOSTILE = (
    TABLE.replace("title: 打好蓝天保卫战", 'title: "研发<R&D>投入 <b>不低于3%"')
    .replace(
        "    name: 生态环境局\n    aliases: [生态环境/局]",
        '    name: "生态<环境>&局"\n    aliases: [生态环境/局, 生态环境局]',
    )
    .replace("name: 张联络", 'name: "张<i>联络&"')
    .replace("text: 加强移动源排放控制", 'text: "移动源<排放>&控制"')
    .replace("title: 优化国土空间开发保护格局", 'title: "<优化>&格局"')
    .replace("name: 细颗粒物平均浓度", 'name: "PM2.5<浓度>&"')
    .replace("unit: 微克/立方米", 'unit: "μg/m³<&>"')
)


async def test_special_characters_reach_every_message(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"), table=HOSTILE)
    await bot.start_users(ECO, ECON, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "移动源<排放>&控制")
    await bot.press(ECO, reminder, "e:")
    await bot.say(ECO, "2025年3月底 <设备>&到货推迟")
    await bot.press(ECO, reminder, "a:d") if buttons(reminder) else None
    await bot.say(ECO, "进度<90%>&，已验收")
    await bot.say(ECO, "/report pm25 <47>")
    await bot.say(ECO, "/report pm25 47")
    for command in ("/status", "/status 2", "/status 生态", "/overdue", "/contacts", "/export"):
        await bot.say(COORD, command)
    await bot.say(ECO, "/mytasks")
    claim = [m for m in bot.messages(COORD) if "申请办结" in (m.get("text") or "")]
    if claim and buttons(claim[-1]):
        await bot.press(COORD, claim[-1], buttons(claim[-1])[1])
        await bot.say(COORD, "<理由>&不足")
    for day in ("2024-12-02", "2024-12-03", "2024-12-04", "2024-12-05", "2024-12-06",
                "2024-12-09", "2024-12-10", "2025-01-02"):  # fmt: skip
        bot.set_time(at(f"{day} 09:00"))
        await bot.tick()
    assert "400" not in bot.emu.stats()["errors"], bot.emu.stats()["errors"]
    assert any("研发<R&D>投入 <b>不低于3%" in t for t in bot.texts(COORD))
