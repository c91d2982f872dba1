"""Issue #13, answers a leader can rank (回复率排行): per bureau, reminders sent, answered,
answered within one working day, median time to answer, follow-ups, escalations, overdue
items; in /status BUREAU, in the digest (which also quotes the week's notes), and as a sheet
of the export for any period."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from harness import COORD, ECO, STREETS, Harness, MakeBot
from support import at

from bot.cli import main


async def week(make_bot: MakeBot) -> Harness:
    """生态环境局 answers the 11-29 reminder within half an hour, with a note; 各街道、镇 stays
    silent and is followed up."""
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, STREETS, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    bot.set_time(at("2024-11-29 09:30"))
    reminder = bot.last(ECO, "节点提醒")
    await bot.say(ECO, "检测设备已招标，进度60%", reply_to=reminder["message_id"])
    return bot


async def test_status_bureau_shows_the_answer_figures_and_rank(make_bot: MakeBot) -> None:
    bot = await week(make_bot)
    bot.set_time(at("2024-12-05 10:00"))
    await bot.tick()  # the follow-up to 各街道、镇 (3 working days after 11-29)
    assert bot.last(STREETS, "催办")
    await bot.say(COORD, "/status 生态环境局")
    text = bot.texts(COORD)[-1]
    assert "回复情况</b>（近 30 天）" in text or "回复情况（近 30 天）" in text
    assert (
        "发出提醒 1 条，已回复 1 条（100%），1 个工作日内回复 1 条，回复用时中位数 0.5 小时" in text
    )
    assert "回复率排行第 1 名（共 3 个单位）" in text
    await bot.say(COORD, "/status 各街道、镇")
    text = bot.texts(COORD)[-1]
    assert "发出提醒 1 条，已回复 0 条（0%）" in text and "需催办 1 次" in text
    assert "回复率排行第 2 名" in text


async def test_the_digest_ranks_bureaus_and_quotes_notes(make_bot: MakeBot) -> None:
    bot = await week(make_bot)
    bot.set_time(at("2024-12-02 09:00"))  # Monday: the digest
    await bot.tick()
    digest = bot.last(COORD, "督办周报")["text"]
    assert "回复率排行（本周）" in digest
    eco = digest.index("1. 生态环境局：回复 1/1（100%）")
    streets = digest.index("2. 各街道、镇：回复 0/1（0%）")
    assert eco < streets
    assert "“检测设备已招标，进度60%”" in digest


async def test_the_export_has_a_ranking_sheet_for_any_period(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = await week(make_bot)
    out = tmp_path / "r.xlsx"
    base = ["export", "--config", str(bot.config), "--db", str(bot.db_path), "--out", str(out)]
    assert main([*base, "--from", "2024-11-29", "--to", "2024-12-05"]) == 0
    sheet = openpyxl.load_workbook(out)["回复率排行"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=2)]
    assert rows[0][:6] == [1, "生态环境局", 1, 1, 1, "100%"]
    assert rows[0][6] == 0.5
    assert rows[1][:6] == [2, "各街道、镇", 1, 0, 0, "0%"]
    # a period before anything was sent
    assert main([*base, "--from", "2024-11-01", "--to", "2024-11-28"]) == 0
    rows = [
        [c.value for c in r] for r in openpyxl.load_workbook(out)["回复率排行"].iter_rows(min_row=2)
    ]
    assert all(r[2] == 0 for r in rows)
    assert main([*base, "--from", "2024-12-05", "--to", "2024-11-01"]) == 2
