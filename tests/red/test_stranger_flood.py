"""Red team: a stranger floods the bot. Updates are handled one at a time and Telegram allows
about one message a second to a chat, so answering every message of a flood holds up every
contact and coordinator behind it for as many seconds as the stranger sent messages."""

from __future__ import annotations

from harness import COORD, ECO, STRANGER, MakeBot
from support import at

from bot.chat.common import STRANGER_BURST


async def test_a_strangers_flood_gets_a_few_answers_not_one_each(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD)
    for n in range(30):
        bot.client.send(STRANGER, f"spam {n}")
    await bot.pump()
    assert len(bot.texts(STRANGER)) == STRANGER_BURST  # not 30
    assert "管理员" in bot.texts(STRANGER)[0]

    bot.advance(hours=1)  # later the stranger is answered again (a real newcomer asking)
    await bot.say(STRANGER, "/start")
    assert len(bot.texts(STRANGER)) == STRANGER_BURST + 1


async def test_a_flood_of_wrong_codes_gets_a_few_answers_and_a_right_code_still_binds(
    make_bot: MakeBot,
) -> None:
    from harness import TABLE

    from storage.repo import Store

    bot = await make_bot(at("2025-12-01 10:00"), TABLE.replace("        telegram_id: 2003\n", ""))
    await bot.start_users(COORD)
    code = Store.create_invite(bot.runtime.writer.store, "streets-1", bot.clock.now())
    for n in range(20):
        bot.client.send(STRANGER, f"/start wrong{n}")
    await bot.pump()
    assert len(bot.texts(STRANGER)) == STRANGER_BURST  # not 20
    bot.advance(hours=2)
    await bot.say(STRANGER, f"/start {code}")
    assert "绑定成功" in bot.texts(STRANGER)[-1]
