"""A fan-out of 150 reminders, the bot killed in the middle, restarted: every contact gets
the reminder, and repeats are no more than the messages that were in flight."""

from __future__ import annotations

import signal
import sqlite3

import pytest
from e2e_support import Env

pytestmark = pytest.mark.e2e

CONTACTS = 150
FIRST_ID = 500_000


def table() -> str:
    contacts = "".join(
        f"      - {{id: c{i}, name: 联络员{i}, telegram_id: {FIRST_ID + i}}}\n"
        for i in range(CONTACTS)
    )
    return f"""\
version: 1
document: {{title: 压测, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}}
policy: {{reminder_offsets_days: [30]}}
people:
  - {{id: coord-1, name: 赵督办, roles: [admin, coordinator]}}
bureaus:
  - id: eco
    name: 生态环境局
    contacts:
{contacts}sections:
  - {{id: s1, number: 一, title: 第一部分}}
tasks:
  - {{id: t1, number: 1, section: s1, title: 打好蓝天保卫战, lead: eco, deadline: 2025年底}}
"""


def reminders(env: Env) -> dict[int, int]:
    counts = {}
    for i in range(CONTACTS):
        chat = env.client.bot_messages(FIRST_ID + i)
        counts[FIRST_ID + i] = sum("节点提醒" in (m.get("text") or "") for m in chat)
    return counts


def test_killed_mid_fanout_every_reminder_arrives(env: Env) -> None:
    env.config.write_text(table(), "utf-8")
    for i in range(CONTACTS):
        env.client.add_user(FIRST_ID + i, f"联络员{i}")
        env.client.send(FIRST_ID + i, "/start")
    # 09:00 comes 20 real seconds after the start: time enough for the 150 welcomes
    env.start_bot("2025-12-01T08:59:40+08:00", 1, "--tick", "0.3")
    env.wait_until(
        lambda: env.client.stats()["requests"].get("sendMessage", 0) >= CONTACTS + 40, 90
    )
    env.stop_bot(signal.SIGKILL)
    conn = sqlite3.connect(env.db)
    in_flight = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending'").fetchone()[0]
    sent_before = conn.execute("SELECT count(*) FROM outbox WHERE state = 'sent'").fetchone()[0]
    conn.close()
    assert 0 < sent_before < CONTACTS  # killed in the middle
    env.start_bot("2025-12-01T09:05:00+08:00", 1, "--tick", "0.3")
    env.wait_until(lambda: all(n >= 1 for n in reminders(env).values()), 90)
    counts = reminders(env)
    repeats = sum(n - 1 for n in counts.values())
    assert repeats <= in_flight, (repeats, in_flight)
