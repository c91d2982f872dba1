"""Red team: a contact replies with a figure to a 待办汇总 that carries one indicator
check-in among task reminders."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, MakeBot
from support import at

#: A third task for 生态环境局, so four items fall due at once (a summary).
MORE = TABLE.replace(
    "indicators:\n",
    "  - id: t03\n    number: 3\n    section: s1\n    title: 推进重点行业治理\n"
    "    lead: 生态环境局\n    cooperating: []\n    deadline: 2025年底\n"
    "indicators:\n",
    1,
)


async def test_a_figure_replying_to_a_summary_is_the_reading_it_asks_for(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-12-31 08:00"), table=MORE)
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2026-01-05 09:00"))
    await bot.tick()
    summary = bot.last(ECO, "细颗粒物平均浓度", "待办")
    await bot.say(ECO, "45.5", reply_to=summary["message_id"])
    assert bot.rows("SELECT indicator_id, value FROM readings") == [("pm25", 45.5)]
    assert bot.rows("SELECT count(*) FROM status_updates") == [(0,)]
