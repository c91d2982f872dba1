"""A contact the table lists with a telegram_id who has not pressed Start yet (403 for every
message, the coordinators told once) presses Start later: what the bot tried to tell them
then reaches them, as it stands now. (Found by the red team: the failed reminder stayed
failed for good, and the contact heard nothing until the series' next slot.)"""

from __future__ import annotations

from harness import COORD, ECO, STREETS, MakeBot, buttons
from support import at


async def test_a_contact_who_starts_late_gets_the_reminder_that_could_not_reach_them(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD)  # 街道联络 (telegram_id in the table) has not
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    failed = bot.rows(
        "SELECT key FROM outbox WHERE recipient = 'streets-1' AND state = 'failed' "
        "AND kind = 'reminder'"
    )
    assert failed, "the reminder to 街道联络 could not be delivered"
    assert not bot.texts(STREETS)
    assert bot.last(COORD, "街道联络")  # the coordinators were told they cannot be reached

    bot.set_time(at("2024-11-29 15:00"))
    await bot.start_users(STREETS)
    await bot.tick()
    reminders = [t for t in bot.texts(STREETS) if "节点提醒" in t]
    assert len(reminders) == len(failed), bot.texts(STREETS)
    assert all("加强移动源排放控制" in t or "任务" in t for t in reminders)
    # each is recorded as delivered once, and answering it is recorded against its item
    rows = bot.rows(
        "SELECT key, state FROM outbox WHERE recipient = 'streets-1' AND kind = 'reminder'"
    )
    assert sorted(k for k, s in rows if s == "sent") == sorted(k for (k,) in failed)
    assert not [k for k, s in rows if s == "failed"]
    # nothing else was sent twice: another tick sends nothing more to them
    before = len(bot.texts(STREETS))
    bot.set_time(at("2024-11-29 16:00"))
    await bot.tick()
    assert len(bot.texts(STREETS)) == before


async def test_a_coordinator_who_starts_late_gets_the_claim_waiting_for_them(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO)  # the coordinator (telegram_id in the table) has not
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒")
    await bot.press(ECO, reminder, "a:d")  # 已完成: a claim for the coordinators
    await bot.tick()
    assert bot.rows(
        "SELECT key FROM outbox WHERE recipient = 'coord-1' AND kind = 'claim' AND state = 'failed'"
    )
    bot.set_time(at("2024-11-29 10:00"))
    await bot.start_users(COORD)
    await bot.tick()
    claim = bot.last(COORD, "申请办结")
    ok = next(b for b in buttons(claim) if b.startswith("c:ok:"))
    await bot.press(COORD, claim, ok)  # and deciding on it works
    assert bot.rows("SELECT kind FROM status_updates WHERE kind = 'closed'")
