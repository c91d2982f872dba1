"""Red team: a contact can send files without end, and each was downloaded into the data
directory: a flood (by mistake or on purpose) filled the disk the database lives on. Now a
contact's evidence has an allowance a day, and the disk keeps a floor free; what is refused
is said to the sender (and a full disk to the admins, once), never silently dropped."""

from __future__ import annotations

import pytest
from harness import ADMIN, COORD, ECO, MakeBot
from support import at

from bot.service import evidence


def png(n: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + n.to_bytes(4, "big") + bytes(range(256)) * 4


async def _claimed(make_bot: MakeBot):  # type: ignore[no-untyped-def]
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "逾期提醒", "加强移动源排放控制"), "a:d")
    return bot


async def test_a_contacts_files_a_day_are_capped_and_the_next_day_counts_anew(
    make_bot: MakeBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(evidence, "DAILY_FILES", 3)
    bot = await _claimed(make_bot)
    for n in range(4):
        bot.emu.user_photo(ECO, png(n))
        await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(3,)]
    assert "今天已达上限" in bot.texts(ECO)[-1]
    stored = list((bot.db_path.parent / "evidence").rglob("*.jpg"))
    assert len(stored) == 3  # the fourth was never downloaded
    bot.set_time(at("2025-12-02 09:30"))  # a new day in Beijing: in reply to the reminder
    reminder = bot.last(ECO, "逾期提醒", "加强移动源排放控制")
    bot.emu.user_photo(ECO, png(9), reply_to=reminder["message_id"])
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(4,)]


async def test_a_disk_near_full_refuses_files_and_tells_the_admins_once(
    make_bot: MakeBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot = await _claimed(make_bot)
    monkeypatch.setattr(evidence, "FREE_FLOOR", 10**18)  # more than any disk has
    for n in range(2):
        bot.emu.user_photo(ECO, png(n))
        await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(0,)]
    assert "存储空间即将用完" in bot.texts(ECO)[-1]
    warned = [x for x in bot.texts(ADMIN) if "存储空间不足" in x]
    assert len(warned) == 1 and str(bot.db_path.parent) in warned[0]
