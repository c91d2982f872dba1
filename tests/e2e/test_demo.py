"""`make demo` runs `duban demo`: the whole loop on the shipped table, no token, no network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_demo_ends_with_a_status_that_shows_the_scripted_answers(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--days", "1.3", "--db", str(db)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    assert "节点提醒" in out and "点击「" in out  # reminders went out, contacts pressed buttons
    status = out.split("分工表总览", 1)[1]
    assert "共 16 项任务" in status
    assert "⚪ 1" in status  # the completion the environment bureau claimed was confirmed
    assert "🔴" in status  # the streets reported being blocked
    assert db.exists()
