"""End-to-end: the emulator in a thread of the test process, `duban run` as a real
subprocess against it (real SQLite file, real scheduler, simulated clock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from catalogue.valid_table import VALID

from bot.emulator.client import EmulatorClient
from bot.emulator.thread import EmulatorThread

TOKEN = "123456:E2E-TEST"
ROOT = Path(__file__).resolve().parents[2]

ADMIN, COORD, ECO, ECON, STREETS, STRANGER = 1001, 1002, 2001, 2002, 2003, 9999

#: The small table with everyone's Telegram id, so /start binds without a code.
E2E_TABLE = (
    VALID.replace("    roles: [coordinator]\n", "    roles: [coordinator]\n    telegram_id: 1002\n")
    .replace("        name: 街道联络\n", "        name: 街道联络\n        telegram_id: 2003\n")
    .replace(
        "  reminder_offsets_days: [30, 7, 1]\n",
        "  reminder_offsets_days: [30, 7, 1]\n  followup_after_workdays: 1\n",
    )
)


@dataclass
class Env:
    """One end-to-end setup: the emulator, a config dir, a database, the bot process."""

    base: str
    client: EmulatorClient
    tmp: Path
    config: Path
    db: Path
    proc: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)
    marks: dict[int, int] = field(default_factory=dict)
    token: str = TOKEN

    def __post_init__(self) -> None:
        """After a user sends something, wait_text looks only at the bot's later messages."""
        plain = EmulatorClient.send.__get__(self.client)

        def send(
            user_id: int, text: str, reply_to: int | None = None, chat_id: int | None = None
        ) -> dict[str, Any]:
            chat = chat_id if chat_id is not None else user_id
            self.marks[chat] = len(self.client.bot_messages(chat))
            return plain(user_id, text, reply_to, chat_id)

        self.client.send = send  # type: ignore[method-assign]

    def start_bot(
        self, clock_start: str, speed: float = 60.0, *extra: str, ready: str = "getUpdates"
    ) -> None:
        """`duban run` against the emulator, on a simulated clock (Asia/Shanghai); ready once
        the bot called `ready` (getUpdates when polling, setWebhook in webhook mode)."""
        log = self.tmp / f"bot-{len(self.logs)}.log"
        self.logs.append(log)
        cmd = [
            sys.executable, "-m", "bot", "run", "--config", str(self.config), "--db", str(self.db),
            "--base-url", self.base, "--clock-start", clock_start,
            "--clock-speed", str(speed), "--log-level", "INFO", *extra,
        ]  # fmt: skip
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
                env={**os.environ, "TELEGRAM_BOT_TOKEN": self.token},
            )
        self.wait_until(lambda: self.client.stats().get("requests", {}).get(ready, 0) > 0, 30)

    def stop_bot(self, sig: int = signal.SIGTERM) -> None:
        """Stop the bot process (SIGTERM lets it finish; SIGKILL is a crash)."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None

    def log(self) -> str:
        return "\n".join(p.read_text("utf-8", "replace") for p in self.logs if p.exists())

    def wait_until(self, check: object, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(check) and check():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"the bot exited ({self.proc.returncode}):\n{self.log()[-4000:]}"
                )
            time.sleep(0.1)
        raise AssertionError(f"timed out; bot log:\n{self.log()[-4000:]}")

    def texts(self, chat: int) -> list[str]:
        """What the bot sent to a chat, in order."""
        return [m.get("text") or m.get("caption") or "" for m in self.client.bot_messages(chat)]

    def wait_text(
        self, chat: int, *needles: str, timeout: float = 20.0, since: int | None = None
    ) -> dict[str, Any]:
        """Wait until the bot sent a message containing every needle; return it.

        Only messages after the user's last send count, or after message `since` if given.
        """
        start = self.marks.get(chat, 0) if since is None else since
        found: list[dict[str, Any]] = []

        def check() -> bool:
            for m in self.client.bot_messages(chat)[start:]:
                if all(n in (m.get("text") or m.get("caption") or "") for n in needles):
                    found.append(m)
                    return True
            return False

        self.wait_until(check, timeout)
        return found[0]


@pytest.fixture(scope="session")
def emulator() -> Iterator[tuple[str, EmulatorClient]]:
    thread = EmulatorThread(TOKEN, allow_http_webhooks=True)
    base = thread.start()
    yield base, EmulatorClient(base)
    thread.stop()


@pytest.fixture
def env(emulator: tuple[str, EmulatorClient], tmp_path: Path) -> Iterator[Env]:
    base, client = emulator
    client.reset()
    for uid, name in (
        (ADMIN, "王管理"),
        (COORD, "赵督办"),
        (ECO, "张联络"),
        (ECON, "李联络"),
        (STREETS, "街道联络"),
        (STRANGER, "路人"),
    ):
        client.add_user(uid, first_name=name)
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    config = config_dir / "tasks.yaml"
    config.write_text(E2E_TABLE, encoding="utf-8")
    e = Env(base, client, tmp_path, config, tmp_path / "duban.db")
    yield e
    del client.send  # back to the class's method
    if e.proc is not None:
        e.stop_bot()
