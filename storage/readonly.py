"""Opening the bot's database for reading only.

The commands that only read (`duban history`, `export`, `health`, `contacts`, `plan`,
`chart`) must never create a database, a directory or a stray file: `open_readonly` checks
the path first and raises :class:`ReadOnlyError` (missing, a directory, not a database)
instead of letting SQLite create an empty file. It never migrates or writes.

While the bot runs, its write-ahead log (`<db>-wal`) exists and the connection reads
through it (`mode=ro`, a consistent snapshot). When there is no log (the bot is stopped),
the file is opened `immutable`, so SQLite does not leave `-wal`/`-shm` files behind, owned
by whoever ran the command.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SQLITE_HEADER = b"SQLite format 3\x00"


class ReadOnlyError(Exception):
    """The database cannot be read: ``reason`` is ``missing``, ``directory``,
    ``not_database`` (not SQLite, or another program's SQLite file), ``empty`` (SQLite
    without any table, or a file of 0 bytes) or ``unreadable``."""

    def __init__(self, reason: str, path: Path, detail: str = "") -> None:
        super().__init__(f"{path}: {reason}{': ' + detail if detail else ''}")
        self.reason = reason
        self.path = path
        self.detail = detail


def looks_like_sqlite(path: Path) -> bool:
    """Whether the file starts with SQLite's header (an empty file does not)."""
    with path.open("rb") as f:
        return f.read(len(SQLITE_HEADER)) == SQLITE_HEADER


def check_database_file(path: Path) -> None:
    """Raise ReadOnlyError unless ``path`` is an existing SQLite file."""
    if not path.exists():
        raise ReadOnlyError("missing", path)
    if path.is_dir():
        raise ReadOnlyError("directory", path)
    try:
        size = path.stat().st_size
        sqlite = looks_like_sqlite(path)
    except OSError as err:
        raise ReadOnlyError("unreadable", path, err.strerror or str(err)) from err
    if size == 0:
        raise ReadOnlyError("empty", path)
    if not sqlite:
        raise ReadOnlyError("not_database", path)


def open_readonly(path: Path | str) -> sqlite_utils.Database:
    """The duban database at ``path``, read-only; creates nothing."""
    p = Path(path)
    check_database_file(p)
    live = Path(f"{p}-wal").exists()
    uri = p.resolve().as_uri() + ("?mode=ro" if live else "?immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except sqlite3.Error as err:
        raise ReadOnlyError("unreadable", p, str(err)) from err
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    except sqlite3.DatabaseError as err:
        conn.close()
        raise ReadOnlyError("not_database", p, str(err)) from err
    if "meta" not in tables:  # a SQLite file, but not one duban made (or an empty one)
        conn.close()
        raise ReadOnlyError("not_database" if tables else "empty", p)
    return sqlite_utils.Database(conn)
