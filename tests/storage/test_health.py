"""`duban health` (the Docker HEALTHCHECK): the database opens and the bot ticked recently."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from storage.repo import Store


def health(db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "health", "--db", str(db), "--max-age", "300"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_health_follows_the_heartbeat(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    never = health(db)
    assert never.returncode == 1 and "尚未运行" in never.stderr
    store = Store.open(db)
    store.set_meta("heartbeat", (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat())
    stale = health(db)
    assert stale.returncode == 1 and "超过 300 秒" in stale.stderr
    store.set_meta("heartbeat", dt.datetime.now(dt.UTC).isoformat())
    store.close()
    ok = health(db)
    assert ok.returncode == 0 and "正常" in ok.stdout
