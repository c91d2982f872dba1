"""Chat flows end to end: invites, corrections, readings, /update, /contacts, the menu,
SIGHUP reload, a flaky network."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from e2e_support import ADMIN, COORD, ECO, ECON, STRANGER, STREETS, Env

pytestmark = pytest.mark.e2e

NOV = "2025-11-03T10:00:00+08:00"  # a Monday morning, nothing due for hours


def rows(env: Env, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(env.db)
    out = conn.execute(sql).fetchall()
    conn.close()
    return out


def test_invite_link_binds_a_contact_once(env: Env) -> None:
    # the table knows no Telegram id for this contact: remove it
    env.config.write_text(
        env.config.read_text("utf-8").replace("        telegram_id: 2003\n", ""), "utf-8"
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot", "invite", "streets-1", "--config", str(env.config), "--db", str(env.db),
         "--bot-username", "@duban_test_bot"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    code = out.stdout.split("/start ")[1].split()[0]
    assert f"https://t.me/duban_test_bot?start={code}" in out.stdout
    env.client.send(STREETS, "/start")
    env.client.send(STREETS, f"/start {code}")
    env.client.send(STRANGER, f"/start {code}")  # a second use
    env.start_bot(NOV, 1, "--tick", "0.5")
    assert "仅供" in env.wait_text(STREETS, "管理员")["text"]  # before the code: a stranger
    env.wait_text(STREETS, "绑定成功", "各街道、镇")
    env.wait_text(STRANGER, "无效或已经用过")
    env.client.send(STREETS, "/whoami")
    assert "街道联络" in env.wait_text(STREETS, "身份")["text"]
    listing = subprocess.run(
        [sys.executable, "-m", "bot", "contacts", "--json", "--config", str(env.config), "--db", str(env.db)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert '"id": "streets-1"' in listing.stdout and '"bound": true' in listing.stdout


def test_update_command_edit_correction_and_indicator_reading(env: Env) -> None:
    for user in (ECO, ADMIN, COORD):
        env.client.send(user, "/start")
    env.start_bot(NOV, 1, "--tick", "0.5")
    env.wait_text(ECO, "绑定成功")
    # /update without waiting for a reminder
    env.client.send(ECO, "/update")
    pick = env.wait_text(ECO, "请选择要报告的任务")
    choice = next(
        b
        for row in pick["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"] == "u:t02"
    )
    env.client.press(ECO, pick["message_id"], data=choice["callback_data"])
    ask = env.wait_text(ECO, "目前进展如何")
    env.client.press(ECO, ask["message_id"], data="u:t02:o")
    env.wait_text(ECO, "已记录：任务 2", "正常推进")
    # a free text goes to the note the bot asked for; an edit is a correction
    note = env.client.send(ECO, "进度30%")
    env.wait_text(ECO, "（进度 30%）")
    env.client.edit(ECO, note["message_id"], "进度35%")
    env.wait_text(ECO, "更正")
    # an indicator reading: a word is refused with an example, a number is recorded
    env.client.send(ECO, "/report pm25 大约五十")
    assert "例如" in env.wait_text(ECO, "识别为数值")["text"]
    env.client.send(ECO, "/report pm25 47.5")
    env.wait_text(ECO, "已记录：细颗粒物平均浓度 = 47.5")
    env.client.send(ECO, "/report energy 5")
    env.wait_text(ECO, "由经济发展局填报")
    assert rows(
        env, "SELECT kind, progress, corrects IS NOT NULL FROM status_updates ORDER BY id"
    ) == [
        ("on_track", None, 0),
        ("note", 30, 0),
        ("note", 35, 1),
    ]
    assert rows(env, "SELECT indicator_id, value FROM readings") == [("pm25", 47.5)]
    # the admin sees who is bound, the menu is published in both languages
    env.client.send(ADMIN, "/contacts")
    contacts = env.wait_text(ADMIN, "联系人绑定情况")["text"]
    assert "张联络" in contacts and "已绑定" in contacts and "未绑定" in contacts
    commands = env.client.commands()
    # the default menu holds what anyone may use; each member's chat the commands of their
    # roles (#13)
    assert {c["command"] for c in commands["default:zh"]} == {"start", "help", "whoami"}
    assert {"mytasks", "update", "report"} <= {c["command"] for c in commands[f"chat/{ECO}:"]}
    assert "status" not in {c["command"] for c in commands[f"chat/{ECO}:"]}
    assert "status" in {c["command"] for c in commands[f"chat/{COORD}:"]}
    assert commands["default:en"][0]["description"] != commands["default:zh"][0]["description"]
    # a contact reads only their bureau's tasks; /status is for coordinators
    env.client.send(ECO, "/status")
    env.wait_text(ECO, "仅限")


def test_sighup_reload_revokes_a_removed_contact(env: Env) -> None:
    for user in (ECO, ECON, ADMIN):
        env.client.send(user, "/start")
    env.start_bot(NOV, 1, "--tick", "0.5", "--no-watch")
    env.wait_text(ECON, "绑定成功")
    text = env.config.read_text("utf-8")
    start = text.index("      - id: econ-1\n")
    end = text.index("  - id: streets\n")
    env.config.write_text(
        text[:start] + "      - id: econ-2\n        name: 新联络\n" + text[end:], "utf-8"
    )
    assert env.proc is not None
    env.proc.send_signal(signal.SIGHUP)
    report = env.wait_text(ADMIN, "分工表已更新")["text"]
    assert "移除联系人 李联络" in report and "新增联系人 新联络" in report
    env.client.send(ECON, "/mytasks")
    env.wait_text(ECON, "仅供")  # a stranger now


def test_flaky_network_loses_nothing_and_sends_nothing_twice(env: Env) -> None:
    for user in (ECO, ECON, STREETS, ADMIN, COORD):
        env.client.send(user, "/start")
    # 502 answers mean Telegram did not carry the request out: safe to send again. (A
    # connection dropped after the request left is another matter: see tests/record.)
    env.client.set_faults(error_rate=0.25, seed=3)
    env.start_bot("2025-12-01T08:56:00+08:00", 60, "--tick", "0.2")
    reminder = env.wait_text(ECO, "节点提醒", "打好蓝天保卫战", timeout=60)
    env.client.press(ECO, reminder["message_id"], data="a:o")
    env.wait_text(ECO, "已记录：任务 2", timeout=60)
    env.wait_text(STREETS, "节点提醒", "打好蓝天保卫战", timeout=60)
    env.client.set_faults(error_rate=0.0)
    sent = rows(env, "SELECT key, state FROM outbox WHERE key LIKE 'reminder:t02:%'")
    assert sent and all(state in ("sent", "pending", "sending") for _, state in sent)
    for user in (ECO, STREETS):
        texts = [x for x in env.texts(user) if "节点提醒" in x and "打好蓝天保卫战" in x]
        assert len(texts) == 1, texts
    assert rows(env, "SELECT task_id, kind FROM status_updates") == [("t02", "on_track")]
    assert env.client.stats()["errors"].get("502", 0) > 0


def test_a_second_save_during_validation_is_not_lost(env: Env) -> None:
    """A half-written save followed at once by the finished one: the finished one applies,
    and nobody is paged about the half-written file."""
    env.client.send(ADMIN, "/start")
    env.start_bot(NOV, 1, "--tick", "0.5")
    env.wait_text(ADMIN, "绑定成功")
    good = env.config.read_text("utf-8")
    half = good[: good.index("indicators:")] + "indicators:\n  - id: pm25\n    name: 细颗"
    tmp = env.config.with_suffix(".tmp")
    tmp.write_text(half, "utf-8")
    tmp.replace(env.config)
    time.sleep(0.6)  # the watcher has seen the half-written file and is validating it
    tmp.write_text(good.replace("title: 打好蓝天保卫战", "title: 坚决打好蓝天保卫战"), "utf-8")
    tmp.replace(env.config)
    report = env.wait_text(ADMIN, "分工表已更新")["text"]
    assert "坚决打好蓝天保卫战" in report
    time.sleep(2)
    assert not any("修改未生效" in x for x in env.texts(ADMIN))


def test_bad_input_gets_a_clear_answer_and_loses_nothing(env: Env) -> None:
    # ECON no longer cooperates on task 2: remove it from the sub-item
    env.config.write_text(
        env.config.read_text("utf-8").replace("        cooperating: [经济发展局]\n", ""), "utf-8"
    )
    for user in (ECO, ECON, COORD):
        env.client.send(user, "/start")
    env.start_bot(NOV, 1, "--tick", "0.5")
    env.wait_text(ECON, "绑定成功")
    env.client.send(ECON, "/help")
    contact_help = env.wait_text(ECON, "主动报告进展")["text"]
    assert "/report" in contact_help and "/contacts" not in contact_help
    env.client.send(COORD, "/help")
    assert "/overdue" in env.wait_text(COORD, "/export")["text"]
    env.client.send(ECON, "/update 2")
    env.wait_text(ECON, "不是您单位")
    env.client.send(ECON, "/update 99")
    env.wait_text(ECON, "找不到任务「99」")
    env.client.send(ECON, "/report")
    env.wait_text(ECON, "请选择要报告的指标")  # the bureau's indicators as buttons (#13)
    env.client.send(ECON, "/report xyz 5")
    env.wait_text(ECON, "未知指标「xyz」")
    env.client.send(COORD, "/status 不存在局")
    env.wait_text(COORD, "找不到任务或单位")
    # HTML special characters, emoji and an over-long note are kept as written
    env.client.send(ECO, "/update 2")
    ask = env.wait_text(ECO, "目前进展如何")
    env.client.press(ECO, ask["message_id"], data="u:t02:r")
    env.wait_text(ECO, "已记录：任务 2")
    tricky = "<b>注意</b> & R&D 进度50%以上 😀"
    env.client.send(ECO, tricky)
    env.wait_text(ECO, "已记录任务 2 的说明")
    env.client.send(ECO, "/update 2")
    ask = env.wait_text(ECO, "目前进展如何", timeout=20)
    env.client.press(ECO, ask["message_id"], data="u:t02:n")
    env.wait_text(ECO, "请回复本消息，写下任务 2 的补充说明")
    env.client.send(ECO, "长" * 5000)
    env.wait_until(lambda: sum("已记录任务 2 的说明" in x for x in env.texts(ECO)) == 2)
    env.client.send(COORD, "/status 2")
    detail = env.wait_text(COORD, "任务 2：", "最近记录")["text"]
    assert tricky in detail and len(detail) <= 4096
    notes = rows(env, "SELECT note FROM status_updates WHERE kind = 'note' ORDER BY id")
    assert notes == [(tricky,), ("长" * 5000,)]
