"""What users see, end to end: the real bot process against the local Bot API emulator."""

from __future__ import annotations

import io
import signal
import sqlite3
import subprocess
import sys

import pytest
from e2e_support import ADMIN, COORD, ECO, ECON, STRANGER, Env

pytestmark = pytest.mark.e2e

DEC1 = "2025-12-01T08:56:00+08:00"  # a Monday; t02 (2025年底) has its 30-day reminder at 09:00


def start_all(env: Env, *users: int) -> None:
    for user in users:
        env.client.send(user, "/start")


def updates(env: Env) -> list[tuple[str, str, str, int | None]]:
    conn = sqlite3.connect(env.db)
    rows = conn.execute(
        "SELECT task_id, kind, note, progress FROM status_updates ORDER BY id"
    ).fetchall()
    conn.close()
    return rows


def test_onboarding_reminder_button_note_and_status(env: Env) -> None:
    start_all(env, ECO, ADMIN, COORD, STRANGER)
    env.start_bot(DEC1, 60, "--tick", "0.2")
    assert "仅供" in env.wait_text(STRANGER, "管理员")["text"]
    env.wait_text(ECO, "绑定成功")
    reminder = env.wait_text(ECO, "节点提醒", "打好蓝天保卫战")
    text = reminder["text"]
    assert "打好蓝天保卫战" in text and "2025-12-31" in text and "还有 30 天" in text
    data = [b["callback_data"] for row in reminder["reply_markup"]["inline_keyboard"] for b in row]
    assert data == ["a:d", "a:o", "a:r", "a:b", "a:n", "e:"]  # e: 申请延期 (#13)
    env.client.press(ECO, reminder["message_id"], data="a:r")
    env.wait_text(ECO, "已记录：任务 2")
    env.client.send(ECO, "资金尚未到位")
    env.wait_text(ECO, "已记录任务 2 的说明")
    env.client.send(COORD, "/status 2")
    detail = env.wait_text(COORD, "任务 2：", "最近记录")["text"]
    assert "存在风险" in detail and "资金尚未到位" in detail and "张联络" in detail
    env.client.send(COORD, "/status")
    overview = env.wait_text(COORD, "分工表总览", "共 2 项任务")["text"]
    assert "优化国土空间开发保护格局" in overview and "打好蓝天保卫战" in overview
    assert [(r[0], r[1], r[2]) for r in updates(env)] == [
        ("t02", "at_risk", ""),
        ("t02", "note", "资金尚未到位"),
    ]
    # Monday 09:00: the weekly digest, with the chart and the workbook
    digest = env.wait_text(COORD, "督办周报", since=0)
    assert (
        "提醒未回复" in digest["text"] or "本周新反馈" in digest["text"] or "逾期" in digest["text"]
    )
    env.wait_until(lambda: any(m.get("photo") for m in env.client.bot_messages(COORD)), 40)
    env.wait_until(lambda: any(m.get("document") for m in env.client.bot_messages(COORD)), 40)
    # a stranger can change nothing
    env.client.send(STRANGER, "/status")
    env.client.send(STRANGER, "进度100%")
    env.wait_until(lambda: len(env.texts(STRANGER)) >= 3)
    assert len(updates(env)) == 2


