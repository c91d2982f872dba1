"""The commands that only read (plan, contacts, history, health, chart, export) never
create a database, a directory or a stray file, and leave an existing database as it was."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SHIPPED

from storage.repo import Store

READERS = [
    ["plan", "--config", SHIPPED, "--from", "2022-12-01", "--days", "3"],
    ["contacts", "--config", SHIPPED],
    ["history"],
    ["health"],
    ["chart", "--config", SHIPPED, "--at", "2022-12-01"],
    ["export", "--config", SHIPPED, "--as-of", "2022-12-01"],
]


def tree(root: Path) -> dict[str, str]:
    """Every file and directory under root, with a hash of each file's bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "/"
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("argv", READERS, ids=lambda a: a[0])
def test_a_missing_database_is_an_error_and_nothing_is_created(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[Any]
) -> None:
    monkeypatch.chdir(tmp_path)  # where default output files would land
    monkeypatch.delenv("DUBAN_DB", raising=False)
    monkeypatch.delenv("DUBAN_DATA_DIR", raising=False)
    (tmp_path / "keep.txt").write_text("x", encoding="utf-8")
    before = tree(tmp_path)
    for db in (["--db", tmp_path / "data" / "duban.db"], []):  # named, and the default
        result = cli(*argv, *db)
        assert result.code == (1 if argv[0] == "health" else 2)
        assert "data/duban.db" in result.err and "Traceback" not in result.err
        assert tree(tmp_path) == before


@pytest.mark.parametrize("argv", READERS, ids=lambda a: a[0])
def test_an_existing_database_is_left_as_it_was(
    cli: Any, tmp_path_factory: pytest.TempPathFactory, db: Path, argv: list[Any]
) -> None:
    out = tmp_path_factory.mktemp("out")
    extra = ["--out", out / "file"] if argv[0] in ("chart", "export") else []
    before = tree(db.parent)
    result = cli(*argv, "--db", db, *extra)
    assert result.code in (0, 1), result.err  # health: 1, the bot never ran
    assert "Traceback" not in result.err
    assert tree(db.parent) == before  # no -wal, no -shm, the same bytes


def test_reads_what_the_running_bot_just_wrote(cli: Any, db: Path) -> None:
    """While the bot holds the database open (its write-ahead log live), a reader sees the
    latest writes and leaves the bot's files alone."""
    bot = Store.open(db)
    try:
        bot.bind("eco-1", 424242, dt.datetime.now(dt.UTC), "invite")
        assert Path(f"{db}-wal").exists()
        result = cli("contacts", "--config", SHIPPED, "--db", db, "--json")
        assert result.code == 0, result.err
        row = next(r for r in json.loads(result.out) if r["id"] == "eco-1")
        assert row["bound"] and row["telegram_id"] == 424242
        bot.set_meta("heartbeat", dt.datetime.now(dt.UTC).isoformat())
        assert cli("health", "--db", db).code == 0
    finally:
        bot.close()
