"""Two documents served by one bot, in chat: the shipped 2022 table and the clearly marked
sample `tests/fixtures/documents/water.yaml`. A coordinator sees each document's counts and
drills into one; a contact of a bureau with tasks in both sees them by document and reports
on the sample's task by its label; the record keys it by document and id."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from harness import COORD, ECO, MakeBot, buttons
from support import shipped_with_ids

ROOT = Path(__file__).resolve().parents[2]
WATER = (ROOT / "tests" / "fixtures" / "documents" / "water.yaml").read_text("utf-8")
TZ = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2025, 11, 3, 10, tzinfo=TZ)  # a Monday


def table() -> str:
    """The shipped table with Telegram ids for the people the tests act as."""
    return shipped_with_ids(
        {"系统管理员（示例）": 1001, "督办员（示例）": COORD, "生态环境局联络员（示例）": ECO,
         "经济发展局联络员（示例）": 2002}
    )  # fmt: skip


async def test_status_across_documents_and_into_one(make_bot: MakeBot) -> None:
    bot = await make_bot(START, table(), documents={"water.yaml": WATER})
    await bot.start_users(COORD)
    await bot.say(COORD, "/status")
    overview = bot.last(COORD, "督办总览")
    text = overview["text"]
    assert "2 份文件" in text
    assert "〔2022〕-37｜石家庄高新区管委会办公室关于进一步弘扬塞罕坝精神" in text
    assert "节水｜【测试样例】高新区节约用水行动实施方案（虚构）：3 项" in text
    assert "打好蓝天保卫战" not in text  # the tasks are one press away, by document
    assert {"v:d.tasks", "v:d.water"} <= set(buttons(overview))

    await bot.press(COORD, overview, "v:d.water")
    water = bot.last(COORD, "📄 节水")["text"]
    assert "共 3 项任务" in water and "节水-1. 制定年度用水计划" in water
    assert "节水-3. 推进工业废水循环利用" in water and "工业用水重复利用率" in water
    assert "打好蓝天保卫战" not in water and "细颗粒物" not in water

    for arg in ("节水", "〔2024〕-样例1"):
        await bot.say(COORD, f"/status {arg}")
        assert "共 3 项任务" in bot.last(COORD, "📄 节水", "制定年度用水计划")["text"]
    await bot.say(COORD, "/status 〔2022〕-37")
    primary = bot.last(COORD, "📄 〔2022〕-37")["text"]
    assert "共 16 项任务" in primary and "打好蓝天保卫战" in primary and "节水-" not in primary


async def test_a_contact_in_both_documents_reports_on_the_samples_task(make_bot: MakeBot) -> None:
    bot = await make_bot(START, table(), documents={"water.yaml": WATER})
    await bot.start_users(ECO, COORD)
    await bot.say(ECO, "/mytasks")
    mine = bot.last(ECO, "生态环境局")["text"]
    primary, sample = mine.index("📄 〔2022〕-37｜"), mine.index("📄 节水｜")
    assert (
        primary < mine.index("打好蓝天保卫战") < sample < mine.index("节水-3. 推进工业废水循环利用")
    )

    await bot.say(ECO, "/update 节水-3")
    ask = bot.last(ECO, "节水-3")
    assert "u:water.w03:o" in buttons(ask)
    await bot.press(ECO, ask, "u:water.w03:o")
    assert bot.rows("SELECT task_id, kind, by_member FROM status_updates") == [
        ("water.w03", "on_track", "eco-1")
    ]
    await bot.say(ECO, "/update 3")  # the 2022 table's task 3 is not 生态环境局's: 节水-3 is
    again = bot.messages(ECO)[-1]
    assert "节水-3" in again["text"] and "建设美丽宜居乡村" not in again["text"]
    assert "u:water.w03:d" in buttons(again)
    await bot.say(COORD, "/status 节水-3")
    detail = bot.last(COORD, "推进工业废水循环利用", "最近记录")["text"]
    assert "正常推进" in detail and "生态环境局联络员（示例）" in detail
