"""The bot's records in SQLite: bindings, invites, the outbox, status updates,
readings, catalogue versions, archived entities, the audit log.

Times are stored as ISO 8601 in UTC and returned as aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.core.history import History, Reading, Sent, StatusUpdate, UpdateKind
from storage.db import open_db


def _ts(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _req_dt(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class Binding:
    """A Telegram user bound to a contact or person of the catalogue."""

    member_id: str
    telegram_user_id: int
    bound_at: dt.datetime
    via: str


@dataclass(frozen=True)
class OutboxRow:
    """A planned message and what happened to it."""

    key: str
    kind: str
    recipient: str
    chat_id: int | None
    task_id: str | None
    subtask_id: str | None
    indicator_id: str | None
    bureau_id: str | None
    slot: dt.datetime
    state: str
    attempts: int
    last_error: str | None
    message_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    text: str


@dataclass(frozen=True)
class Version:
    """A catalogue version that was applied."""

    id: int
    applied_at: dt.datetime
    sha256: str
    source: str
    summary: dict[str, Any]


@dataclass(frozen=True)
class Entity:
    """A task, sub-item, bureau, contact or indicator the table held at some point."""

    kind: str
    id: str
    title: str
    section: str | None
    data: dict[str, Any]
    first_version: int
    last_version: int
    archived_at: dt.datetime | None


@dataclass(frozen=True)
class PendingInput:
    """What the bot waits for from a user."""

    telegram_user_id: int
    what: str
    task_id: str | None
    subtask_id: str | None
    message_key: str | None
    since: dt.datetime


def _outbox(row: dict[str, Any]) -> OutboxRow:
    return OutboxRow(
        key=row["key"],
        kind=row["kind"],
        recipient=row["recipient"],
        chat_id=row["chat_id"],
        task_id=row["task_id"],
        subtask_id=row["subtask_id"],
        indicator_id=row["indicator_id"],
        bureau_id=row["bureau_id"],
        slot=_req_dt(row["slot"]),
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        message_id=row["message_id"],
        created_at=_req_dt(row["created_at"]),
        sent_at=_dt(row["sent_at"]),
        text=row["text"],
    )


def _update(row: dict[str, Any]) -> StatusUpdate:
    return StatusUpdate(
        id=row["id"],
        task_id=row["task_id"],
        kind=UpdateKind(row["kind"]),
        at=_req_dt(row["at"]),
        by=row["by_member"],
        bureau_id=row["bureau_id"],
        subtask_id=row["subtask_id"],
        progress=row["progress"],
        note=row["note"],
        message_key=row["message_key"],
        corrects=row["corrects"],
    )


def _reading(row: dict[str, Any]) -> Reading:
    return Reading(
        id=row["id"],
        indicator_id=row["indicator_id"],
        value=row["value"],
        at=_req_dt(row["at"]),
        by=row["by_member"],
        bureau_id=row["bureau_id"],
        note=row["note"],
    )


class Store:
    """All reads and writes of the bot's database."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (and migrate) the database at `path`."""
        return cls(open_db(path))

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error)."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _rows(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params if isinstance(params, dict) else list(params)))

    # -- meta

    def get_meta(self, key: str) -> str | None:
        """A stored setting."""
        rows = self._rows("SELECT value FROM meta WHERE key = ?", [key])
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # -- bindings and invites

    def bind(self, member_id: str, user_id: int, at: dt.datetime, via: str) -> None:
        """Bind a Telegram user to a member (replacing an earlier binding of either)."""
        with self.transaction():
            self.db.execute(
                "DELETE FROM bindings WHERE member_id = ? OR telegram_user_id = ?",
                [member_id, user_id],
            )
            self.db.execute(
                "INSERT INTO bindings (member_id, telegram_user_id, bound_at, via) "
                "VALUES (?, ?, ?, ?)",
                [member_id, user_id, _ts(at), via],
            )

    def unbind(self, member_id: str) -> bool:
        """Remove a member's binding."""
        cur = self.db.execute("DELETE FROM bindings WHERE member_id = ?", [member_id])
        return cur.rowcount > 0

    def _binding(self, rows: list[dict[str, Any]]) -> Binding | None:
        if not rows:
            return None
        r = rows[0]
        return Binding(r["member_id"], r["telegram_user_id"], _req_dt(r["bound_at"]), r["via"])

    def binding_for_user(self, user_id: int) -> Binding | None:
        """The member a Telegram user is bound to."""
        return self._binding(
            self._rows("SELECT * FROM bindings WHERE telegram_user_id = ?", [user_id])
        )

    def binding_for_contact(self, member_id: str) -> Binding | None:
        """The Telegram user bound to a member."""
        return self._binding(self._rows("SELECT * FROM bindings WHERE member_id = ?", [member_id]))

    def bindings(self) -> list[Binding]:
        """Every binding."""
        return [
            Binding(r["member_id"], r["telegram_user_id"], _req_dt(r["bound_at"]), r["via"])
            for r in self._rows("SELECT * FROM bindings ORDER BY member_id")
        ]

    def create_invite(self, member_id: str, at: dt.datetime) -> str:
        """A new one-use code for a member (earlier unused codes stay valid)."""
        code = secrets.token_urlsafe(12)
        self.db.execute(
            "INSERT INTO invites (code, member_id, created_at) VALUES (?, ?, ?)",
            [code, member_id, _ts(at)],
        )
        return code

    def redeem_invite(self, code: str, user_id: int, at: dt.datetime) -> str | None:
        """The member an unused code is for, marking it used; None if unknown or used."""
        with self.transaction():
            rows = self._rows(
                "SELECT member_id FROM invites WHERE code = ? AND used_at IS NULL", [code]
            )
            if not rows:
                return None
            self.db.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE code = ?",
                [_ts(at), user_id, code],
            )
            member: str = rows[0]["member_id"]
            return member

    # -- the outbox

    def outbox_claim(
        self,
        *,
        key: str,
        kind: str,
        recipient: str,
        slot: dt.datetime,
        at: dt.datetime,
        chat_id: int | None = None,
        task_id: str | None = None,
        subtask_id: str | None = None,
        indicator_id: str | None = None,
        bureau_id: str | None = None,
        text: str = "",
    ) -> OutboxRow | None:
        """Record a planned message before sending it.

        Returns the row when it may be sent now (new, or pending from an earlier
        attempt); None when the key was already sent, is being sent, or failed for good.
        """
        with self.transaction():
            self.db.execute(
                "INSERT OR IGNORE INTO outbox (key, kind, recipient, chat_id, task_id, "
                "subtask_id, indicator_id, bureau_id, slot, state, created_at, text) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
                [
                    key,
                    kind,
                    recipient,
                    chat_id,
                    task_id,
                    subtask_id,
                    indicator_id,
                    bureau_id,
                    _ts(slot),
                    _ts(at),
                    text,
                ],
            )
            row = self.outbox_get(key)
            if row is None or row.state != "pending":
                return None
            self.db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, chat_id = ?, "
                "text = ? WHERE key = ?",
                [chat_id, text, key],
            )
        return self.outbox_get(key)

    def outbox_get(self, key: str) -> OutboxRow | None:
        """One outbox row."""
        rows = self._rows("SELECT * FROM outbox WHERE key = ?", [key])
        return _outbox(rows[0]) if rows else None

    def outbox_sent(self, key: str, message_id: int, at: dt.datetime) -> None:
        """The message went out."""
        self.db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, sent_at = ?, last_error = NULL "
            "WHERE key = ?",
            [message_id, _ts(at), key],
        )

    def outbox_retry(self, key: str, error: str) -> None:
        """Sending failed in a way worth retrying: back to pending."""
        self.db.execute(
            "UPDATE outbox SET state = 'pending', last_error = ? WHERE key = ?", [error, key]
        )

    def outbox_failed(self, key: str, error: str, at: dt.datetime) -> None:
        """Sending failed for good (visible in /status and the logs)."""
        self.db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, sent_at = ? WHERE key = ?",
            [error, _ts(at), key],
        )

    def outbox_recover(self) -> list[str]:
        """After a crash: rows caught between 'sending' and an answer go back to pending.

        They are sent again (their delivery is unknown, and a lost reminder is worse than
        a repeated one), so duplicates are at most the messages in flight at the crash.
        A row confirmed as sent is never sent again.
        """
        keys = [r["key"] for r in self._rows("SELECT key FROM outbox WHERE state = 'sending'")]
        if keys:
            self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return keys

    def outbox_pending(self) -> list[OutboxRow]:
        """Rows waiting for a retry."""
        return [_outbox(r) for r in self._rows("SELECT * FROM outbox WHERE state = 'pending'")]

    def outbox_by_message(self, chat_id: int, message_id: int) -> OutboxRow | None:
        """The planned message a Telegram message is (for replies and buttons)."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE chat_id = ? AND message_id = ?", [chat_id, message_id]
        )
        return _outbox(rows[0]) if rows else None

    def outbox_all_by_message(self, chat_id: int, message_id: int) -> list[OutboxRow]:
        """Every planned message a Telegram message carried (a summary carries several)."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE chat_id = ? AND message_id = ? ORDER BY slot, key",
            [chat_id, message_id],
        )
        return [_outbox(r) for r in rows]

    def outbox_rows(self, state: str | None = None) -> list[OutboxRow]:
        """Outbox rows, oldest slot first (optionally of one state)."""
        if state:
            rows = self._rows("SELECT * FROM outbox WHERE state = ? ORDER BY slot, key", [state])
        else:
            rows = self._rows("SELECT * FROM outbox ORDER BY slot, key")
        return [_outbox(r) for r in rows]

    # -- status updates and readings (append-only)

    def add_update(
        self,
        *,
        task_id: str,
        kind: UpdateKind,
        by: str,
        at: dt.datetime,
        bureau_id: str | None = None,
        subtask_id: str | None = None,
        progress: int | None = None,
        note: str = "",
        message_key: str | None = None,
        corrects: int | None = None,
        telegram_user_id: int | None = None,
        telegram_message_id: int | None = None,
        source: str = "chat",
        update_id: int | None = None,
    ) -> int | None:
        """Record a status update; None if this Telegram update was already recorded."""
        with self.transaction():
            if update_id is not None and not self.mark_processed(update_id, at):
                return None
            cur = self.db.execute(
                "INSERT INTO status_updates (task_id, subtask_id, kind, progress, note, "
                "by_member, bureau_id, at, recorded_at, message_key, corrects, "
                "telegram_user_id, telegram_message_id, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    task_id,
                    subtask_id,
                    kind.value,
                    progress,
                    note,
                    by,
                    bureau_id,
                    _ts(at),
                    _ts(at),
                    message_key,
                    corrects,
                    telegram_user_id,
                    telegram_message_id,
                    source,
                ],
            )
            return cur.lastrowid

    def update_by_message(self, user_id: int, message_id: int) -> StatusUpdate | None:
        """The latest update recorded from a user's Telegram message (for edits)."""
        rows = self._rows(
            "SELECT * FROM status_updates WHERE telegram_user_id = ? AND telegram_message_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [user_id, message_id],
        )
        return _update(rows[0]) if rows else None

    def add_reading(
        self,
        *,
        indicator_id: str,
        value: float,
        by: str,
        at: dt.datetime,
        bureau_id: str | None = None,
        note: str = "",
        message_key: str | None = None,
        telegram_user_id: int | None = None,
        update_id: int | None = None,
    ) -> int | None:
        """Record an indicator reading; None if this Telegram update was already recorded."""
        with self.transaction():
            if update_id is not None and not self.mark_processed(update_id, at):
                return None
            cur = self.db.execute(
                "INSERT INTO readings (indicator_id, value, note, by_member, bureau_id, at, "
                "recorded_at, message_key, telegram_user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    indicator_id,
                    value,
                    note,
                    by,
                    bureau_id,
                    _ts(at),
                    _ts(at),
                    message_key,
                    telegram_user_id,
                ],
            )
            return cur.lastrowid

    def updates(self, task_id: str | None = None) -> list[StatusUpdate]:
        """Status updates, oldest first."""
        if task_id:
            rows = self._rows(
                "SELECT * FROM status_updates WHERE task_id = ? ORDER BY at, id", [task_id]
            )
        else:
            rows = self._rows("SELECT * FROM status_updates ORDER BY at, id")
        return [_update(r) for r in rows]

    def readings(self, indicator_id: str | None = None) -> list[Reading]:
        """Readings, oldest first."""
        if indicator_id:
            rows = self._rows(
                "SELECT * FROM readings WHERE indicator_id = ? ORDER BY at, id", [indicator_id]
            )
        else:
            rows = self._rows("SELECT * FROM readings ORDER BY at, id")
        return [_reading(r) for r in rows]

    def history(self) -> History:
        """Everything the planner and the status rules need."""
        sent = [
            Sent(
                key=r["key"],
                kind=r["kind"],
                recipient=r["recipient"],
                at=_req_dt(r["sent_at"] or r["slot"]),
                task_id=r["task_id"],
                indicator_id=r["indicator_id"],
                bureau_id=r["bureau_id"],
                state=r["state"],
            )
            for r in self._rows("SELECT * FROM outbox WHERE state != 'pending'")
        ]
        return History(self.updates(), self.readings(), sent)

    # -- Telegram updates already handled

    def mark_processed(self, update_id: int, at: dt.datetime) -> bool:
        """True the first time an update id is seen."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO processed_updates (update_id, at) VALUES (?, ?)",
            [update_id, _ts(at)],
        )
        return cur.rowcount > 0

    # -- reachability

    def mark_unreachable(self, member_id: str, at: dt.datetime, reason: str) -> bool:
        """Record a 403; True when the member was reachable before (alert once)."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO reachability (member_id, unreachable_since, reason) "
            "VALUES (?, ?, ?)",
            [member_id, _ts(at), reason],
        )
        return cur.rowcount > 0

    def mark_reachable(self, member_id: str) -> None:
        """The member talked to the bot again."""
        self.db.execute("DELETE FROM reachability WHERE member_id = ?", [member_id])

    def unreachable(self) -> dict[str, str]:
        """Members the bot cannot write to, with the reason."""
        return {
            r["member_id"]: r["reason"]
            for r in self._rows("SELECT member_id, reason FROM reachability")
        }

    # -- pending input

    def set_pending_input(
        self,
        user_id: int,
        what: str,
        at: dt.datetime,
        task_id: str | None = None,
        subtask_id: str | None = None,
        message_key: str | None = None,
    ) -> None:
        """Remember what the bot asked a user for."""
        self.db.execute(
            "INSERT OR REPLACE INTO pending_input (telegram_user_id, what, task_id, subtask_id, "
            "message_key, since) VALUES (?, ?, ?, ?, ?, ?)",
            [user_id, what, task_id, subtask_id, message_key, _ts(at)],
        )

    def pending_input(self, user_id: int) -> PendingInput | None:
        """What the bot waits for from a user."""
        rows = self._rows("SELECT * FROM pending_input WHERE telegram_user_id = ?", [user_id])
        if not rows:
            return None
        r = rows[0]
        return PendingInput(
            r["telegram_user_id"],
            r["what"],
            r["task_id"],
            r["subtask_id"],
            r["message_key"],
            _req_dt(r["since"]),
        )

    def clear_pending_input(self, user_id: int) -> None:
        """Stop waiting."""
        self.db.execute("DELETE FROM pending_input WHERE telegram_user_id = ?", [user_id])

    # -- catalogue versions and entities

    def add_version(
        self, *, sha256: str, source: str, text: str, summary: dict[str, Any], at: dt.datetime
    ) -> int:
        """Store an applied catalogue version."""
        cur = self.db.execute(
            "INSERT INTO catalogue_versions (applied_at, sha256, source, text, summary) "
            "VALUES (?, ?, ?, ?, ?)",
            [_ts(at), sha256, source, text, json.dumps(summary, ensure_ascii=False)],
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def versions(self) -> list[Version]:
        """Applied versions, oldest first."""
        return [
            Version(
                r["id"],
                _req_dt(r["applied_at"]),
                r["sha256"],
                r["source"],
                json.loads(r["summary"]),
            )
            for r in self._rows(
                "SELECT id, applied_at, sha256, source, summary FROM catalogue_versions ORDER BY id"
            )
        ]

    def latest_version(self) -> tuple[int, str, str] | None:
        """(id, sha256, text) of the last applied version."""
        rows = self._rows(
            "SELECT id, sha256, text FROM catalogue_versions ORDER BY id DESC LIMIT 1"
        )
        return (rows[0]["id"], rows[0]["sha256"], rows[0]["text"]) if rows else None

    def entities(self, kind: str | None = None, *, archived: bool | None = None) -> list[Entity]:
        """Known entities (optionally of a kind, archived or live)."""
        sql = "SELECT * FROM entities WHERE 1 = 1"
        params: list[Any] = []
        if kind:
            sql += " AND kind = ?"
            params.append(kind)
        if archived is True:
            sql += " AND archived_at IS NOT NULL"
        elif archived is False:
            sql += " AND archived_at IS NULL"
        return [
            Entity(
                r["kind"],
                r["id"],
                r["title"],
                r["section"],
                json.loads(r["data"]),
                r["first_version"],
                r["last_version"],
                _dt(r["archived_at"]),
            )
            for r in self._rows(sql + " ORDER BY kind, id", params)
        ]

    def sync_entities(
        self,
        live: list[tuple[str, str, str, str | None, dict[str, Any]]],
        version: int,
        at: dt.datetime,
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Record the entities of an applied version: (kind, id, title, section, data).

        Entities missing from it are archived (never deleted); ones that come back are
        restored. Returns (archived, restored) as (kind, id) lists.
        """
        known = {(e.kind, e.id): e for e in self.entities()}
        seen = set()
        restored: list[tuple[str, str]] = []
        with self.transaction():
            for kind, eid, title, section, data in live:
                seen.add((kind, eid))
                old = known.get((kind, eid))
                if old is not None and old.archived_at is not None:
                    restored.append((kind, eid))
                self.db.execute(
                    "INSERT INTO entities (kind, id, title, section, data, first_version, "
                    "last_version, archived_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) "
                    "ON CONFLICT(kind, id) DO UPDATE SET title = excluded.title, "
                    "section = excluded.section, data = excluded.data, "
                    "last_version = excluded.last_version, archived_at = NULL",
                    [
                        kind,
                        eid,
                        title,
                        section,
                        json.dumps(data, ensure_ascii=False),
                        version,
                        version,
                    ],
                )
            archived = [k for k, e in known.items() if k not in seen and e.archived_at is None]
            for kind, eid in archived:
                self.db.execute(
                    "UPDATE entities SET archived_at = ? WHERE kind = ? AND id = ?",
                    [_ts(at), kind, eid],
                )
        return archived, restored

    # -- audit

    def audit(self, at: dt.datetime, actor: str, action: str, details: dict[str, Any]) -> None:
        """Append to the audit log."""
        self.db.execute(
            "INSERT INTO audit (at, actor, action, details) VALUES (?, ?, ?, ?)",
            [_ts(at), actor, action, json.dumps(details, ensure_ascii=False, default=str)],
        )

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit entries, newest first."""
        return self._rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])
