"""Issue #13, 延期申请: a contact asks for more time under a reminder or with /extend, every
coordinator gets the request, one decides for all; an approved extension is the item's
effective deadline (plan, lights, /status, `duban plan --json`); a refusal reaches the contact
with its reason; an admin's edit of that deadline in the YAML wins and closes it."""

from __future__ import annotations

import json
from pathlib import Path

from harness import ADMIN, COORD, ECO, TABLE, Harness, MakeBot, buttons
from support import at

from bot.cli import main


async def remind(make_bot: MakeBot) -> tuple[Harness, dict[str, object]]:
    """The 30-day reminder of sub-item t02-2 (2024年底) reaches 张联络 on 2024-11-29."""
    bot = await make_bot(at("2024-11-29 08:00"))
    await bot.start_users(ECO, COORD, ADMIN)
    bot.set_time(at("2024-11-29 09:00"))
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")
    assert "e:" in buttons(reminder)
    return bot, reminder


def plan_keys(bot: Harness, capsys: object) -> list[str]:
    code = main(
        ["plan", "--config", str(bot.config), "--db", str(bot.db_path), "--json",
         "--from", "2024-12-02", "--to", "2025-03-31"]
    )  # fmt: skip
    out, err = capsys.readouterr()  # type: ignore[attr-defined]
    assert code == 0, err
    return [i["key"] for i in json.loads(out) if i["subtask"] == "t02-2"]


async def test_extension_requested_approved_and_planned(make_bot: MakeBot, capsys: object) -> None:
    bot, reminder = await remind(make_bot)
    before = plan_keys(bot, capsys)
    assert any(":2024-12-31:7d:" in k for k in before)
    await bot.press(ECO, reminder, "e:")
    assert "请回复新的完成时限和理由" in bot.texts(ECO)[-1]
    await bot.say(ECO, "2025年3月底 车辆检测设备到货推迟")
    assert "已提交延期申请" in bot.texts(ECO)[-1]
    copies = [bot.last(COORD, "延期申请", "车辆检测设备到货推迟"), bot.last(ADMIN, "延期申请")]
    assert buttons(copies[0]) == ["x:ok:1", "x:no:1"]
    assert "申请延期至：2025年3月底" in copies[0]["text"]

    bot.advance(minutes=5)
    await bot.press(COORD, copies[0], "x:ok:1")
    # every coordinator's copy says who decided, without buttons
    for chat in (COORD, ADMIN):
        copy = bot.last(chat, "延期申请", "已批准（赵督办")
        assert buttons(copy) == []
    assert "延期申请已批准" in bot.texts(ECO)[-1] and "2025年3月底" in bot.texts(ECO)[-1]
    # the effective deadline: the plan is re-keyed to the new date
    after = plan_keys(bot, capsys)
    assert not any(":2024-12-31:" in k for k in after)
    assert any(":2025-03-31:30d:" in k for k in after)
    # /status shows the original wording and the extension
    await bot.say(COORD, "/status 2")
    text = bot.texts(COORD)[-1]
    assert "原定 2024年底，经批准延期至 2025年3月底（赵督办，2024-11-29）" in text
    assert "📅" in text
    assert bot.rows("SELECT kind FROM extension_events") == [("approved",)]


async def test_extension_refused_with_a_reason(make_bot: MakeBot) -> None:
    bot, _ = await remind(make_bot)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    notice = bot.last(COORD, "延期申请", "资金下达推迟")
    await bot.press(COORD, notice, "x:no:1")
    assert "驳回" in bot.texts(COORD)[-1] and "理由" in bot.texts(COORD)[-1]
    await bot.say(COORD, "请先按原计划推进，年底前再评估")
    assert "延期申请未获批准" in bot.texts(ECO)[-1]
    assert "请先按原计划推进，年底前再评估" in bot.texts(ECO)[-1]
    assert "已驳回（赵督办" in bot.last(ADMIN, "延期申请")["text"]
    assert bot.rows("SELECT kind, note FROM extension_events") == [
        ("refused", "请先按原计划推进，年底前再评估")
    ]
    await bot.say(COORD, "/status 2")
    assert "2025年底（2025-12-31" in bot.texts(COORD)[-1]  # the deadline did not move
    assert "未获批准" in bot.texts(COORD)[-1]


