"""The weekly digest's attachments (issue #12): the chart, a workbook of the week and every
answer as CSV beside it, as a coordinator receives them."""

from __future__ import annotations

import csv
import io

import pytest
from harness import ADMIN, COORD, ECO, MakeBot
from openpyxl import load_workbook
from support import at

pytestmark = pytest.mark.separate_processes  # as the bot builds them


async def test_the_digest_brings_the_chart_a_workbook_of_the_week_and_every_answer_as_csv(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2025-05-26 10:00"), pace=False)
    await bot.start_users(ECO, ADMIN, COORD)
    await bot.say(ECO, "进度40%，招标完成")  # two weeks before the digest
    await bot.say(ECO, "2")
    bot.set_time(at("2025-06-04 10:00"))  # within the digest's week
    await bot.say(ECO, "进度60%，资金已到位")
    await bot.say(ECO, "2")
    bot.set_time(at("2025-06-09 09:00"))  # Monday: the weekly digest
    await bot.tick()

    assert "督办周报" in bot.last(COORD, "督办周报")["text"]
    messages = bot.messages(COORD)
    assert any(m.get("photo") for m in messages)
    files = {m["document"]["file_name"]: m for m in messages if m.get("document")}
    assert set(files) == {"duban-20250609.xlsx", "duban-updates-20250609.csv"}

    book = load_workbook(
        io.BytesIO(bot.client.file(files["duban-20250609.xlsx"]["document"]["file_id"]))
    )
    assert book.sheetnames[0] == "分工表"
    week = [row for row in book["近7日反馈记录"].iter_rows(min_row=2, values_only=True)]
    assert [row[6] for row in week] == ["进度60%，资金已到位"]  # this week's answer only

    data = bot.client.file(files["duban-updates-20250609.csv"]["document"]["file_id"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["时间", "任务序号", "工作任务"]
    assert [r[6] for r in rows[1:]] == [
        "进度40%，招标完成",
        "进度60%，资金已到位",
    ]  # every answer, in order
    assert (
        files["duban-updates-20250609.csv"]["caption"]
        == "全部反馈记录（CSV，可用 Excel 打开），共 2 条"
    )
