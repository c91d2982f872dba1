"""Red team: two contacts of one bureau answer the same reminder at once (each bureau
contact gets the bureau's reminders)."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, MakeBot, buttons
from support import at

ECO2 = 2011
#: 生态环境局 with a second contact.
TWO = TABLE.replace(
    "        name: 张联络\n        telegram_id: 2001\n",
    "        name: 张联络\n        telegram_id: 2001\n"
    "      - id: eco-2\n        name: 陈联络\n        telegram_id: 2011\n",
)


async def test_two_completion_claims_of_one_item_are_decided_once(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"), table=TWO)
    bot.emu.add_user(ECO2, "陈联络")
    await bot.start_users(ECO, ECO2, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    for user in (ECO, ECO2):
        await bot.press(user, bot.last(user, "节点提醒", "加强移动源排放控制"), "a:d")

    # whichever notice a coordinator acts on decides the item, and no copy lies about it
    first = bot.messages(COORD)
    claims = [m for m in first if "申请办结" in (m.get("text") or "") and buttons(m)]
    assert claims, [m.get("text") for m in first]
    await bot.press(COORD, claims[0], buttons(claims[0])[0])  # 确认办结
    assert bot.rows(
        "SELECT count(*) FROM status_updates WHERE kind = 'closed' AND subtask_id = 't02-2'"
    ) == [(1,)]
    for chat in (COORD, ADMIN):
        for m in bot.messages(chat):
            text = m.get("text") or ""
            if "申请办结" in text:
                assert not buttons(m), text
                assert "已确认办结" in text, text
    await bot.tick()  # the claimants hear the decision through the outbox
    for user in (ECO, ECO2):
        assert any("已由督办员确认办结" in t for t in bot.texts(user)), bot.texts(user)[-2:]