async def test_extension_needs_a_later_date_and_a_reason(make_bot: MakeBot) -> None:
    bot, _ = await remind(make_bot)
    await bot.say(ECO, "/extend 2 2025年6月底 太忙")
    assert "不晚于现完成时限" in bot.texts(ECO)[-1]
    await bot.say(ECO, "/extend 2 下个月")
    assert "开头不是完成时限" in bot.texts(ECO)[-1]
    await bot.say(ECO, "/extend 2 2026-06-30")
    assert "请说明申请延期至 2026-06-30 的理由" in bot.texts(ECO)[-1]
    await bot.say(ECO, "等待上级资金")
    assert "已提交延期申请" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT new_text, new_due, reason FROM extensions") == [
        ("2026-06-30", "2026-06-30", "等待上级资金")
    ]
    await bot.say(ECO, "/extend 1 2026-06-30 不是本单位牵头")  # cooperating: may ask too
    assert bot.rows("SELECT count(*) FROM extensions")[0][0] == 2


async def test_a_yaml_edit_of_the_deadline_wins_and_closes_the_extension(
    make_bot: MakeBot, capsys: object
) -> None:
    bot, _ = await remind(make_bot)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    await bot.press(COORD, bot.last(COORD, "延期申请"), "x:ok:1")
    assert bot.runtime.catalogue.task("t02").deadline.due.isoformat() == "2026-06-30"
    # an unrelated edit keeps the extension
    bot.config.write_text(TABLE.replace("title: 落实主体功能区战略", "title: 落实主体功能区战略！"))
    await bot.duban.reload("test", explicit=True)
    assert bot.runtime.catalogue.task("t02").deadline.due.isoformat() == "2026-06-30"
    # the admin moves the deadline in the YAML: the edit wins
    edited = TABLE.replace(
        "    deadline: 2025年底\n    subtasks:", "    deadline: 2026年3月底\n    subtasks:"
    )
    bot.config.write_text(edited)
    report = (await bot.duban.reload("test", explicit=True)).text
    assert "经批准的延期（至 2026年6月底）随之失效" in report
    assert bot.runtime.catalogue.task("t02").deadline.text == "2026年3月底"
    assert bot.rows("SELECT kind FROM extension_events ORDER BY id") == [
        ("approved",),
        ("closed",),
    ]


def test_check_lists_active_extensions(tmp_path: Path, capsys: object) -> None:
    import datetime as dt

    from bot.core.workflow import ExtensionState
    from storage.repo import Store

    config = tmp_path / "tasks.yaml"
    config.write_text(TABLE)
    db = tmp_path / "duban.db"
    store = Store.open(db)
    ext = store.add_extension(
        task_id="t02", subtask_id=None, by="eco-1", bureau_id="eco",
        at=at("2025-11-01 10:00"), old_text="2025年底", new_text="2026年6月底",
        new_due=dt.date(2026, 6, 30), reason="资金",
    )  # fmt: skip
    store.decide_extension(ext.id, ExtensionState.APPROVED, "coord-1", at("2025-11-02 10:00"))
    store.close()
    assert main(["check", "--config", str(config), "--db", str(db)]) == 0
    out, _ = capsys.readouterr()  # type: ignore[attr-defined]
    assert "经批准的延期（1 项" in out
    assert "任务 2：原定 2025年底，延期至 2026年6月底（赵督办，2025-11-02）" in out


async def test_the_export_has_a_sheet_of_extensions_as_of_a_date(
    make_bot: MakeBot, tmp_path: Path, capsys: object
) -> None:
    import openpyxl

    bot, _ = await remind(make_bot)
    await bot.say(ECO, "/extend 2 2026年6月底 资金下达推迟")
    bot.advance(days=3)
    await bot.press(COORD, bot.last(COORD, "延期申请"), "x:ok:1")
    out = tmp_path / "x.xlsx"
    args = ["export", "--config", str(bot.config), "--db", str(bot.db_path), "--out", str(out)]
    assert main(args) == 0
    sheet = openpyxl.load_workbook(out)["延期申请"]
    row = [c.value for c in sheet[2]]
    assert row[1:3] == [2, "打好蓝天保卫战"] and row[7:11] == [
        "2025年底",
        "2026年6月底",
        "资金下达推迟",
        "已批准",
    ]
    table = openpyxl.load_workbook(out)["分工表"]
    assert any("经批准延期至 2026年6月底" in str(c.value) for r in table.iter_rows() for c in r)
    # as it stood the day after the request: awaiting a decision, the deadline not moved
    assert main([*args, "--as-of", "2024-11-30"]) == 0
    capsys.readouterr()  # type: ignore[attr-defined]
    book = openpyxl.load_workbook(out)
    assert [c.value for c in book["延期申请"][2]][10] == "待审批"
    assert not any("经批准延期" in str(c.value) for r in book["分工表"].iter_rows() for c in r)
