"""Red team: a cooperating unit presses 已完成 under its reminder (meaning 'our part is
done'); the coordinators' claim notice must say the claim comes from a cooperating unit, or
a coordinator confirms the whole task closed for the lead bureau too."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, ECON, MakeBot
from support import at


async def test_a_claim_by_a_cooperating_unit_says_so(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, ECON, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    # task 1 is led by 经济发展局; 生态环境局 cooperates and gets its reminder too
    await bot.press(ECO, bot.last(ECO, "节点提醒", "落实主体功能区战略"), "a:d")
    notice = bot.last(COORD, "申请办结", "落实主体功能区战略")
    assert "配合单位" in notice["text"], notice["text"]


async def test_a_claim_by_the_lead_bureau_is_not_marked(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, ECON, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    await bot.press(ECON, bot.last(ECON, "节点提醒", "落实主体功能区战略"), "a:d")
    notice = bot.last(COORD, "申请办结", "落实主体功能区战略")
    assert "配合单位" not in notice["text"]
