"""Issue #13, 佐证材料: a photo sent with a completion claim is recorded (file id, the file
in the data directory with mode 0600, SHA-256, size, name, sender, time), shown to the
coordinators with the claim, then confirmed; a document in reply to a reminder is evidence
of that item; /status TASK and the export list the evidence; strangers' files are not kept."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import openpyxl
from harness import ADMIN, COORD, ECO, STRANGER, Harness, MakeBot, buttons
from support import at

from bot.cli import main

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x40\x00\x00\x00\x30" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n" + "验收报告".encode() * 100


async def reminded(make_bot: MakeBot) -> tuple[Harness, dict[str, object]]:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    return bot, bot.last(ECO, "节点提醒", "加强移动源排放控制")


async def test_photo_with_a_completion_claim_seen_by_coordinators_then_confirmed(
    make_bot: MakeBot,
) -> None:
    bot, reminder = await reminded(make_bot)
    await bot.press(ECO, reminder, "a:d")
    assert "请发送照片或文件作为佐证材料" in bot.texts(ECO)[-1]
    claim = bot.last(COORD, "申请办结")
    assert "佐证材料：待提交" in claim["text"]

    bot.advance(minutes=3)
    bot.emu.user_photo(ECO, PNG)
    await bot.pump()
    assert "已收到佐证材料" in bot.texts(ECO)[-1]
    ((ev_id, task, sub, claim_id, by, size, sha, path, file_id, name),) = bot.rows(
        "SELECT id, task_id, subtask_id, claim_id, by_member, size, sha256, path, "
        "telegram_file_id, file_name FROM evidence"
    )
    assert (task, sub, by) == ("t02", "t02-2", "eco-1")
    claim_update = bot.rows("SELECT id FROM status_updates WHERE kind = 'done_claimed'")[0][0]
    assert claim_id == claim_update
    kept = bot.db_path.parent / path
    assert kept.read_bytes() == PNG and size == len(PNG)
    assert sha == hashlib.sha256(PNG).hexdigest()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert name.startswith("photo-") and file_id

    # every coordinator's copy of the claim lists it (buttons kept), and they get the photo
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "申请办结")
        assert "佐证材料：待提交" not in copy["text"]
        assert f"SHA-256 {sha[:12]}" in copy["text"]
        assert buttons(copy) == [f"c:ok:{claim_id}", f"c:rt:{claim_id}"]
        shown = bot.messages(chat)[-1]
        assert shown.get("photo") and "佐证材料" in shown.get("caption", "")

    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:ok:{claim_id}")
    assert bot.rows("SELECT kind FROM status_updates ORDER BY id DESC LIMIT 1") == [("closed",)]
    await bot.say(COORD, "/status 2")
    status = bot.texts(COORD)[-1]
    assert "佐证材料" in status and f"SHA-256 {sha[:12]}" in status and "张联络" in status
    assert ev_id == 1


async def test_a_document_in_reply_to_a_reminder_is_evidence_of_its_item(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot, reminder = await reminded(make_bot)
    bot.emu.user_document(ECO, PDF, "验收报告.pdf", reply_to=reminder["message_id"])
    await bot.pump()
    assert "验收报告.pdf" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT task_id, subtask_id, file_name, claim_id FROM evidence") == [
        ("t02", "t02-2", "验收报告.pdf", None)
    ]
    out = tmp_path / "e.xlsx"
    assert (
        main(["export", "--config", str(bot.config), "--db", str(bot.db_path), "--out", str(out)])
        == 0
    )
    row = [c.value for c in openpyxl.load_workbook(out)["佐证材料"][2]]
    assert row[0] == 2 and row[3] == "验收报告.pdf" and row[5] == "张联络"
    assert row[7] == hashlib.sha256(PDF).hexdigest()


async def test_files_from_strangers_and_without_an_item_are_not_kept(make_bot: MakeBot) -> None:
    bot, _ = await reminded(make_bot)
    bot.emu.user_photo(STRANGER, PNG)
    bot.emu.user_document(ECO, PDF, "随手.pdf")  # no reply, nothing asked: which task?
    await bot.pump()
    assert bot.rows("SELECT count(*) FROM evidence") == [(0,)]
    assert "回复（引用）提醒消息" in bot.texts(ECO)[-1]
    assert not (bot.db_path.parent / "evidence").exists()
