"""Red team: texts the bot keeps while it asks which task they belong to must never be
dropped, whatever the contact does next (README: "nothing typed is dropped")."""

from __future__ import annotations

from harness import COORD, ECO, Harness, MakeBot
from support import at

TEXT = "本月完成招标，进度60%"


async def kept(make_bot: MakeBot) -> tuple[Harness, dict[str, object]]:
    """Two reminders out; a text that replies to neither: the bot keeps it and asks."""
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    bot.advance(minutes=10)
    await bot.say(ECO, TEXT)
    question = bot.last(ECO, "对应的任务")
    assert bot.rows("SELECT count(*) FROM status_updates") == [(0,)]
    return bot, question


def notes(bot: Harness) -> list[tuple[str, str]]:
    return [(t, n) for t, n in bot.rows("SELECT task_id, note FROM status_updates") if n]


async def test_kept_text_survives_a_button_pressed_under_a_reminder(make_bot: MakeBot) -> None:
    bot, question = await kept(make_bot)
    await bot.press(ECO, bot.last(ECO, "节点提醒", "打好蓝天保卫战"), "a:o")
    await bot.press(ECO, question, "w:t01")
    assert notes(bot) == [("t01", TEXT)]


async def test_kept_text_survives_a_reply_to_a_reminder(make_bot: MakeBot) -> None:
    bot, question = await kept(make_bot)
    t02 = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    await bot.say(ECO, "资金已到位", reply_to=t02["message_id"])
    await bot.press(ECO, question, "w:t01")
    assert notes(bot) == [("t02", "资金已到位"), ("t01", TEXT)]


async def test_kept_text_survives_a_reading(make_bot: MakeBot) -> None:
    bot, _ = await kept(make_bot)
    await bot.say(ECO, "/report pm25")
    await bot.say(ECO, "47")
    assert bot.rows("SELECT value FROM readings") == [(47.0,)]
    await bot.say(ECO, "1")  # the task number, typed
    assert notes(bot) == [("t01", TEXT)]


async def test_kept_text_survives_three_days(make_bot: MakeBot) -> None:
    """Asked one day, answered three days later: past the question's 24 hours."""
    bot, _ = await kept(make_bot)
    bot.advance(days=3)
    await bot.say(ECO, "2")
    assert notes(bot) == [("t02", TEXT)]


async def test_no_kept_text_is_dropped_silently_when_many_wait(make_bot: MakeBot) -> None:
    bot, _ = await kept(make_bot)
    for n in range(2, 26):
        await bot.say(ECO, f"第{n}条说明")
    await bot.press(ECO, bot.last(ECO, "对应的任务"), "w:t01")
    filed = [n for t, n in notes(bot)]
    assert filed[0] == TEXT  # the first is never pushed out by later ones
    unfiled = [f"第{n}条说明" for n in range(2, 26) if f"第{n}条说明" not in filed]
    assert not unfiled or "未保存" in "".join(bot.texts(ECO)), unfiled