def test_reply_with_progress_claim_and_confirmation(env: Env) -> None:
    start_all(env, ECO, ADMIN, COORD)
    env.start_bot(DEC1, 60, "--tick", "0.2")
    reminder = env.wait_text(ECO, "节点提醒", "打好蓝天保卫战")
    env.client.send(ECO, "进度60%，方案已印发", reply_to=reminder["message_id"])
    env.wait_text(ECO, "（进度 60%）")
    env.client.press(ECO, reminder["message_id"], data="a:d")
    env.wait_text(ECO, "已提交办结申请")
    first = env.wait_text(COORD, "申请办结")
    assert "生态环境局" in first["text"] and "任务 2" in first["text"]
    # sent back with a reason first
    back = next(
        b["callback_data"]
        for row in first["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("c:rt:")
    )
    env.client.press(COORD, first["message_id"], data=back)
    env.wait_text(COORD, "写明退回任务 2")
    env.client.send(COORD, "请附上验收材料")
    assert "请附上验收材料" in env.wait_text(ECO, "办结申请被退回")["text"]

    def handled() -> bool:  # the claim's buttons are gone, it says what was decided
        now = next(
            m for m in env.client.bot_messages(COORD) if m["message_id"] == first["message_id"]
        )
        return not now.get("reply_markup") and "已退回" in now["text"]

    env.wait_until(handled)
    # the answered reminder has no buttons left: claimed again with /update, then confirmed
    assert not next(
        m for m in env.client.bot_messages(ECO) if m["message_id"] == reminder["message_id"]
    ).get("reply_markup")
    env.client.send(ECO, "/update 2")
    ask = env.wait_text(ECO, "目前进展如何")
    env.client.press(ECO, ask["message_id"], data="u:t02:d")
    env.wait_until(lambda: sum("申请办结" in x for x in env.texts(COORD)) >= 2)
    claim = [m for m in env.client.bot_messages(COORD) if "申请办结" in (m.get("text") or "")][-1]
    confirm = next(
        b["callback_data"]
        for row in claim["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("c:ok:")
    )
    env.client.press(COORD, claim["message_id"], data=confirm)
    env.wait_text(ECO, "已由督办员确认办结")
    env.client.send(COORD, "/status 2")
    assert "已办结" in env.wait_text(COORD, "任务 2：", "最近记录")["text"]
    kinds = [r[1] for r in updates(env)]
    assert kinds == ["note", "done_claimed", "returned", "done_claimed", "closed"]
    assert updates(env)[0][3] == 60


def test_unreachable_contact_is_reported_once_and_followed_up_contacts(env: Env) -> None:
    """STREETS never started the bot: 403, coordinators told once; ECON gets a follow-up."""
    start_all(env, ECO, ECON, ADMIN, COORD)
    env.start_bot(DEC1, 3600, "--tick", "0.1")
    alert = env.wait_text(COORD, "无法送达", timeout=30)
    assert "街道联络" in alert["text"]
    env.wait_text(ECON, "定期调度", timeout=30)
    env.wait_text(ECON, "催办", timeout=60)  # 1 working day later (followup_after_workdays: 1)
    assert sum("无法送达" in x for x in env.texts(COORD)) == 1
    assert env.client.stats()["errors"].get("403", 0) >= 1


def test_restart_and_crash_lose_no_reply_and_send_no_reminder_twice(env: Env) -> None:
    start_all(env, ECO, ADMIN, COORD)
    env.start_bot(DEC1, 60, "--tick", "0.2")
    reminder = env.wait_text(ECO, "节点提醒", "打好蓝天保卫战")
    env.stop_bot(signal.SIGTERM)
    # the contact answers while the bot is down
    env.client.send(ECO, "进度40%", reply_to=reminder["message_id"])
    env.start_bot("2025-12-01T09:30:00+08:00", 60, "--tick", "0.2")
    env.wait_text(ECO, "（进度 40%）")
    env.stop_bot(signal.SIGKILL)  # a crash
    env.start_bot("2025-12-01T10:00:00+08:00", 60, "--tick", "0.2")
    env.client.send(ECO, "/mytasks")
    env.wait_text(ECO, "未办结任务")
    assert sum("节点提醒" in x and "打好蓝天保卫战" in x for x in env.texts(ECO)) == 1
    assert [(r[0], r[3]) for r in updates(env)] == [("t02", 40)]


def test_live_edit_report_and_broken_edit_keeps_last_good(env: Env) -> None:
    start_all(env, ADMIN, COORD)
    env.start_bot("2025-11-03T10:00:00+08:00", 1, "--tick", "0.5")
    env.wait_text(ADMIN, "绑定成功")
    edited = env.config.read_text("utf-8").replace("title: 打好蓝天保卫战", "title: 打赢蓝天保卫战")
    tmp = env.config.with_suffix(".yaml.swp")
    tmp.write_text(edited, "utf-8")
    tmp.replace(env.config)  # as editors save: write a new file, rename it over
    report = env.wait_text(ADMIN, "分工表已更新")["text"]
    assert "打赢蓝天保卫战" in report and "第 2 版" in report
    broken = edited.replace(
        "lead: 生态环境局\n    cooperating: []", "lead: 生态环境部\n    cooperating: []"
    )
    tmp.write_text(broken, "utf-8")
    tmp.replace(env.config)
    failure = env.wait_text(ADMIN, "修改未生效")["text"]
    assert "tasks.yaml:" in failure and "生态环境部" in failure and "第 2 版" in failure
    env.client.send(COORD, "/status")
    assert "打赢蓝天保卫战" in env.wait_text(COORD, "分工表总览", "共 2 项任务")["text"]
    history = subprocess.run(
        [sys.executable, "-m", "bot", "history", "--db", str(env.db)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "v2" in history.stdout and "task_renamed" in history.stdout


def test_export_sends_the_workbook(env: Env) -> None:
    from openpyxl import load_workbook

    start_all(env, ADMIN)
    env.start_bot("2025-11-03T10:00:00+08:00", 1, "--tick", "0.5")
    env.wait_text(ADMIN, "绑定成功")
    env.client.send(ADMIN, "/export")
    env.wait_until(lambda: any(m.get("document") for m in env.client.bot_messages(ADMIN)), 30)
    doc = next(m["document"] for m in env.client.bot_messages(ADMIN) if m.get("document"))
    assert doc["file_name"].endswith(".xlsx")
    book = load_workbook(io.BytesIO(env.client.file(doc["file_id"])))
    assert "分工表" in book.sheetnames
