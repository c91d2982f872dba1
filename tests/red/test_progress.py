"""Red team: a note that mentions other percentages before its progress (government reports
are full of them: 同比下降12%, 占比30%) must not record those as the progress."""

from __future__ import annotations

import pytest
from harness import COORD, ECO, MakeBot
from support import at

from bot.core.parse import parse_progress


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PM2.5浓度同比下降12%，整体进度80%", 80),
        ("资金到位率45%，工程完成70%", 70),
        ("同比下降12%", None),
        ("新能源车占比30%，已完成招标", None),
        ("优良天数比例提高5%", None),
        ("60%", 60),
        ("目前进度：75％，按计划推进", 75),
        ("已完成 90%，下周验收", 90),
        ("约60%，按计划推进", 60),
    ],
)
def test_only_the_progress_is_read_as_progress(text: str, expected: int | None) -> None:
    assert parse_progress(text) == expected


async def test_a_reply_with_other_percentages_records_the_progress(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, COORD)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    await bot.say(ECO, "PM2.5浓度同比下降12%，整体进度80%", reply_to=reminder["message_id"])
    assert bot.rows("SELECT progress FROM status_updates") == [(80,)]
