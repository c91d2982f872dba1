"""Red team: /leave with the last days a calendar has."""

from __future__ import annotations

from harness import COORD, ECO, MakeBot
from support import at


async def test_a_leave_at_the_end_of_the_calendar_gets_an_answer(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/leave 9999-12-30 9999-12-31")
    assert "请假日期无效" in bot.texts(ECO)[-1], bot.texts(ECO)[-1]
    assert bot.rows("SELECT count(*) FROM leaves") == [(0,)]
