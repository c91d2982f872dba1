"""Red team: a newcomer writes what happened right after the task's number:
`/update 2 本月完成招标，进度60%`."""

from __future__ import annotations

from harness import COORD, ECO, MakeBot
from support import at


async def test_update_with_a_note_records_the_note_on_that_task(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/update 2 本月完成招标，进度60%")
    assert bot.rows("SELECT task_id, note, progress FROM status_updates") == [
        ("t02", "本月完成招标，进度60%", 60)
    ]
    assert "已记录" in bot.texts(ECO)[-1]


async def test_update_with_a_note_on_another_bureaus_task_is_refused(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 10:00"))
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/update 99 本月完成招标")
    assert bot.rows("SELECT count(*) FROM status_updates") == [(0,)]
