"""Issue #11: `duban run` with a rejected token or no network says so in one line and keeps
trying; the token never appears in its output, not even in python-telegram-bot's
InvalidToken message; the token is not on the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e_support import E2E_TABLE, ROOT, Env

pytestmark = pytest.mark.e2e

SECRET = "987654:SECRET-TOKEN-never-to-be-logged"


def _run(tmp: Path, base: str, token_env: str | None, *extra: str) -> subprocess.Popen[bytes]:
    config = tmp / "tasks.yaml"
    config.write_text(E2E_TABLE, "utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if token_env:
        env["TELEGRAM_BOT_TOKEN"] = token_env
    cmd = [sys.executable, "-m", "bot", "run", "--config", str(config), "--db", str(tmp / "d.db"),
           "--base-url", base, *extra]  # fmt: skip
    return subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT, env=env
    )


def _stop(proc: subprocess.Popen[bytes], after: float) -> str:
    time.sleep(after)
    assert proc.poll() is None, "the bot must keep trying, not exit"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    return out.decode("utf-8", "replace")


def test_a_rejected_token_is_one_line_retried_and_never_shown(env: Env) -> None:
    proc = _run(env.tmp, env.base, SECRET)
    out = _stop(proc, 7)
    assert "拒绝了机器人令牌" in out
    assert "Traceback" not in out
    assert SECRET not in out and SECRET.split(":")[1] not in out
    assert env.client.stats()["requests"].get("getMe", 0) >= 2  # tried again


def test_no_network_is_one_line_per_attempt_and_retried(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = _run(tmp_path, f"http://127.0.0.1:{port}", SECRET)
    out = _stop(proc, 6)
    assert "Traceback" not in out
    assert SECRET not in out and SECRET.split(":")[1] not in out
    assert "ConnectError" in out or "无法连接" in out


def test_the_token_comes_from_a_file_not_the_command_line(env: Env) -> None:
    token_file = env.tmp / "token"
    token_file.write_text(env.token + "\n", "utf-8")
    env.config.write_text(E2E_TABLE, "utf-8")
    proc = _run(env.tmp, env.base, None, "--token-file", str(token_file))
    try:
        deadline = time.monotonic() + 20
        while env.client.stats()["requests"].get("getUpdates", 0) == 0:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        assert env.token not in " ".join(proc.args)  # type: ignore[arg-type]
    finally:
        _stop(proc, 0)
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--token", "x"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_the_bot_reaches_telegram_through_an_http_proxy(env: Env) -> None:
    """--proxy: every Bot API request goes through the proxy (as it must from mainland China)."""
    import http.server
    import threading
    import urllib.request as ur

    seen: list[str] = []

    class Forward(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path.rsplit("/", 1)[-1])
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            headers = {"Content-Type": self.headers.get("Content-Type", "application/json")}
            forwarded = ur.Request(self.path, data=body, headers=headers, method="POST")
            try:
                with ur.urlopen(forwarded, timeout=30) as r:
                    status, data = r.status, r.read()
            except ur.HTTPError as err:
                status, data = err.code, err.read()
                err.close()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        env.client.send(2001, "/start")
        env.start_bot("2025-11-03T10:00:00+08:00", 1, "--proxy",
                      f"http://127.0.0.1:{proxy.server_address[1]}")  # fmt: skip
        env.wait_text(2001, "绑定成功")
        assert {"getMe", "getUpdates", "sendMessage"} <= set(seen)
    finally:
        env.stop_bot()
        proxy.shutdown()
        proxy.server_close()
