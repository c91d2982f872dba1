"""One sending limiter by Telegram's rules (issue #12): a fan-out draws no 429 from the
emulator (which enforces 30 a second overall, 1 a second to a chat after a burst of 5, 20 a
minute to a group), loses and doubles nothing, keeps each chat's order; an answer to a user
goes before queued bulk sends; a 429 that still comes is waited out, retried and counted.

These send for real time (a few seconds each: the limits are per second): `slow`. Nothing
here asserts a duration; what the emulator accepted and refused is what counts.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from harness import ECO, MakeBot
from support import at
from telegram.ext import ExtBot

from bot.emulator.inprocess import InProcessRequest
from bot.emulator.model import Limits
from bot.emulator.server import Emulator
from bot.limiter import Limiter, Rules, bulk
from storage.repo import NewMessage, Store

pytestmark = pytest.mark.slow

TOKEN = "123456:LIMITER"
CHATS = range(5001, 5021)  # 20 private chats


@pytest.fixture
async def emu() -> AsyncIterator[Emulator]:
    emulator = Emulator(TOKEN)
    for chat in CHATS:
        emulator.add_user(chat, f"用户{chat}").started = True
    yield emulator
    await emulator.stop()


async def _bot(emu: Emulator, limiter: Limiter) -> ExtBot[int]:
    bot: ExtBot[int] = ExtBot(TOKEN, request=InProcessRequest(emu), rate_limiter=limiter)
    await bot.initialize()
    return bot


def _refused(emu: Emulator) -> int:
    return sum(1 for s in emu.sends if not s["ok"])


async def test_a_fan_out_of_eight_messages_to_each_of_twenty_chats_draws_no_429(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-06-03 10:00"))  # the bot's own pacing (pace=True)
    for chat in CHATS:
        bot.emu.add_user(chat, f"用户{chat}").started = True
    messages = [
        NewMessage(f"reminder:fan:{chat}:{n}", "reminder", f"m{chat}", chat, bot.clock.now(),
                   f"第 {n} 条", task_id="t02", bureau_id="eco")
        for n in range(8) for chat in CHATS
    ]  # fmt: skip
    await bot.runtime.write(Store.outbox_add, messages, bot.clock.now())
    assert await bot.duban.engine.flush() == len(messages)

    assert _refused(bot.emu) == 0  # the emulator never answered 429
    for chat in CHATS:  # each chat got its eight, once each, in order
        assert [m["text"] for m in bot.messages(chat)] == [f"第 {n} 条" for n in range(8)]
    states = Counter(
        row[0] for row in bot.rows("SELECT state FROM outbox WHERE key LIKE 'reminder:fan:%'")
    )
    assert states == {"sent": len(messages)}


async def test_an_answer_to_a_user_goes_before_the_bulk_sends_queued_ahead_of_it(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-06-03 10:00"))
    await bot.start_users(ECO)
    for chat in CHATS:
        bot.emu.add_user(chat, f"用户{chat}").started = True
    messages = [
        NewMessage(f"reminder:fan:{chat}:{n}", "reminder", f"m{chat}", chat, bot.clock.now(),
                   f"第 {n} 条", task_id="t02", bureau_id="eco")
        for n in range(5) for chat in CHATS
    ]  # fmt: skip
    await bot.runtime.write(Store.outbox_add, messages, bot.clock.now())
    fan_out = asyncio.create_task(bot.duban.engine.flush())
    await bot.emu.wait_for(CHATS[9], 1)  # the fan-out is under way (round robin: ten sent)
    await bot.say(ECO, "/mytasks")
    await fan_out

    accepted = [s["chat_id"] for s in bot.emu.sends if s["ok"]]
    start = next(n for n, chat in enumerate(accepted) if chat in CHATS)
    answer = accepted.index(ECO, start)
    assert answer - start < 20  # with the next free slots, not after the ~90 queued
    assert len(accepted) - start == len(messages) + 1
    assert _refused(bot.emu) == 0


async def test_a_429_that_still_comes_is_waited_out_retried_and_counted(emu: Emulator) -> None:
    emu.set_limits(Limits(chat_burst=1))  # stricter than the limiter's burst of 3
    limiter = Limiter()
    bot = await _bot(emu, limiter)
    with bulk():
        for n in range(3):
            await bot.send_message(CHATS[0], f"第 {n} 条")
    assert [m["text"] for m in emu.bot_messages(CHATS[0])] == ["第 0 条", "第 1 条", "第 2 条"]
    assert limiter.stats()["retried_429"] == _refused(emu) > 0  # each refusal waited out
    assert limiter.stats()["sent"] == 3
    await bot.shutdown()


async def test_a_group_gets_at_most_its_share_of_a_window(emu: Emulator) -> None:
    emu.add_group(-100, "各街道群", list(CHATS))
    emu.set_limits(Limits(group_per_minute=3, group_window_seconds=2.0))
    limiter = Limiter(Rules(group=3, group_window=2.0))
    bot = await _bot(emu, limiter)
    for n in range(7):
        await bot.send_message(-100, f"通知 {n}")
    assert len(emu.bot_messages(-100)) == 7 and _refused(emu) == 0
    await bot.shutdown()


async def test_what_is_not_a_message_is_never_held(emu: Emulator) -> None:
    limiter = Limiter(Rules(overall=1, window=60.0))  # one message a minute
    bot = await _bot(emu, limiter)
    await bot.send_message(CHATS[0], "唯一一条")
    assert (await bot.get_me()).username  # not a message: goes at once
    message = emu.bot_messages(CHATS[0])[0]
    await bot.edit_message_text("改过的", chat_id=CHATS[0], message_id=message["message_id"])
    assert emu.bot_messages(CHATS[0])[0]["text"] == "改过的"
    await bot.shutdown()


async def test_the_running_bot_paces_with_this_limiter_unless_told_not_to(
    make_bot: MakeBot,
) -> None:
    paced = await make_bot(at("2025-06-03 10:00"), pace=True)
    assert isinstance(paced.app.bot.rate_limiter, Limiter)
    unpaced = await make_bot(at("2025-06-03 10:00"), pace=False)
    assert unpaced.app.bot.rate_limiter is None
