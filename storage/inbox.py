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

An update id means "received before" only for a while: Telegram keeps an update it could not
deliver for 24 hours, numbers updates anew (from a random start) after a week without any,
and a new bot counts from elsewhere. So an id seen more than `REDELIVERY_WINDOW` ago is a
new update, and the inbox belongs to one database (meta `db_id`): a database made anew
(`duban demo`, a fresh deployment beside an old inbox file) gets a fresh inbox, the old one
is kept aside.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

from storage.db import private
from storage.state import ts

log = logging.getLogger(__name__)

#: How long an update id stays "received before" (Telegram redelivers within 24 hours).
REDELIVERY_WINDOW = dt.timedelta(days=3)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS updates (
        update_id INTEGER PRIMARY KEY,
        payload TEXT NOT NULL,
        received_at TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
    )""",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


def inbox_path(db_path: Path | str) -> Path:
    """The inbox file beside a database file."""
    p = Path(db_path)
    return p.with_name(p.stem + ".inbox" + (p.suffix or ".db"))


class Inbox:
    """Durable storage of received updates (synchronous, small, on the event loop).

    `owner` is the database's `db_id`: an inbox file written for another database is moved
    aside (`<name>.<time>.orphaned`, with what it still held) and a new one begun.
    """

    def __init__(self, path: Path | str, owner: str | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = self._open()
        if owner is not None:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'owner'").fetchone()
            if row is not None and row[0] != owner:
                self._set_aside()
                self.conn = self._open()
            self.conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('owner', ?)", [owner]
            )

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            self.path.touch(mode=0o600)
        private(self.path)
        conn = sqlite3.connect(str(self.path), isolation_level=None, timeout=5)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        for statement in SCHEMA:
            conn.execute(statement)
        private(self.path)
        return conn

    def _set_aside(self) -> None:
        waiting = self.conn.execute("SELECT count(*) FROM updates WHERE done = 0").fetchone()[0]
        self.conn.close()  # the last connection: the WAL is checkpointed into the file
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.{stamp}.orphaned")
        self.path.rename(aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        log.warning(
            "%s belonged to another database: kept as %s (%d updates never handled there)",
            self.path, aside, waiting,
        )  # fmt: skip

    def close(self) -> None:
        """Close the file."""
        self.conn.close()

    def put(self, update_id: int, payload: dict[str, Any], at: dt.datetime) -> bool:
        """Write an update down (durably); False when it was received in the last
        `REDELIVERY_WINDOW` (an older row of the same id is replaced: a new update)."""
        cur = self.conn.execute(
            "INSERT INTO updates (update_id, payload, received_at) VALUES (?, ?, ?) "
            "ON CONFLICT(update_id) DO UPDATE SET payload = excluded.payload, "
            "received_at = excluded.received_at, done = 0, attempts = 0, last_error = NULL "
            "WHERE updates.received_at < ?",
            [update_id, json.dumps(payload, ensure_ascii=False), ts(at),
             ts(at - REDELIVERY_WINDOW)],
        )  # fmt: skip
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

    def prune(self, now: dt.datetime) -> None:
        """Forget handled updates received before the redelivery window (their effects are
        in the database)."""
        self.conn.execute(
            "DELETE FROM updates WHERE done = 1 AND received_at < ?",
            [ts(now - REDELIVERY_WINDOW)],
        )

    def forget_handled(self) -> None:
        """Forget every handled update (the bot's token now belongs to another bot, whose
        update ids mean nothing next to these)."""
        self.conn.execute("DELETE FROM updates WHERE done = 1")

    def count(self) -> int:
        """How many updates are stored."""
        return int(self.conn.execute("SELECT count(*) FROM updates").fetchone()[0])
