"""Red team: a reminder whose sendMessage answer never came back (a slow proxy) is recorded
as 'delivery unknown' without a message id, though it did reach the contact. Its buttons and
replies must still be answers to it."""

from __future__ import annotations

import pytest
from harness import COORD, ECO, Harness, MakeBot, buttons
from support import at


async def arrived_unknown(make_bot: MakeBot) -> tuple[Harness, dict[str, object]]:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    bot.client.set_faults(late_rate=1.0, late_seconds=6.0)  # past the 5 s read timeout
    await bot.tick()
    bot.client.set_faults()
    assert bot.rows("SELECT count(*) FROM outbox WHERE state = 'unknown'")[0][0] >= 1
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")  # it did arrive
    assert buttons(reminder)
    return bot, reminder


@pytest.mark.slow
async def test_a_button_under_a_reminder_of_unknown_delivery_is_recorded(
    make_bot: MakeBot,
) -> None:
    bot, reminder = await arrived_unknown(make_bot)
    await bot.press(ECO, reminder, "a:r")
    assert bot.rows("SELECT task_id, subtask_id, kind FROM status_updates") == [
        ("t02", "t02-2", "at_risk")
    ]


@pytest.mark.slow
async def test_a_reply_to_a_reminder_of_unknown_delivery_is_its_note(make_bot: MakeBot) -> None:
    bot, reminder = await arrived_unknown(make_bot)
    await bot.say(ECO, "资金已到位", reply_to=reminder["message_id"])
    assert bot.rows("SELECT task_id, subtask_id, note FROM status_updates") == [
        ("t02", "t02-2", "资金已到位")
    ]


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x30" + bytes(range(256)) * 8


@pytest.mark.slow
async def test_a_file_replying_to_a_reminder_of_unknown_delivery_is_its_evidence(
    make_bot: MakeBot,
) -> None:
    bot, reminder = await arrived_unknown(make_bot)
    bot.emu.user_photo(ECO, PNG, reply_to=reminder["message_id"])
    await bot.pump()
    assert bot.rows("SELECT task_id, subtask_id FROM evidence") == [("t02", "t02-2")]


@pytest.mark.slow
async def test_a_claim_notice_of_unknown_delivery_shows_the_decision_when_pressed(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    engine = bot.duban.engine
    wake = engine.wake
    engine.wake = lambda: None  # type: ignore[method-assign]  # the notice waits in the outbox
    await bot.press(ECO, bot.last(ECO, "节点提醒", "加强移动源排放控制"), "a:d")
    engine.wake = wake  # type: ignore[method-assign]
    bot.client.set_faults(late_rate=1.0, late_seconds=6.0)  # its answer never comes
    await engine.flush()
    bot.client.set_faults()
    assert {s for (s,) in bot.rows("SELECT state FROM outbox WHERE kind = 'claim'")} == {"unknown"}
    notice = bot.last(COORD, "申请办结")
    claim = bot.rows("SELECT id FROM status_updates WHERE kind = 'done_claimed'")[0][0]
    await bot.press(COORD, notice, f"c:ok:{claim}")
    copy = bot.last(COORD, "申请办结")
    assert "已确认办结" in copy["text"] and buttons(copy) == [], copy["text"]
