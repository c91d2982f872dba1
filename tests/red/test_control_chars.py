"""Red team: a note with control characters (a terminal escape, a bell, a vertical tab) must
not break the export for every coordinator: the history is append-only, so it would stay
broken for good."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from harness import ADMIN, COORD, ECO, MakeBot
from support import at

from bot.cli import main

NOTE = "进度\x0b60%\x1b[31m 红色\x07"


async def test_a_note_with_control_characters_does_not_break_the_export(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:n")
    await bot.say(ECO, NOTE)
    assert bot.rows("SELECT note FROM status_updates") == [(NOTE,)]  # kept as said

    await bot.say(COORD, "/export")
    sent = bot.messages(COORD)[-1]
    assert sent.get("document"), sent.get("text")

    out = tmp_path / "e.xlsx"
    args = ["export", "--config", str(bot.config), "--db", str(bot.db_path), "--out", str(out)]
    assert main(args) == 0
    cells = [
        str(c.value)
        for ws in openpyxl.load_workbook(out).worksheets
        for row in ws.iter_rows()
        for c in row
        if c.value
    ]
    assert any("红色" in c and "60%" in c for c in cells)
