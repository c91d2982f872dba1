"""Red team: a contact answers a reminder with a voice message (or a sticker): the bot
cannot record it, and must say so rather than stay silent (the contact would believe the
reminder answered, and be followed up and escalated as silent)."""

from __future__ import annotations

from harness import COORD, ECO, STRANGER, MakeBot
from support import at

VOICE = {"voice": {"file_id": "v1", "file_unique_id": "uv1", "duration": 7}}
STICKER = {
    "sticker": {
        "file_id": "s1", "file_unique_id": "us1", "type": "regular", "width": 512,
        "height": 512, "is_animated": False, "is_video": False,
    }
}  # fmt: skip


async def test_a_voice_reply_gets_an_answer_asking_for_text(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    before = len(bot.texts(ECO))
    bot.emu._user_post(ECO, None, reminder["message_id"], VOICE)
    bot.emu._user_post(ECO, None, None, STICKER)
    await bot.pump()
    answers = bot.texts(ECO)[before:]
    assert len(answers) == 2 and all("文字" in t for t in answers), answers


async def test_a_strangers_voice_gets_the_strangers_answer(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    bot.emu._user_post(STRANGER, None, None, VOICE)
    await bot.pump()
    assert "管理员" in bot.texts(STRANGER)[-1]
