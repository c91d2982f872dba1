"""`duban export` and `duban chart` write files only the owner can read (they hold the
record), whole or not at all, and never into a directory given as the file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from conftest import SHIPPED

WRITERS = [
    ("export", "--as-of", "table.xlsx", b"PK\x03\x04"),
    ("chart", "--at", "chart.png", b"\x89PNG\r\n\x1a\n"),
]


@pytest.fixture
def open_umask():  # type: ignore[no-untyped-def]
    """A permissive umask, as on many desktops: the mode must not depend on it."""
    old = os.umask(0o002)
    yield
    os.umask(old)


@pytest.mark.parametrize(("name", "when", "file", "magic"), WRITERS)
@pytest.mark.usefixtures("open_umask")
def test_written_with_mode_0600(
    cli: Any, tmp_path: Path, db: Path, name: str, when: str, file: str, magic: bytes
) -> None:
    out = tmp_path / file
    result = cli(name, "--config", SHIPPED, "--db", db, when, "2022-12-01", "--out", out)
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(magic)
    assert str(out) in result.out


@pytest.mark.parametrize(("name", "when", "file", "magic"), WRITERS)
def test_an_existing_readable_file_is_replaced_by_a_private_one(
    cli: Any, tmp_path: Path, db: Path, name: str, when: str, file: str, magic: bytes
) -> None:
    out = tmp_path / file
    out.write_bytes(b"old")
    out.chmod(0o644)
    result = cli(name, "--config", SHIPPED, "--db", db, when, "2022-12-01", "--out", out)
    assert result.code == 0, result.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["duban.db", file])


@pytest.mark.parametrize(("name", "when", "file", "magic"), WRITERS)
def test_a_directory_is_not_written_through(
    cli: Any, tmp_path: Path, db: Path, name: str, when: str, file: str, magic: bytes
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    for target in (folder, f"{folder}/"):
        result = cli(name, "--config", SHIPPED, "--db", db, "--out", target)
        assert result.code == 2 and "是目录" in result.err
        assert list(folder.iterdir()) == []
