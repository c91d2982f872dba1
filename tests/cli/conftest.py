"""Fixtures for the command-line tests: `bot.cli.main` in process, a real database file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main
from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "tasks.yaml"


@dataclass
class Result:
    """What a user sees: the exit status and both streams."""

    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `duban ARGS...` in this process."""

    def run(*argv: str | Path) -> Result:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """An existing duban database, as the bot leaves it after a run (closed)."""
    path = tmp_path / "duban.db"
    Store.open(path).close()
    return path
