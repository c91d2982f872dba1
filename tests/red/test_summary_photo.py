"""Red team: a photo sent as a reply to a 待办汇总 (a summary of several tasks) was turned
away with "reply to the reminder", though it was one. The bot now says the summary lists
several tasks and offers them as buttons; after picking one and reporting, the file goes
to that task."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, MakeBot, buttons
from support import at
from test_summary_reading import MORE

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x30" + bytes(range(256)) * 4


async def test_a_photo_replying_to_a_summary_offers_its_tasks(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-31 08:00"), table=MORE)
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2026-01-05 09:00"))
    await bot.tick()
    summary = bot.last(ECO, "待办")
    bot.emu.user_photo(ECO, PNG, reply_to=summary["message_id"])
    await bot.pump()
    ask = bot.messages(ECO)[-1]
    assert "这条汇总包含多项任务" in ask["text"]
    offered = [b for b in buttons(ask) if b.startswith("u:")]
    assert "u:t03" in offered and all(b.count(":") == 1 for b in offered)
    assert bot.rows("SELECT count(*) FROM evidence") == [(0,)]
    await bot.press(ECO, ask, "u:t03")
    await bot.press(ECO, bot.messages(ECO)[-1], "u:t03:o")
    bot.emu.user_photo(ECO, PNG)
    await bot.pump()
    assert bot.rows("SELECT task_id FROM evidence") == [("t03",)]
