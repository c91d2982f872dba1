"""Red team: a careless admin removes a closed task and later adds a new, unrelated task
under the freed id (same section): the new task inherits the old one's history and shows as
已办结 from its first day, with no reminder ever."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, TABLE, MakeBot
from support import at

WITHOUT_T02 = TABLE[: TABLE.index("  - id: t02\n")] + TABLE[TABLE.index("indicators:\n") :].replace(
    "    task: t02\n", "    task: t01\n"
)
NEW_T02 = TABLE.replace("title: 打好蓝天保卫战", "title: 建设智慧园区平台").replace(
    "    deadline: 2025年底\n    subtasks:", "    deadline: 2027年底\n    subtasks:"
)


async def test_a_removed_tasks_id_reused_for_a_new_task_is_refused(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:d")
    claim = bot.rows("SELECT id FROM status_updates WHERE kind = 'done_claimed'")[0][0]
    await bot.press(COORD, bot.last(COORD, "申请办结"), f"c:ok:{claim}")
    assert bot.duban.runtime.record.closed("t02")

    bot.config.write_text(WITHOUT_T02, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    bot.config.write_text(NEW_T02, encoding="utf-8")
    report = (await bot.duban.reload("test", explicit=True)).text
    assert bot.duban.runtime.catalogue.task_ids == {"t01"}, report  # the edit is refused
    assert "t02" in report and "打好蓝天保卫战" in report
