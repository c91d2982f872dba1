"""Issue #10, finding 7: replies fetched but not yet handled survive a crash.

A hundred contacts reply at once; the bot is killed (SIGKILL) a moment later, then started
again: every reply is recorded, each exactly once.
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import time

import pytest
from e2e_support import Env

pytestmark = pytest.mark.e2e

CONTACTS = 100
FIRST_ID = 600_000


def table() -> str:
    bureaus = "".join(
        f"  - id: b{i}\n    name: 第{i}局\n    contacts:\n"
        f"      - {{id: c{i}, name: 联络员{i}, telegram_id: {FIRST_ID + i}}}\n"
        for i in range(CONTACTS)
    )
    tasks = "".join(
        f"  - {{id: t{i}, number: {i + 1}, section: s1, title: 任务{i}, lead: b{i}, "
        "deadline: 2025年底}\n"
        for i in range(CONTACTS)
    )
    return (
        "version: 1\n"
        "document: {title: 压测, issuer: 区办, number: '〔2022〕-1', date: 2022-03-31}\n"
        "people:\n  - {id: coord-1, name: 赵督办, roles: [admin, coordinator]}\n"
        f"bureaus:\n{bureaus}"
        "sections:\n  - {id: s1, number: 一, title: 第一部分}\n"
        f"tasks:\n{tasks}"
    )


def count(env: Env, sql: str) -> int:
    conn = sqlite3.connect(env.db)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def test_replies_in_flight_at_a_crash_are_all_recorded_once(env: Env) -> None:
    env.config.write_text(table(), "utf-8")
    for i in range(CONTACTS):
        env.client.add_user(FIRST_ID + i, f"联络员{i}")
        env.client.send(FIRST_ID + i, "/start")
    env.start_bot("2025-11-03T10:00:00+08:00", 1, "--tick", "5")
    env.wait_until(lambda: count(env, "SELECT count(*) FROM bindings") == CONTACTS, 60)
    for i in range(CONTACTS):
        env.client.send(FIRST_ID + i, f"进度{i % 100}%，第{i}局已完成方案")
    time.sleep(0.3)
    env.stop_bot(signal.SIGKILL)
    env.start_bot("2025-11-03T10:05:00+08:00", 1, "--tick", "5")
    notes = "SELECT count(*) FROM status_updates WHERE kind = 'note'"
    with contextlib.suppress(AssertionError):  # the assertions below say what is missing
        env.wait_until(lambda: count(env, notes) >= CONTACTS, 45)
    conn = sqlite3.connect(env.db)
    rows = conn.execute("SELECT task_id, note, telegram_user_id FROM status_updates").fetchall()
    conn.close()
    assert len(rows) == CONTACTS, f"{len(rows)} of {CONTACTS} replies recorded"
    assert sorted(r[2] for r in rows) == [FIRST_ID + i for i in range(CONTACTS)]
    assert {(r[0], r[1]) for r in rows} == {
        (f"t{i}", f"进度{i % 100}%，第{i}局已完成方案") for i in range(CONTACTS)
    }
