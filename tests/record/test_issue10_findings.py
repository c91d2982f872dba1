"""The record can be trusted (issue #10): one test per finding, each as a user would see it.

Each test drives the real bot (PTB application, engine, SQLite file) against the Bot API
emulator on a clock moved by hand (see tests/harness.py).
"""

from __future__ import annotations

import asyncio
import io
import re

import pytest
from harness import ADMIN, COORD, ECO, STREETS, TABLE, Harness, MakeBot, buttons
from openpyxl import load_workbook
from support import at
from telegram import Bot

from bot.cli import main as cli
from bot.transport import RetryingRequest

STATUS = ("a:d", "a:o", "a:r", "a:b", "a:n")


async def bound(bot: Harness, *users: int) -> None:
    await bot.start_users(*users)


def updates(bot: Harness) -> list[tuple[object, ...]]:
    return bot.rows(
        "SELECT task_id, subtask_id, kind, note, progress FROM status_updates ORDER BY id"
    )


# 1. Indicator prompts answer like task reminders ---------------------------------------------


async def test_f1_an_indicator_follow_up_asks_for_the_reading_and_records_it(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-07-03 08:00"))
    await bound(bot, ECO, ADMIN, COORD)
    bot.set_time(at("2023-07-03 09:00"))  # first working day of Q3: pm25's check-in
    await bot.tick()
    prompt = bot.last(ECO, "细颗粒物平均浓度")
    assert not set(buttons(prompt)) & set(STATUS)
    bot.set_time(at("2023-07-06 09:00"))  # three working days later, unanswered
    await bot.tick()
    follow_up = bot.last(ECO, "催办", "细颗粒物平均浓度")
    text = follow_up["text"]
    assert "微克/立方米" in text and "49" in text  # unit and target
    assert "任务 2" not in text
    assert not set(buttons(follow_up)) & set(STATUS)  # no task status buttons
    await bot.say(ECO, "46", reply_to=follow_up["message_id"])
    assert bot.rows("SELECT indicator_id, value FROM readings") == [("pm25", 46.0)]
    assert updates(bot) == []  # nothing filed against task 2
    seen = len(bot.messages(ECO))
    bot.set_time(at("2023-07-11 09:00"))  # answered: no second follow-up, no escalation
    await bot.tick()
    assert not any("细颗粒物" in t for t in bot.texts(ECO)[seen:])
    assert not any("催办升级" in t for t in bot.texts(COORD))


async def test_f1_a_no_data_answer_to_an_indicator_prompt_is_recorded(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-07-03 08:00"))
    await bound(bot, ECO)
    bot.set_time(at("2023-07-03 09:00"))
    await bot.tick()
    prompt = bot.last(ECO, "细颗粒物平均浓度")
    await bot.say(ECO, "暂无数据，监测站数据下月发布", reply_to=prompt["message_id"])
    rows = bot.rows("SELECT indicator_id, value, note FROM readings")
    assert rows == [("pm25", None, "暂无数据，监测站数据下月发布")]
    bot.set_time(at("2023-07-06 09:00"))
    await bot.tick()
    assert not any("催办" in t for t in bot.texts(ECO))


def test_f1_plan_names_the_indicator_not_its_task(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    config = tmp_path / "tasks.yaml"
    config.write_text(TABLE, "utf-8")
    args = ["plan", "--config", str(config), "--no-db"]
    assert cli([*args, "--from", "2023-07-03", "--to", "2023-07-03"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "reading" in line]
    assert lines and all("任务" not in line for line in lines)
    assert any("细颗粒物平均浓度" in line for line in lines)


async def test_f1_digest_names_the_unanswered_indicator(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-07-03 08:00"))
    await bound(bot, ECO, ADMIN, COORD)
    bot.set_time(at("2023-07-03 09:00"))
    await bot.tick()
    bot.set_time(at("2023-07-10 09:00"))  # the Monday digest
    await bot.tick()
    digest = bot.last(COORD, "督办周报")["text"]
    unanswered = digest.split("提醒未回复", 1)[1].split("\n\n", 1)[0]
    assert "细颗粒物平均浓度" in unanswered


# 2. A note is lost in disambiguation ----------------------------------------------------------


async def test_f2_texts_sent_while_the_bot_asks_which_task_are_all_kept(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO)
    await bot.say(ECO, "道路扬尘治理已完成一半")  # ECO has tasks 1 and 2 open
    ask = bot.last(ECO, "对应的任务")
    assert {"w:t01", "w:t02"} <= set(buttons(ask))
    await bot.say(ECO, "另外，资金已经到位")  # a second text before choosing
    await bot.press(ECO, bot.last(ECO, "对应的任务"), "w:t02")
    notes = [r[3] for r in updates(bot)]
    assert notes == ["道路扬尘治理已完成一半", "另外，资金已经到位"]
    assert all(r[0] == "t02" for r in updates(bot))


async def test_f2_a_task_number_typed_instead_of_pressed_files_the_kept_text(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO)
    await bot.say(ECO, "进度40%，招标完成")
    await bot.say(ECO, "2")
    assert [(r[0], r[3], r[4]) for r in updates(bot)] == [("t02", "进度40%，招标完成", 40)]


# 3. "逾期" names tasks that are not overdue --------------------------------------------------


async def test_f3_overdue_lists_only_tasks_past_their_deadline(make_bot: MakeBot) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:b")  # blocked, due 2025
    await bot.say(COORD, "/overdue")
    answer = bot.last(COORD, "逾期")["text"]
    overdue, _, others = answer.partition("报告遇到困难")
    assert "打好蓝天保卫战" not in overdue
    assert "打好蓝天保卫战" in others  # shown under its reason
    bot.set_time(at("2023-06-05 09:00"))  # Monday: the digest
    await bot.tick()
    digest = bot.last(COORD, "督办周报")["text"]
    overdue = re.search(r"<b>逾期</b>\n(.*?)(\n\n|$)", digest, re.S)
    assert overdue is None or "打好蓝天保卫战" not in overdue.group(1)


# 4. One report colours every sub-item ----------------------------------------------------------

SUB_LED_BY_ECON = TABLE.replace(
    "        text: 推进工业领域污染治理\n        lead: 生态环境局\n        cooperating: [经济发展局]\n",
    "        text: 推进工业领域污染治理\n        lead: 经济发展局\n        cooperating: [生态环境局]\n",
)


async def test_f4_a_task_level_report_does_not_paint_sub_items_led_by_others(
    make_bot: MakeBot,
) -> None:
    assert SUB_LED_BY_ECON != TABLE
    bot = await make_bot(at("2023-06-01 10:00"), SUB_LED_BY_ECON)
    await bound(bot, ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:b")
    await bot.say(COORD, "/status 2")
    detail = bot.last(COORD, "任务 2：")["text"]
    sub_line = next(line for line in detail.splitlines() if "推进工业领域污染治理" in line)
    assert not sub_line.startswith("🔴")
    assert "按任务整体" in sub_line
    await bot.say(COORD, "/export")
    doc = bot.messages(COORD)[-1]
    assert doc.get("document")
    sheet = load_workbook(io.BytesIO(bot.client.file(doc["document"]["file_id"]))).worksheets[0]
    row = next(r for r in sheet.iter_rows(values_only=True) if r[2] == "推进工业领域污染治理")
    assert "张联络" not in [str(v) for v in row if v is not None]


# 5. After 退回, a task blocked before the claim turns green ------------------------------------


async def test_f5_returning_a_claim_restores_the_light_from_the_reports_before_it(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:b")
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:d")
    claim = bot.last(COORD, "申请办结")
    back = next(d for d in buttons(claim) if d.startswith("c:rt:"))
    await bot.press(COORD, claim, back)
    await bot.say(COORD, "请补充验收材料")
    await bot.say(COORD, "/status 2")
    detail = bot.last(COORD, "任务 2：")["text"]
    assert "🔴" in detail.splitlines()[-1] or "当前状态：🔴" in detail
    assert "报告遇到困难" in detail


# 6. Buttons stay live after they were answered -------------------------------------------------


async def test_f6_an_answered_reminder_shows_the_choice_and_loses_its_buttons(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bound(bot, ECO)
    bot.set_time(at("2024-11-29 09:00"))  # the 30-day reminder of sub-item t02-2 (2024年底)
    await bot.tick()
    reminder = bot.last(ECO, "节点提醒", "加强移动源排放控制")
    await bot.press(ECO, reminder, "a:o")
    after = next(m for m in bot.messages(ECO) if m["message_id"] == reminder["message_id"])
    assert buttons(after) == []
    assert "已记录：正常推进 ✓" in after["text"] and "张联络" in after["text"]


async def test_f6_a_handled_claim_loses_its_buttons_on_every_coordinators_copy(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO, ADMIN, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:d")
    mine, theirs = bot.last(COORD, "申请办结"), bot.last(ADMIN, "申请办结")
    ok = next(d for d in buttons(mine) if d.startswith("c:ok:"))
    await bot.press(COORD, mine, ok)
    for chat, message in ((COORD, mine), (ADMIN, theirs)):
        now = next(m for m in bot.messages(chat) if m["message_id"] == message["message_id"])
        assert buttons(now) == []
        assert "已确认办结" in now["text"] and "赵督办" in now["text"]


# 8. Slow answers from Telegram double reminders ------------------------------------------------


async def test_f8_a_send_whose_answer_never_came_is_delivery_unknown_and_not_resent(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2024-11-29 08:00"))
    await bound(bot, ECO, COORD)
    bot.set_time(at("2024-11-29 09:00"))
    bot.client.set_faults(drop_rate=1.0, seed=1)  # the connection closes after the request left
    await bot.tick()
    bot.client.set_faults()
    before = len(bot.messages(ECO))
    for _ in range(3):  # the next runs of the scheduler send nothing again
        bot.advance(minutes=10)
        await bot.tick()
    assert len(bot.messages(ECO)) == before
    states = dict(bot.rows("SELECT key, state FROM outbox WHERE recipient = 'eco-1'"))
    assert set(states.values()) == {"unknown"}
    await bot.say(COORD, "/status")
    assert "送达情况不明" in bot.last(COORD, "分工表总览")["text"]


# 9. A clock moved back hides newer answers ----------------------------------------------------


async def test_f9_the_latest_answer_is_the_last_recorded_even_if_the_clock_went_back(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO, COORD)
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:r")
    bot.advance(days=-2)  # the server's clock was corrected backwards
    await bot.say(ECO, "/update 2")
    await bot.press(ECO, bot.last(ECO, "目前进展如何"), "u:t02:o")
    await bot.say(COORD, "/status 2")
    detail = bot.last(COORD, "任务 2：")["text"]
    assert "报告存在风险" not in detail
    assert "当前状态：🟢" in detail


# 10. Readings accept infinities ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "9" * 400,
        "1e400",
        "inf",
        "-5",
        "nan",
    ],
)
async def test_f10_a_non_finite_or_implausible_reading_is_refused_with_an_example(
    make_bot: MakeBot, value: str
) -> None:
    bot = await make_bot(at("2023-06-01 10:00"))
    await bound(bot, ECO)
    await bot.say(ECO, f"/report pm25 {value}")
    assert "例如" in bot.texts(ECO)[-1]
    assert bot.rows("SELECT value FROM readings") == []
    await bot.say(ECO, "/report pm25 47.5")
    assert bot.rows("SELECT value FROM readings") == [(47.5,)]


# 11. A summary too long for one message is never delivered ------------------------------------


def many_tasks(n: int) -> str:
    tasks = "".join(
        f"  - {{id: t{i:03d}, number: {i}, section: s1, title: 第{i}项重点工作任务名称相当长需要写清楚, "
        "lead: eco, deadline: 2023年底}\n"
        for i in range(1, n + 1)
    )
    return (
        "version: 1\ndocument: {title: 测试, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}\n"
        "policy: {reminder_offsets_days: [30]}\n"
        "people:\n  - {id: coord-1, name: 赵督办, roles: [admin, coordinator], telegram_id: 1002}\n"
        "bureaus:\n  - id: eco\n    name: 生态环境局\n    contacts:\n"
        "      - {id: eco-1, name: 张联络, telegram_id: 2001}\n"
        "  - id: streets\n    name: 各街道、镇\n    every_task: true\n    contacts:\n"
        "      - {id: streets-1, name: 街道联络, telegram_id: 2003}\n"
        f"sections:\n  - {{id: s1, number: 一, title: 第一部分}}\ntasks:\n{tasks}"
    )


async def test_f11_a_long_summary_is_split_and_every_item_delivered_once(
    make_bot: MakeBot,
) -> None:
    bot = await make_bot(at("2023-12-01 08:00"), many_tasks(150))
    await bound(bot, ECO, STREETS)
    bot.set_time(at("2023-12-01 09:00"))
    await bot.tick()
    await bot.tick()
    for chat, member in ((ECO, "eco-1"), (STREETS, "streets-1")):
        messages = {m["message_id"]: m for m in bot.messages(chat)[1:]}  # after the welcome
        assert len(messages) >= 2 and all(len(m["text"]) <= 4096 for m in messages.values())
        rows = bot.rows(
            "SELECT task_id, state, message_id FROM outbox WHERE recipient = ? AND kind = 'reminder'",
            member,
        )
        assert len(rows) == 150 and {r[1] for r in rows} == {"sent"}
        for task_id, _, message_id in rows:  # each item in the message that carried it
            number = int(task_id[1:])
            assert f"任务 {number}「第{number}项" in messages[message_id]["text"]


# 12. Answers lost on a timeout that never reached Telegram -------------------------------------


async def test_f12_a_send_that_timed_out_waiting_for_a_connection_is_retried(
    emulator_http: tuple[str, object],
) -> None:
    base, client = emulator_http
    client.reset()  # type: ignore[attr-defined]
    client.add_user(ECO, first_name="张联络")  # type: ignore[attr-defined]
    client.send(ECO, "/start")  # type: ignore[attr-defined]
    # One connection: a long poll holds it while an answer waits for the pool.
    request = RetryingRequest(connection_pool_size=1, pool_timeout=0.2)
    bot = Bot(
        "123456:HARNESS", base_url=f"{base}/bot", request=request, get_updates_request=request
    )
    async with bot:
        poll = asyncio.create_task(bot.get_updates(offset=10**6, timeout=1))
        await asyncio.sleep(0.05)
        message = await bot.send_message(ECO, "/status 的回答")
        await poll
    assert message.text == "/status 的回答"
    assert client.bot_messages(ECO)[-1]["text"] == "/status 的回答"  # type: ignore[attr-defined]
