"""Issue #15: webhook mode through the emulator (updates pushed with the secret header; a
request without it is refused), and a graceful stop on SIGTERM during a fan-out that loses
nothing and sends nothing twice."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import time
import urllib.error
import urllib.request

import pytest
from e2e_support import ECO, TOKEN, Env
from test_fanout_e2e import CONTACTS, FIRST_ID, reminders, table

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api(env: Env, method: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{env.base}/bot{TOKEN}/{method}", timeout=10) as r:
        body: dict[str, object] = json.loads(r.read())
        return body


def test_webhook_mode_takes_updates_and_refuses_a_wrong_secret(env: Env) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/duban"
    env.start_bot("2025-11-03T10:00:00+08:00", 1, "--webhook-url", url,
                  "--listen", f"127.0.0.1:{port}", ready="setWebhook")  # fmt: skip
    info = api(env, "getWebhookInfo")["result"]
    assert isinstance(info, dict) and info["url"] == url
    env.client.send(ECO, "/start")
    env.wait_text(ECO, "绑定成功")
    env.client.send(ECO, "/update 2")
    env.wait_text(ECO, "目前进展如何")
    secret = (env.db.with_name("webhook-secret")).read_text("utf-8").strip()
    assert 32 <= len(secret) <= 256
    forged = {"update_id": 999999, "message": {"message_id": 1, "date": 0, "text": "进度100%",
              "chat": {"id": ECO, "type": "private"}, "from": {"id": ECO, "is_bot": False,
              "first_name": "x"}}}  # fmt: skip
    for header in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
        request = urllib.request.Request(
            url, data=json.dumps(forged).encode(), method="POST",
            headers={"Content-Type": "application/json", **header},
        )  # fmt: skip
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 403
        refused.value.close()
    time.sleep(1)
    conn = sqlite3.connect(env.db)
    assert conn.execute("SELECT count(*) FROM status_updates").fetchone()[0] == 0
    conn.close()


def test_sigterm_during_a_fan_out_loses_nothing_and_sends_nothing_twice(env: Env) -> None:
    env.config.write_text(table(), "utf-8")
    for i in range(CONTACTS):
        env.client.add_user(FIRST_ID + i, f"联络员{i}")
        env.client.send(FIRST_ID + i, "/start")
    env.start_bot("2025-12-01T08:59:40+08:00", 1, "--tick", "0.3")
    env.wait_until(
        lambda: env.client.stats()["requests"].get("sendMessage", 0) >= CONTACTS + 40, 90
    )
    assert env.proc is not None
    env.proc.send_signal(signal.SIGTERM)
    env.proc.wait(10)  # a graceful stop: within 10 s
    env.proc = None
    conn = sqlite3.connect(env.db)
    states = dict(conn.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
    conn.close()
    assert "sending" not in states  # in-flight sends finished; the rest wait, pending
    assert states.get("sent", 0) > 0
    env.start_bot("2025-12-01T09:05:00+08:00", 1, "--tick", "0.3")
    env.wait_until(lambda: all(n >= 1 for n in reminders(env).values()), 90)
    assert set(reminders(env).values()) == {1}


def test_a_rehearsals_clock_pauses_on_sigusr1_and_resumes_on_sigusr2(env: Env) -> None:
    """What `duban demo --interactive` does while a person types."""
    from e2e_support import COORD

    env.client.send(COORD, "/start")
    env.start_bot("2025-11-03T10:00:00+08:00", 3600, "--tick", "5")

    def now_shown() -> str:
        env.client.send(COORD, "/status")
        text = env.wait_text(COORD, "分工表总览")["text"]
        return text.split("截至 ")[1][:16]

    assert env.proc is not None
    env.proc.send_signal(signal.SIGUSR1)
    time.sleep(0.5)
    paused = now_shown()
    time.sleep(2)  # two hours of simulated time, had it run
    assert now_shown() == paused
    env.proc.send_signal(signal.SIGUSR2)
    time.sleep(1.5)
    assert now_shown() > paused
