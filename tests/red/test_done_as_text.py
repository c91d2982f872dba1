"""'已完成' typed in reply to a reminder is a note, not a completion claim (the claim is the
button, which the coordinators confirm); the contact is told so and how to claim. (Found by
the red team: the note was recorded and nothing suggested pressing the button, so the contact
believed the task was reported done.)"""

from __future__ import annotations

from harness import COORD, ECO, MakeBot
from support import at


async def test_done_typed_as_a_reply_is_a_note_and_says_how_to_claim(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒")
    await bot.say(ECO, "已完成！", reply_to=reminder["message_id"])
    answer = bot.texts(ECO)[-1]
    assert "的说明" in answer and "不会申请办结" in answer and "「✅ 已完成」" in answer
    assert bot.rows("SELECT kind, note FROM status_updates") == [("note", "已完成！")]
    assert not [t for t in bot.texts(COORD) if "申请办结" in t]  # no claim reached them
    # an ordinary note gets no such hint
    await bot.say(ECO, "道路扬尘治理已完成一半", reply_to=reminder["message_id"])
    assert "不会申请办结" not in bot.texts(ECO)[-1]
