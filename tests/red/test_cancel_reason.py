"""Red team: a coordinator presses 退回 by mistake; the bot then takes whatever they type
next (for a day) as the reason, and there was no way to take the press back."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, MakeBot, buttons
from support import at


async def test_a_return_can_be_called_off_before_its_reason(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "节点提醒", "加强移动源排放控制"), "a:d")
    notice = bot.last(COORD, "申请办结")
    confirm, send_back = buttons(notice)
    await bot.press(COORD, notice, send_back)
    assert "取消" in bot.texts(COORD)[-1]  # the prompt says how to call it off
    await bot.say(COORD, "取消")
    assert bot.rows("SELECT count(*) FROM status_updates WHERE kind = 'returned'") == [(0,)]
    await bot.tick()
    assert not any("被退回" in t for t in bot.texts(ECO))
    await bot.press(COORD, bot.last(COORD, "申请办结"), confirm)
    assert bot.rows("SELECT count(*) FROM status_updates WHERE kind = 'closed'") == [(1,)]


async def test_a_refusal_can_be_called_off_before_its_reason(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    notice = bot.last(COORD, "延期申请")
    approve, refuse = buttons(notice)
    await bot.press(COORD, notice, refuse)
    await bot.say(COORD, "cancel")
    assert bot.rows("SELECT kind FROM extension_events") == []
    await bot.press(COORD, notice, approve)
    assert bot.rows("SELECT kind FROM extension_events") == [("approved",)]
