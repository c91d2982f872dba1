"""The inbox: every Telegram update written down before Telegram is told it arrived.

Telegram counts an update as confirmed as soon as the next `getUpdates` asks past it (or the
webhook answers 200); python-telegram-bot asks again while earlier updates may still wait in
its memory, so a crash then would lose them. The bot therefore writes each update here first
and handles it from here; at a restart the ones not handled yet are handled again.

The inbox is its own small SQLite file beside the database (`duban.db` -> `duban.inbox.db`),
so that updates are still taken in while another process holds the main database's write
lock (a backup, a second `duban` command). Whether an update was handled is decided by the
main database (`processed_updates`, written in the same transaction as the update's effect);
the inbox's own `done` flag only saves work at the next start.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

from storage.db import private
from storage.state import ts

SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    update_id INTEGER PRIMARY KEY,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


def inbox_path(db_path: Path | str) -> Path:
    """The inbox file beside a database file."""
    p = Path(db_path)
    return p.with_name(p.stem + ".inbox" + (p.suffix or ".db"))


class Inbox:
    """Durable storage of received updates (synchronous, small, on the event loop)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            self.path.touch(mode=0o600)
        private(self.path)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=5)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute(SCHEMA)
        private(self.path)

    def close(self) -> None:
        """Close the file."""
        self.conn.close()

    def put(self, update_id: int, payload: dict[str, Any], at: dt.datetime) -> bool:
        """Write an update down (durably); False when it was already there."""
        cur = self.conn.execute(
            "INSERT OR IGNORE INTO updates (update_id, payload, received_at) VALUES (?, ?, ?)",
            [update_id, json.dumps(payload, ensure_ascii=False), ts(at)],
        )
        return cur.rowcount > 0

    def done(self, update_id: int, error: str | None = None) -> None:
        """The update was handled (or failed for good with `error`)."""
        self.conn.execute(
            "UPDATE updates SET done = 1, attempts = attempts + 1, last_error = ? "
            "WHERE update_id = ?",
            [error, update_id],
        )

    def is_done(self, update_id: int) -> bool:
        """Whether the update is marked handled here."""
        row = self.conn.execute(
            "SELECT done FROM updates WHERE update_id = ?", [update_id]
        ).fetchone()
        return bool(row and row[0])

    def waiting(self) -> list[tuple[int, dict[str, Any]]]:
        """Updates not marked handled, in the order Telegram numbered them."""
        rows = self.conn.execute(
            "SELECT update_id, payload FROM updates WHERE done = 0 ORDER BY update_id"
        ).fetchall()
        return [(int(r[0]), json.loads(r[1])) for r in rows]

    def prune(self, keep: int = 10_000) -> None:
        """Forget handled updates beyond the last `keep` (their effects are in the database)."""
        self.conn.execute(
            "DELETE FROM updates WHERE done = 1 AND update_id < "
            "(SELECT coalesce(min(update_id), 0) FROM (SELECT update_id FROM updates "
            "ORDER BY update_id DESC LIMIT ?))",
            [keep],
        )

    def count(self) -> int:
        """How many updates are stored."""
        return int(self.conn.execute("SELECT count(*) FROM updates").fetchone()[0])
