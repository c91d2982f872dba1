"""Red team: photos and documents that arrive around a completion claim's decision, and
what a caption says."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, Harness, MakeBot, buttons
from support import at

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x30" + bytes(range(256)) * 8


async def claimed(make_bot: MakeBot) -> tuple[Harness, int]:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    await bot.press(ECO, bot.last(ECO, "节点提醒", "加强移动源排放控制"), "a:d")
    claim_id = bot.rows("SELECT id FROM status_updates WHERE kind = 'done_claimed'")[0][0]
    return bot, claim_id


async def test_a_photo_after_the_claim_was_confirmed_leaves_the_decision_in_place(
    make_bot: MakeBot,
) -> None:
    bot, claim_id = await claimed(make_bot)
    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:ok:{claim_id}")
    for chat in (COORD, ADMIN):
        assert "已确认办结" in bot.last(chat, "申请办结")["text"]

    bot.advance(minutes=5)
    bot.emu.user_photo(ECO, PNG)  # still within the claim's 24 hours of asking for evidence
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(1,)]  # kept: nothing said is lost
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "已确认办结" in copy["text"], copy["text"]
        assert buttons(copy) == []  # a decided claim offers no 确认办结/退回 again


async def test_a_photo_after_the_claim_was_returned_leaves_the_decision_in_place(
    make_bot: MakeBot,
) -> None:
    bot, claim_id = await claimed(make_bot)
    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:rt:{claim_id}")
    await bot.say(COORD, "验收报告未附")
    assert "已退回" in bot.last(COORD, "申请办结")["text"]

    bot.advance(minutes=5)
    bot.emu.user_photo(ECO, PNG)
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(1,)]
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "已退回" in copy["text"], copy["text"]
        assert buttons(copy) == []


async def test_confirming_a_claim_keeps_its_evidence_on_every_copy(make_bot: MakeBot) -> None:
    bot, claim_id = await claimed(make_bot)
    bot.emu.user_photo(ECO, PNG)
    await bot.pump()
    sha = bot.rows("SELECT sha256 FROM evidence")[0][0]
    assert f"SHA-256 {sha[:12]}" in bot.last(COORD, "申请办结")["text"]

    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:ok:{claim_id}")
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "已确认办结" in copy["text"]
        assert f"SHA-256 {sha[:12]}" in copy["text"], copy["text"]
        assert "佐证材料：待提交" not in copy["text"], copy["text"]


async def test_the_caption_of_a_photo_is_recorded_against_its_item(make_bot: MakeBot) -> None:
    bot, _ = await claimed(make_bot)
    bot.emu.user_photo(ECO, PNG, caption="验收报告第3页，已盖章，进度100%")
    await bot.pump()
    notes = bot.rows("SELECT task_id, subtask_id, note FROM status_updates WHERE kind = 'note'")
    assert ("t02", "t02-2", "验收报告第3页，已盖章，进度100%") in notes


async def test_many_files_keep_the_claim_copies_within_telegrams_limit(
    make_bot: MakeBot,
) -> None:
    """A site inspection sent as 80 photos: each coordinator's copy must still take the
    decision (an edit over 4096 characters is refused by Telegram and the copy keeps its
    buttons)."""
    bot, claim_id = await claimed(make_bot)
    for n in range(80):
        bot.emu.user_photo(ECO, PNG + bytes([n]))
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(80,)]
    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:ok:{claim_id}")
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "已确认办结" in copy["text"], copy["text"][-200:]
        assert buttons(copy) == []
        assert "80" in copy["text"]  # how many files there are is still said


async def test_files_sent_before_the_claim_go_with_it(make_bot: MakeBot) -> None:
    """The natural order: the proof first (a reply to the reminder), then 已完成. The
    coordinators' claim must not say 待提交 while the files are already there."""
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")
    bot.emu.user_photo(ECO, PNG, reply_to=reminder["message_id"])
    await bot.pump()
    sha = bot.rows("SELECT sha256 FROM evidence")[0][0]
    bot.advance(minutes=2)
    await bot.press(ECO, reminder, "a:d")
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "佐证材料：待提交" not in copy["text"], copy["text"]
        assert f"SHA-256 {sha[:12]}" in copy["text"]
        assert any(m.get("photo") for m in bot.messages(chat))
