"""Red team: a contact double-taps 已完成 on a slow connection (both presses reach the bot
before the message loses its buttons)."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, MakeBot
from support import at


async def test_a_double_tap_records_one_claim_and_sends_one_notice(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")
    bot.client.press(ECO, reminder["message_id"], data="a:d")
    bot.client.press(ECO, reminder["message_id"], data="a:d")
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM status_updates WHERE kind = 'done_claimed'") == [(1,)]
    assert sum("申请办结" in t for t in bot.texts(COORD)) == 1


async def test_a_double_tap_on_the_update_card_makes_one_claim(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/update 2")
    card = bot.last(ECO, "目前进展如何")
    bot.client.press(ECO, card["message_id"], data="u:t02:d")
    bot.client.press(ECO, card["message_id"], data="u:t02:d")
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM status_updates WHERE kind = 'done_claimed'") == [(1,)]
    assert sum("申请办结" in t for t in bot.texts(COORD)) == 1
