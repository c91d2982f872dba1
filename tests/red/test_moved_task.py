"""Red team: a task moved to another lead bureau by a YAML edit while its reminder to the
old bureau is still unanswered."""

from __future__ import annotations

from harness import ADMIN, COORD, ECO, ECON, TABLE, Harness, MakeBot, buttons
from support import at

#: Task 2 (and its sub-items) moved from 生态环境局 to 经济发展局.
MOVED = (
    TABLE.replace(
        "    title: 打好蓝天保卫战\n    lead: 生态环境局\n",
        "    title: 打好蓝天保卫战\n    lead: 经济发展局\n",
    )
    .replace("        lead: 生态环境局\n        cooperating: [经济发展局]\n", "")
    .replace("    owner: 生态环境局\n", "    owner: 经济发展局\n")
)


async def reminded_then_moved(make_bot: MakeBot) -> Harness:
    bot = await make_bot(at("2025-12-01 08:00"))
    await bot.start_users(ECO, ECON, ADMIN, COORD)
    bot.set_time(at("2025-12-01 09:00"))
    await bot.tick()
    assert any("打好蓝天保卫战" in t for t in bot.texts(ECO))
    bot.config.write_text(MOVED, encoding="utf-8")
    await bot.duban.reload("test", explicit=True)
    return bot


async def test_the_old_bureau_is_not_chased_about_a_task_it_no_longer_has(
    make_bot: MakeBot,
) -> None:
    bot = await reminded_then_moved(make_bot)
    before = len(bot.texts(ECO))
    for day in ("2025-12-04", "2025-12-05", "2025-12-08", "2025-12-09", "2025-12-10",
                "2025-12-11", "2025-12-12", "2025-12-15"):  # fmt: skip
        bot.set_time(at(f"{day} 09:00"))
        await bot.tick()
    chased = [t for t in bot.texts(ECO)[before:] if "催办" in t and "蓝天" in t]
    assert chased == []
    escalated = [t for t in bot.texts(COORD) if "催办升级" in t and "蓝天" in t]
    assert escalated == [], escalated


async def test_the_new_lead_can_answer_and_the_old_one_cannot(make_bot: MakeBot) -> None:
    bot = await reminded_then_moved(make_bot)
    old = bot.last(ECO, "节点提醒", "打好蓝天保卫战")
    if buttons(old):
        await bot.press(ECO, old, "a:r")
    assert bot.rows("SELECT count(*) FROM status_updates WHERE bureau_id = 'eco'") == [(0,)]
    await bot.say(ECON, "/update 2")
    await bot.press(ECON, bot.last(ECON, "目前进展如何"), "u:t02:r")
    assert bot.rows("SELECT task_id, bureau_id, kind FROM status_updates") == [
        ("t02", "econ", "at_risk")
    ]


async def test_reports_do_not_count_the_moved_tasks_old_reminder_against_the_old_bureau(
    make_bot: MakeBot,
) -> None:
    from bot.web.model import bureau_figures

    bot = await reminded_then_moved(make_bot)
    rt = bot.duban.runtime
    world = rt.world()
    figures = {
        f.bureau_id: f
        for f in bureau_figures(rt.catalogue, rt.record, world.now, world.calendar, frozenset())
    }
    # 生态环境局 still owes its reminder of task 1 (cooperating), not task 2's
    assert figures["eco"].unanswered == 1
    before = len(bot.texts(COORD))
    bot.set_time(at("2025-12-08 09:00"))  # a Monday: the weekly digest
    await bot.tick()
    digest = next(t for t in bot.texts(COORD)[before:] if "督办周报" in t)
    row = next(
        line for line in digest.splitlines() if line.startswith("• 生态环境局：") and "条（" in line
    )
    assert "2" not in row.split("（")[1], row
