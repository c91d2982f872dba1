"""The installed `duban` console script: exit status and one line, as a shell sees them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ROOT


def duban() -> list[str]:
    script = Path(sys.executable).with_name("duban")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def test_console_script_bad_date_is_one_line_exit_2(tmp_path: Path) -> None:
    run = subprocess.run(
        [*duban(), "plan", "--from", "2022-13-01", "--db", str(tmp_path / "none.db")],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "2022-13-01" in run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert list(tmp_path.iterdir()) == []
