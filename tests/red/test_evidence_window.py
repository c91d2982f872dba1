"""Red team: after a completion claim the bot waits a day for evidence (files); a text
typed hours later about another task must not be filed on the claimed item."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, MakeBot
from support import at

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x30" + bytes(range(256)) * 8


async def test_a_text_hours_after_a_claim_is_not_the_claims_note(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "逾期提醒", "加强移动源排放控制"), "a:d")
    bot.advance(hours=6)
    await bot.say(ECO, "任务1本月已完成招标")
    assert bot.rows("SELECT count(*) FROM status_updates WHERE kind = 'note'") == [(0,)]
    assert "对应的任务" in bot.texts(ECO)[-1]  # the bot asks where it belongs


async def test_a_text_right_after_a_claim_is_still_its_note(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "逾期提醒", "加强移动源排放控制"), "a:d")
    bot.advance(minutes=10)
    await bot.say(ECO, "验收报告随后补交")
    assert bot.rows("SELECT subtask_id, note FROM status_updates WHERE kind = 'note'") == [
        ("t02-2", "验收报告随后补交")
    ]


async def test_a_note_then_a_photo_after_a_claim_both_go_with_it(make_bot: MakeBot) -> None:
    """The bot asked for evidence ('可发送多份'); the contact writes a line, then sends the
    photo: the photo is the claim's evidence too."""
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "逾期提醒", "加强移动源排放控制"), "a:d")
    await bot.say(ECO, "验收报告如下")
    bot.emu.user_photo(ECO, PNG)
    await bot.pump()
    claim = bot.rows("SELECT id FROM status_updates WHERE kind = 'done_claimed'")[0][0]
    assert bot.rows("SELECT subtask_id, claim_id FROM evidence") == [("t02-2", claim)]
