"""Issue #10: sends under a bad network. Answers that come late are waited for (no message
twice), refused connections are tried again (no message lost), and a send whose answer never
comes is recorded as of unknown delivery, never sent again by itself."""

from __future__ import annotations

import pytest
from harness import MakeBot
from support import at

N = 35


def many_contacts(n: int) -> str:
    bureaus = "".join(
        f"  - id: b{i}\n    name: 单位{i}局\n    contacts:\n"
        f"      - {{id: c{i}, name: 联络{i}, telegram_id: {3000 + i}}}\n"
        for i in range(n)
    )
    coop = ", ".join(f"b{i}" for i in range(1, n))
    return (
        "version: 1\ndocument: {title: 测试, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}\n"
        "policy: {reminder_offsets_days: [30]}\n"
        "people:\n  - {id: coord-1, name: 赵督办, roles: [admin, coordinator], telegram_id: 1002}\n"
        f"bureaus:\n{bureaus}"
        "sections:\n  - {id: s1, number: 一, title: 第一部分}\n"
        "tasks:\n  - {id: t01, number: 1, section: s1, title: 一项任务, lead: b0, "
        f"cooperating: [{coop}], deadline: 2023年底}}\n"
    )


async def _fan_out(make_bot: MakeBot, **faults: float) -> dict[int, int]:
    bot = await make_bot(at("2023-12-01 08:00"), many_contacts(N))
    for i in range(N):
        bot.client.add_user(3000 + i, f"联络{i}")
    await bot.start_users(*(3000 + i for i in range(N)))
    bot.set_time(at("2023-12-01 09:00"))
    bot.client.set_faults(seed=11, **faults)
    await bot.tick()
    for _ in range(3):  # the scheduler's next runs
        bot.advance(minutes=5)
        await bot.tick()
    bot.client.set_faults()
    return {i: sum("节点提醒" in t for t in bot.texts(3000 + i)) for i in range(N)}


@pytest.mark.slow
async def test_answers_delayed_past_the_old_read_timeout_send_nothing_twice(
    make_bot: MakeBot,
) -> None:
    """20% of sendMessage answers come after 6 s (python-telegram-bot's default read timeout
    is 5 s): every contact gets the reminder exactly once."""
    counts = await _fan_out(make_bot, late_rate=0.2, late_seconds=6.0)
    assert counts == dict.fromkeys(range(N), 1)


async def test_refused_connections_lose_nothing(make_bot: MakeBot) -> None:
    """20% of connections refused (the request never reached Telegram): all delivered, once."""
    counts = await _fan_out(make_bot, refuse_rate=0.2)
    assert counts == dict.fromkeys(range(N), 1)


async def test_connect_and_pool_timeouts_lose_nothing(make_bot: MakeBot) -> None:
    counts = await _fan_out(make_bot, connect_timeout_rate=0.1, pool_timeout_rate=0.1)
    assert counts == dict.fromkeys(range(N), 1)


async def test_a_bundle_refused_for_good_is_failed_not_retried_for_ever(make_bot: MakeBot) -> None:
    """Issue #10 finding 8: the summary path shares the single message's error handling (a
    400 there was retried every tick for ever)."""
    from test_issue10_findings import many_tasks

    bot = await make_bot(at("2023-12-01 08:00"), many_tasks(6))
    await bot.start_users(2001)
    bot.emu.block(2001)  # 403 from now on
    bot.set_time(at("2023-12-01 09:00"))
    await bot.tick()
    states = {r[0] for r in bot.rows("SELECT state FROM outbox WHERE recipient = 'eco-1'")}
    assert states == {"failed"}
    bot.advance(minutes=5)
    before = bot.emu.stats()["requests"].get("sendMessage", 0)
    await bot.tick()
    assert bot.emu.stats()["requests"].get("sendMessage", 0) == before  # not tried again
