"""Red team: a stranger floods the bot. Updates are handled one at a time and Telegram allows
about one message a second to a chat, so answering every message of a flood holds up every
contact and coordinator behind it for as many seconds as the stranger sent messages."""

from __future__ import annotations

from harness import COORD, ECO, STRANGER, MakeBot
from support import at


async def test_a_strangers_flood_gets_one_answer_not_one_each(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD)
    for n in range(30):
        bot.client.send(STRANGER, f"spam {n}")
    await bot.pump()
    assert len(bot.texts(STRANGER)) == 1
    assert "管理员" in bot.texts(STRANGER)[0]

    bot.advance(hours=1)  # later the stranger is answered again (a real newcomer asking)
    await bot.say(STRANGER, "/start")
    assert len(bot.texts(STRANGER)) == 2
