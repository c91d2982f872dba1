"""The bot's records in SQLite: bindings, invites, the outbox, status updates, readings, the
current state, pending input, catalogue versions, archived entities, the audit log.

Times are stored as ISO 8601 in UTC and returned as aware datetimes. Status updates and
readings are append-only; every write that changes what answers need (an update, a reading,
a prompt delivered) also changes the state tables in the same transaction (storage.state),
and what it changed is kept as a `Delta` for the running bot's in-memory `Record`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.core.history import (
    Delta,
    History,
    ItemState,
    Reading,
    Record,
    Sent,
    StatusUpdate,
    UpdateKind,
)
from bot.core.protocol import Awaiting, Pending
from bot.core.series import Kind
from bot.core.workflow import Evidence, Extension, ExtensionState, Leave
from storage import state
from storage.db import open_db
from storage.inbox import REDELIVERY_WINDOW
from storage.state import parse_ts, to_reading, to_sent, to_update, ts

#: Messages the planner plans (a key forgotten is planned again when it is still due).
PLANNED_KINDS = frozenset(k.value for k in Kind)

_ts = ts


def _dt(text: str | None) -> dt.datetime | None:
    return parse_ts(text) if text else None


class Busy(RuntimeError):
    """The database is locked by another process longer than the bot waits."""


@dataclass(frozen=True)
class Binding:
    """A Telegram user bound to a contact or person of the catalogue."""

    member_id: str
    telegram_user_id: int
    bound_at: dt.datetime
    via: str


@dataclass(frozen=True)
class OutboxRow:
    """A message for a member and what happened to it. Several rows with one `batch` went
    out as one message (a summary)."""

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
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    batch: str | None = None
    not_before: dt.datetime | None = None
    ref_at: dt.datetime | None = None


@dataclass(frozen=True)
class NewMessage:
    """A message to put in the outbox (pending until the sender takes it)."""

    key: str
    kind: str
    recipient: str
    chat_id: int | None
    slot: dt.datetime
    text: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()
    task_id: str | None = None
    subtask_id: str | None = None
    indicator_id: str | None = None
    bureau_id: str | None = None
    batch: str | None = None
    ref_at: dt.datetime | None = None


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


def _outbox(row: dict[str, Any]) -> OutboxRow:
    raw = json.loads(row.get("buttons") or "[]")
    buttons = tuple(tuple((str(b[0]), str(b[1])) for b in r) for r in raw)
    return OutboxRow(
        key=row["key"],
        kind=row["kind"],
        recipient=row["recipient"],
        chat_id=row["chat_id"],
        task_id=row["task_id"],
        subtask_id=row["subtask_id"],
        indicator_id=row["indicator_id"],
        bureau_id=row["bureau_id"],
        slot=parse_ts(row["slot"]),
        state=row["state"],
        attempts=row["attempts"],
        last_error=row["last_error"],
        message_id=row["message_id"],
        created_at=parse_ts(row["created_at"]),
        sent_at=_dt(row["sent_at"]),
        text=row["text"],
        buttons=buttons,
        batch=row.get("batch"),
        not_before=_dt(row.get("not_before")),
        ref_at=_dt(row.get("ref_at")),
    )


def _extension(row: dict[str, Any], event: dict[str, Any] | None) -> Extension:
    return Extension(
        id=row["id"],
        task_id=row["task_id"],
        subtask_id=row["subtask_id"],
        requested_by=row["requested_by"],
        bureau_id=row["bureau_id"],
        requested_at=parse_ts(row["requested_at"]),
        old_text=row["old_text"],
        new_text=row["new_text"],
        new_due=dt.date.fromisoformat(row["new_due"]),
        reason=row["reason"],
        state=ExtensionState(event["kind"]) if event else ExtensionState.REQUESTED,
        decided_by=event["by_member"] if event else None,
        decided_at=parse_ts(event["at"]) if event else None,
        note=event["note"] if event else "",
    )


def _evidence(row: dict[str, Any]) -> Evidence:
    return Evidence(
        id=row["id"],
        task_id=row["task_id"],
        subtask_id=row["subtask_id"],
        by=row["by_member"],
        at=parse_ts(row["at"]),
        file_name=row["file_name"],
        size=row["size"],
        sha256=row["sha256"],
        telegram_file_id=row["telegram_file_id"],
        path=row["path"],
        claim_id=row["claim_id"],
    )


def _pending(row: dict[str, Any]) -> Pending:
    data = json.loads(row["data"])
    return Pending(
        kind=Awaiting(row["kind"]),
        since=parse_ts(row["since"]),
        task_id=data.get("task_id"),
        subtask_id=data.get("subtask_id"),
        indicator_id=data.get("indicator_id"),
        message_key=data.get("message_key"),
        claim_id=data.get("claim_id"),
        texts=tuple((str(t), m) for t, m in data.get("texts", [])),
        candidates=tuple(data.get("candidates", [])),
        extra=dict(data.get("extra", {})),
    )


class Store:
    """All reads and writes of the bot's database (one connection)."""

    def __init__(self, db: sqlite_utils.Database, *, track: bool = False) -> None:
        self.db = db
        self.track = track
        #: Committed changes of the current state, oldest first (when `track`).
        self.deltas: deque[Delta] = deque()
        self._delta: Delta | None = None

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        busy_timeout_ms: int = 30_000,
        create: bool = True,
        track: bool = False,
        check_same_thread: bool = True,
    ) -> Store:
        """Open (and migrate) the database at `path`."""
        db = open_db(
            path,
            busy_timeout_ms=busy_timeout_ms,
            create=create,
            check_same_thread=check_same_thread,
        )
        return cls(db, track=track)

    def close(self) -> None:
        """Close the connection."""
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Delta]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error); yields the
        Delta that collects the state changes, kept once the transaction commits."""
        conn = self.db.conn
        if conn.in_transaction:
            assert self._delta is not None
            yield self._delta
            return
        try:
            conn.execute("BEGIN IMMEDIATE")
        except Exception as err:
            if "locked" in str(err) or "busy" in str(err):
                raise Busy(str(err)) from err
            raise
        self._delta = Delta()
        try:
            yield self._delta
        except BaseException:
            conn.execute("ROLLBACK")
            self._delta = None
            raise
        try:
            conn.execute("COMMIT")
        except Exception as err:
            conn.execute("ROLLBACK")
            self._delta = None
            if "locked" in str(err) or "busy" in str(err):
                raise Busy(str(err)) from err
            raise
        delta, self._delta = self._delta, None
        if self.track and (
            delta.items or delta.prompts or delta.readings or delta.sent or delta.unsent
        ):
            self.deltas.append(delta)

    def _rows(self, sql: str, params: Iterable[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params if isinstance(params, dict) else list(params)))

    # -- meta

    def get_meta(self, key: str) -> str | None:
        """A stored setting."""
        rows = self._rows("SELECT value FROM meta WHERE key = ?", [key])
        return rows[0]["value"] if rows else None

    def meta_like(self, prefix: str) -> dict[str, str]:
        """Stored settings whose key starts with `prefix`."""
        return {
            r["key"]: r["value"]
            for r in self._rows(
                "SELECT key, value FROM meta WHERE substr(key, 1, ?) = ?", [len(prefix), prefix]
            )
        }

    def set_meta(self, key: str, value: str) -> None:
        """Store a setting."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    # -- Telegram updates already handled (marked in the transaction of their effect)

    def mark_processed(self, update_id: int, at: dt.datetime) -> bool:
        """True the first time an update id is marked within `REDELIVERY_WINDOW` (Telegram
        may use an id again later: after a week without updates, or for another bot)."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO processed_updates (update_id, at) VALUES (?, ?) "
                "ON CONFLICT(update_id) DO UPDATE SET at = excluded.at "
                "WHERE processed_updates.at < ?",
                [update_id, ts(at), ts(at - REDELIVERY_WINDOW)],
            )
        return cur.rowcount > 0

    def forget_processed(self, before: dt.datetime | None = None) -> int:
        """Forget handled update ids marked before an instant (all of them without one)."""
        with self.transaction():
            if before is None:
                cur = self.db.execute("DELETE FROM processed_updates")
            else:
                cur = self.db.execute("DELETE FROM processed_updates WHERE at < ?", [ts(before)])
        return cur.rowcount

    def processed(self, update_ids: Sequence[int]) -> set[int]:
        """Which of these update ids were handled."""
        out: set[int] = set()
        ids = list(update_ids)
        for i in range(0, len(ids), 900):
            part = ids[i : i + 900]
            marks = ",".join("?" * len(part))
            out |= {
                r["update_id"]
                for r in self._rows(
                    f"SELECT update_id FROM processed_updates WHERE update_id IN ({marks})", part
                )
            }
        return out

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
                [member_id, user_id, ts(at), via],
            )

    def unbind(self, member_id: str) -> bool:
        """Remove a member's binding."""
        with self.transaction():
            cur = self.db.execute("DELETE FROM bindings WHERE member_id = ?", [member_id])
        return cur.rowcount > 0

    def bindings(self) -> list[Binding]:
        """Every binding."""
        return [
            Binding(r["member_id"], r["telegram_user_id"], parse_ts(r["bound_at"]), r["via"])
            for r in self._rows("SELECT * FROM bindings ORDER BY member_id")
        ]

    def binding_for_user(self, user_id: int) -> Binding | None:
        """The member a Telegram user is bound to."""
        return next((b for b in self.bindings() if b.telegram_user_id == user_id), None)

    def binding_for_member(self, member_id: str) -> Binding | None:
        """The Telegram user bound to a member."""
        rows = self._rows("SELECT * FROM bindings WHERE member_id = ?", [member_id])
        if not rows:
            return None
        r = rows[0]
        return Binding(r["member_id"], r["telegram_user_id"], parse_ts(r["bound_at"]), r["via"])

    binding_for_contact = binding_for_member

    def create_invite(self, member_id: str, at: dt.datetime) -> str:
        """A new one-use code for a member (earlier unused codes stay valid until they expire)."""
        code = secrets.token_urlsafe(12)
        with self.transaction():
            self.db.execute(
                "INSERT INTO invites (code, member_id, created_at) VALUES (?, ?, ?)",
                [code, member_id, ts(at)],
            )
        return code

    def redeem_invite(
        self, code: str, user_id: int, at: dt.datetime, valid_for: dt.timedelta | None = None
    ) -> str | None:
        """The member an unused, unexpired code is for, marking it used; None otherwise."""
        with self.transaction():
            rows = self._rows(
                "SELECT member_id, created_at FROM invites WHERE code = ? AND used_at IS NULL",
                [code],
            )
            if not rows:
                return None
            if valid_for is not None and parse_ts(rows[0]["created_at"]) + valid_for < at:
                return None
            self.db.execute(
                "UPDATE invites SET used_at = ?, used_by = ? WHERE code = ?",
                [ts(at), user_id, code],
            )
            member: str = rows[0]["member_id"]
            return member

    # -- the outbox

    def outbox_add(self, messages: Sequence[NewMessage], at: dt.datetime) -> list[str]:
        """Put messages in the outbox as pending (a key already there is left alone);
        returns the keys added."""
        added = []
        with self.transaction() as delta:
            for m in messages:
                cur = self.db.execute(
                    "INSERT OR IGNORE INTO outbox (key, kind, recipient, chat_id, task_id, "
                    "subtask_id, indicator_id, bureau_id, slot, state, created_at, text, buttons, "
                    "batch, ref_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                    [
                        m.key, m.kind, m.recipient, m.chat_id, m.task_id, m.subtask_id,
                        m.indicator_id, m.bureau_id, ts(m.slot), ts(at), m.text,
                        json.dumps(m.buttons, ensure_ascii=False), m.batch,
                        ts(m.ref_at) if m.ref_at else None,
                    ],
                )  # fmt: skip
                if cur.rowcount:
                    added.append(m.key)
            delta.sent |= set(added)
        return added

    def outbox_due(self, now: dt.datetime, limit: int = 500) -> list[OutboxRow]:
        """Pending rows that may be sent now, oldest first."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE state = 'pending' AND (not_before IS NULL OR not_before <= ?) "
            "ORDER BY slot, key LIMIT ?",
            [ts(now), limit],
        )
        return [_outbox(r) for r in rows]

    def outbox_claim(self, keys: Sequence[str], chat_id: int | None = None) -> list[OutboxRow]:
        """Pending rows become 'sending' (an attempt counted); the rows claimed."""
        with self.transaction():
            claimed = []
            for key in keys:
                cur = self.db.execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, "
                    "chat_id = coalesce(?, chat_id) WHERE key = ? AND state = 'pending'",
                    [chat_id, key],
                )
                if cur.rowcount:
                    claimed.append(key)
            return [r for r in (self.outbox_get(k) for k in claimed) if r is not None]

    def outbox_get(self, key: str) -> OutboxRow | None:
        """One outbox row."""
        rows = self._rows("SELECT * FROM outbox WHERE key = ?", [key])
        return _outbox(rows[0]) if rows else None

    def _delivered(
        self, keys: Sequence[str], state_name: str, at: dt.datetime, **cols: Any
    ) -> None:
        with self.transaction() as delta:
            for key in keys:
                sets = ", ".join(f"{c} = ?" for c in cols)
                self.db.execute(
                    f"UPDATE outbox SET state = ?, sent_at = ?{', ' + sets if sets else ''} "
                    "WHERE key = ?",
                    [state_name, ts(at), *cols.values(), key],
                )
                row = self._rows("SELECT * FROM outbox WHERE key = ?", [key])
                if row:
                    state.apply_delivered(self.db, to_sent(row[0]), delta)

    def outbox_sent(self, keys: Sequence[str], message_id: int, at: dt.datetime) -> None:
        """The message carrying these rows went out."""
        self._delivered(keys, "sent", at, message_id=message_id, last_error=None)

    def outbox_unknown(self, keys: Sequence[str], error: str, at: dt.datetime) -> None:
        """Sent, but Telegram's answer never came: maybe delivered. Never sent again by
        itself; shown in /status."""
        self._delivered(keys, "unknown", at, last_error=error)

    def outbox_retry(self, keys: Sequence[str], error: str, not_before: dt.datetime) -> None:
        """Not carried out (it cannot have reached Telegram): pending again, later."""
        with self.transaction():
            for key in keys:
                self.db.execute(
                    "UPDATE outbox SET state = 'pending', last_error = ?, not_before = ? "
                    "WHERE key = ?",
                    [error, ts(not_before), key],
                )

    def outbox_failed(self, keys: Sequence[str], error: str, at: dt.datetime) -> None:
        """Failed for good (shown in /status and the logs)."""
        with self.transaction():
            for key in keys:
                self.db.execute(
                    "UPDATE outbox SET state = 'failed', last_error = ?, sent_at = ? WHERE key = ?",
                    [error, ts(at), key],
                )

    def outbox_recover(self) -> list[str]:
        """After a crash: rows caught between 'sending' and an answer go back to pending.

        They are sent again (their delivery is unknown, and a lost reminder is worse than a
        repeated one), so duplicates are at most the messages in flight at the crash.
        """
        with self.transaction():
            keys = [r["key"] for r in self._rows("SELECT key FROM outbox WHERE state = 'sending'")]
            if keys:
                self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")
        return keys

    def outbox_reroute(self, before: Mapping[str, int], after: Mapping[str, int]) -> int:
        """A table edit changed members' chats (a new person in the post, a member removed):
        their pending messages go to the new chat, or wait for one (never to the old)."""
        moved = 0
        with self.transaction():
            for member_id, old in before.items():
                new = after.get(member_id)
                if new == old:
                    continue
                cur = self.db.execute(  # their rows, and rows riding in their messages (代收)
                    "UPDATE outbox SET chat_id = ? WHERE state = 'pending' AND chat_id = ? "
                    "AND (recipient = ? OR batch IN (SELECT batch FROM outbox WHERE "
                    "recipient = ? AND state = 'pending' AND batch IS NOT NULL))",
                    [new, old, member_id, member_id],
                )
                moved += cur.rowcount
        return moved

    def outbox_adopt(self, member_id: str, chat_id: int) -> int:
        """A member started the bot: pending messages that had no chat to go to get theirs."""
        with self.transaction():
            cur = self.db.execute(
                "UPDATE outbox SET chat_id = ? WHERE recipient = ? AND state = 'pending' "
                "AND chat_id IS NULL",
                [chat_id, member_id],
            )
        return cur.rowcount

    def outbox_unknown_in(self, chat_id: int) -> list[OutboxRow]:
        """Rows sent to a chat whose delivery is unknown (no message id known), latest first."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE chat_id = ? AND state = 'unknown' "
            "AND message_id IS NULL ORDER BY sent_at DESC, key",
            [chat_id],
        )
        return [_outbox(r) for r in rows]

    def outbox_found(self, keys: Sequence[str], message_id: int) -> None:
        """Rows of unknown delivery seen in their chat after all: delivered, as this message."""
        with self.transaction():
            for key in keys:
                self.db.execute(
                    "UPDATE outbox SET state = 'sent', message_id = ?, last_error = NULL "
                    "WHERE key = ? AND state = 'unknown'",
                    [message_id, key],
                )

    def outbox_by_message(self, chat_id: int, message_id: int) -> list[OutboxRow]:
        """Every outbox row a Telegram message carried (a summary carries several)."""
        rows = self._rows(
            "SELECT * FROM outbox WHERE chat_id = ? AND message_id = ? ORDER BY slot, key",
            [chat_id, message_id],
        )
        return [_outbox(r) for r in rows]

    def outbox_like(self, prefix: str) -> list[OutboxRow]:
        """Rows whose key starts with `prefix` (e.g. every copy of one claim notice)."""
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._rows(
            "SELECT * FROM outbox WHERE key LIKE ? ESCAPE '\\' ORDER BY key", [escaped + "%"]
        )
        return [_outbox(r) for r in rows]

    def outbox_rows(self, state_name: str | None = None) -> list[OutboxRow]:
        """Outbox rows, oldest slot first (optionally of one state)."""
        if state_name:
            rows = self._rows(
                "SELECT * FROM outbox WHERE state = ? ORDER BY slot, key", [state_name]
            )
        else:
            rows = self._rows("SELECT * FROM outbox ORDER BY slot, key")
        return [_outbox(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        """How many outbox rows are in each state."""
        return {
            r["state"]: r["n"]
            for r in self._rows("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        }

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
    ) -> StatusUpdate | None:
        """Record a status update and fold it into the current state; None if this Telegram
        update was already recorded."""
        with self.transaction() as delta:
            if update_id is not None and not self.mark_processed(update_id, at):
                return None
            cur = self.db.execute(
                "INSERT INTO status_updates (task_id, subtask_id, kind, progress, note, "
                "by_member, bureau_id, at, recorded_at, message_key, corrects, "
                "telegram_user_id, telegram_message_id, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    task_id, subtask_id, kind.value, progress, note, by, bureau_id, ts(at),
                    ts(at), message_key, corrects, telegram_user_id, telegram_message_id, source,
                ],
            )  # fmt: skip
            assert cur.lastrowid is not None
            u = StatusUpdate(
                cur.lastrowid, task_id, kind, at, by, bureau_id, subtask_id, progress, note,
                message_key, corrects,
            )  # fmt: skip
            state.apply_update(self.db, u, delta)
            return u

    def add_reading(
        self,
        *,
        indicator_id: str,
        value: float | None,
        by: str,
        at: dt.datetime,
        bureau_id: str | None = None,
        note: str = "",
        message_key: str | None = None,
        telegram_user_id: int | None = None,
        telegram_message_id: int | None = None,
        update_id: int | None = None,
    ) -> Reading | None:
        """Record a reading (a value, or None with a note: 暂无数据); None if this Telegram
        update was already recorded."""
        with self.transaction() as delta:
            if update_id is not None and not self.mark_processed(update_id, at):
                return None
            cur = self.db.execute(
                "INSERT INTO readings (indicator_id, value, note, by_member, bureau_id, at, "
                "recorded_at, message_key, telegram_user_id, telegram_message_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    indicator_id, value, note, by, bureau_id, ts(at), ts(at), message_key,
                    telegram_user_id, telegram_message_id,
                ],
            )  # fmt: skip
            assert cur.lastrowid is not None
            r = Reading(cur.lastrowid, indicator_id, value, at, by, bureau_id, note, message_key)
            state.apply_reading(self.db, r, delta)
            return r

    def item(self, task_id: str, subtask_id: str | None = None) -> ItemState:
        """One task's (or sub-item's) current state, as stored."""
        return state.item_state(self.db, task_id, subtask_id)

    def update(self, update_id: int) -> StatusUpdate | None:
        """One status update by id."""
        rows = self._rows("SELECT * FROM status_updates WHERE id = ?", [update_id])
        return to_update(rows[0]) if rows else None

    def update_by_message(self, user_id: int, message_id: int) -> StatusUpdate | None:
        """The latest update recorded from a user's Telegram message (for edits)."""
        rows = self._rows(
            "SELECT * FROM status_updates WHERE telegram_user_id = ? AND telegram_message_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [user_id, message_id],
        )
        return to_update(rows[0]) if rows else None

    def reading_by_message(self, user_id: int, message_id: int) -> Reading | None:
        """The latest reading recorded from a user's Telegram message (for edits)."""
        rows = self._rows(
            "SELECT * FROM readings WHERE telegram_user_id = ? AND telegram_message_id = ? "
            "ORDER BY id DESC LIMIT 1",
            [user_id, message_id],
        )
        return to_reading(rows[0]) if rows else None

    def updates(
        self,
        task_id: str | None = None,
        *,
        since: dt.datetime | None = None,
        last: int | None = None,
    ) -> list[StatusUpdate]:
        """Status updates in recorded order (of a task; recorded after `since`; the last N)."""
        sql, params = "SELECT * FROM status_updates WHERE 1 = 1", []
        if task_id is not None:
            sql += " AND task_id = ?"
            params.append(task_id)
        if since is not None:
            sql += " AND recorded_at > ?"
            params.append(ts(since))
        if last is not None:
            rows = self._rows(sql + " ORDER BY id DESC LIMIT ?", [*params, last])[::-1]
        else:
            rows = self._rows(sql + " ORDER BY id", params)
        return [to_update(r) for r in rows]

    def readings(
        self, indicator_id: str | None = None, *, since: dt.datetime | None = None
    ) -> list[Reading]:
        """Readings in recorded order (of an indicator; recorded after `since`)."""
        sql, params = "SELECT * FROM readings WHERE 1 = 1", []
        if indicator_id is not None:
            sql += " AND indicator_id = ?"
            params.append(indicator_id)
        if since is not None:
            sql += " AND recorded_at > ?"
            params.append(ts(since))
        return [to_reading(r) for r in self._rows(sql + " ORDER BY id", params)]

    def history(self) -> History:
        """Every update, reading and outbox message (exports, --as-of, rebuilds)."""
        return state.load_history(self.db)

    def history_since(self, since: dt.datetime) -> History:
        """The updates and readings (in recorded order) and the messages of a period up to
        now (the answer ranking, the digest): indexed reads, not the whole history."""
        stamp = ts(since)
        updates = [
            to_update(r)
            for r in self._rows(
                "SELECT * FROM status_updates WHERE recorded_at >= ? ORDER BY id", [stamp]
            )
        ]
        readings = [
            to_reading(r)
            for r in self._rows(
                "SELECT * FROM readings WHERE recorded_at >= ? ORDER BY id", [stamp]
            )
        ]
        sent = [
            to_sent(r)
            for r in self._rows(
                "SELECT * FROM outbox WHERE state IN ('sent', 'unknown') AND sent_at >= ?", [stamp]
            )
        ]
        return History(updates, readings, sent)

    def record(self) -> Record:
        """The current state, from the state tables."""
        return state.load_record(self.db)

    def record_as_of(self, when: dt.datetime, current: Record | None = None) -> Record:
        """The current state as it stood at `when` (`History.as_of(when).record()`), from the
        state now (`current`, else the state tables) and what changed since (storage.asof):
        the digest's last week."""
        from storage.asof import load_record_as_of

        return load_record_as_of(self.db, when, current)

    def rebuild(self) -> Record:
        """Recompute the state tables from the history; the rebuilt state."""
        with self.transaction():
            return state.rebuild_state(self.db)

    # -- reachability

    def mark_unreachable(self, member_id: str, at: dt.datetime, reason: str) -> bool:
        """Record a 403; True when the member was reachable before (alert once)."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO reachability (member_id, unreachable_since, reason) "
                "VALUES (?, ?, ?)",
                [member_id, ts(at), reason],
            )
        return cur.rowcount > 0

    def mark_reachable(self, member_id: str) -> tuple[list[str], list[str]]:
        """The member talked to the bot again: what could not reach them goes now. Planned
        messages (reminders, check-ins, follow-ups, digests...) are forgotten, so the planner
        plans them anew with today's text under its catch-up rules; claims, requests and
        decisions go out as they are; alerts (who could not be reached) stay failed, stale
        by now. Returns (forgotten, pending again)."""
        with self.transaction() as delta:
            self.db.execute("DELETE FROM reachability WHERE member_id = ?", [member_id])
            rows = self._rows(
                "SELECT key, kind FROM outbox WHERE recipient = ? AND state = 'failed' AND "
                "(last_error LIKE 'Forbidden%' OR lower(last_error) LIKE '%chat not found%')",
                [member_id],
            )
            planned = [r["key"] for r in rows if r["kind"] in PLANNED_KINDS]
            again = [r["key"] for r in rows if r["kind"] not in PLANNED_KINDS | {"alert"}]
            for key in planned:
                self.db.execute("DELETE FROM outbox WHERE key = ?", [key])
            for key in again:
                self.db.execute(
                    "UPDATE outbox SET state = 'pending', attempts = 0, not_before = NULL, "
                    "sent_at = NULL WHERE key = ?",
                    [key],
                )
            delta.unsent |= set(planned)
        return planned, again

    def unreachable(self) -> dict[str, str]:
        """Members the bot cannot write to, with the reason."""
        return {
            r["member_id"]: r["reason"]
            for r in self._rows("SELECT member_id, reason FROM reachability")
        }

    # -- pending input

    def set_pending(self, user_id: int, pending: Pending) -> None:
        """Remember what the bot asked a user for (replacing what it waited for before). Texts
        kept until the user says which task they belong to are never replaced: they go on
        with the new question and come back when it is answered (see `clear_pending`)."""
        if not pending.texts:
            current = self.pending(user_id)
            if current is not None and current.texts:
                pending = replace(pending, texts=current.texts, candidates=current.candidates)
        data = asdict(pending)
        for key in ("kind", "since"):
            data.pop(key)
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO pending_input (telegram_user_id, kind, data, since) "
                "VALUES (?, ?, ?, ?)",
                [
                    user_id,
                    pending.kind.value,
                    json.dumps(data, ensure_ascii=False),
                    ts(pending.since),
                ],
            )

    def pending(self, user_id: int) -> Pending | None:
        """What the bot waits for from a user."""
        rows = self._rows("SELECT * FROM pending_input WHERE telegram_user_id = ?", [user_id])
        return _pending(rows[0]) if rows else None

    def clear_pending(self, user_id: int, *, keep_texts: bool = True) -> None:
        """Stop waiting; texts still kept for a task (unless `keep_texts` is False: they were
        just filed) go back to waiting for the user to say which task."""
        with self.transaction():
            current = self.pending(user_id) if keep_texts else None
            if current is not None and current.kind is Awaiting.WHICH_TASK and current.texts:
                return  # still asking which task
            self.db.execute("DELETE FROM pending_input WHERE telegram_user_id = ?", [user_id])
            if current is not None and current.texts:
                kept = Pending(
                    Awaiting.WHICH_TASK, current.since, texts=current.texts,
                    candidates=current.candidates,
                )  # fmt: skip
                self.set_pending(user_id, kept)

    # -- catalogue versions and entities

    def add_version(
        self,
        *,
        sha256: str,
        source: str,
        text: str,
        summary: dict[str, Any],
        at: dt.datetime,
        files: Mapping[str, tuple[str, str]] | None = None,
    ) -> int:
        """Store an applied catalogue version; `files` (name -> (document id, text)): the
        text of each file of a config of several."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO catalogue_versions (applied_at, sha256, source, text, summary) "
                "VALUES (?, ?, ?, ?, ?)",
                [ts(at), sha256, source, text, json.dumps(summary, ensure_ascii=False)],
            )
            assert cur.lastrowid is not None
            for name, (document, body) in (files or {}).items():
                digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
                self.db.execute(
                    "INSERT INTO version_files (version_id, file, document, sha256, text) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [cur.lastrowid, name, document, digest, body],
                )
        return cur.lastrowid

    def version_texts(self, version_id: int) -> dict[str, str]:
        """File name -> text of an applied version (a version of one table before several
        documents: that table's file)."""
        rows = self._rows(
            "SELECT file, text FROM version_files WHERE version_id = ? ORDER BY file",
            [version_id],
        )
        if rows:
            return {r["file"]: r["text"] for r in rows}
        rows = self._rows("SELECT source, text FROM catalogue_versions WHERE id = ?", [version_id])
        return {Path(r["source"]).name: r["text"] for r in rows}

    def versions(self) -> list[Version]:
        """Applied versions, oldest first."""
        return [
            Version(
                r["id"],
                parse_ts(r["applied_at"]),
                r["sha256"],
                r["source"],
                json.loads(r["summary"]),
            )
            for r in self._rows(
                "SELECT id, applied_at, sha256, source, summary FROM catalogue_versions ORDER BY id"
            )
        ]

    def latest_version_id(self) -> int | None:
        """The id of the last applied version (without reading its text)."""
        rows = self._rows("SELECT max(id) AS id FROM catalogue_versions")
        return rows[0]["id"] if rows else None

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
                    [ts(at), kind, eid],
                )
        return archived, restored

    # -- audit

    def audit(self, at: dt.datetime, actor: str, action: str, details: dict[str, Any]) -> None:
        """Append to the audit log."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO audit (at, actor, action, details) VALUES (?, ?, ?, ?)",
                [ts(at), actor, action, json.dumps(details, ensure_ascii=False, default=str)],
            )

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        """The latest audit entries, newest first."""
        return self._rows("SELECT * FROM audit ORDER BY id DESC LIMIT ?", [limit])

    # -- extension requests (延期申请), append-only with their decisions

    def add_extension(
        self,
        *,
        task_id: str,
        subtask_id: str | None,
        by: str,
        bureau_id: str | None,
        at: dt.datetime,
        old_text: str,
        new_text: str,
        new_due: dt.date,
        reason: str,
        telegram_user_id: int | None = None,
    ) -> Extension:
        """Record an extension request."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO extensions (task_id, subtask_id, requested_by, bureau_id, "
                "requested_at, old_text, new_text, new_due, reason, telegram_user_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    task_id, subtask_id, by, bureau_id, ts(at), old_text, new_text,
                    new_due.isoformat(), reason, telegram_user_id,
                ],
            )  # fmt: skip
        assert cur.lastrowid is not None
        ext = self.extension(cur.lastrowid)
        assert ext is not None
        return ext

    def decide_extension(
        self, extension_id: int, kind: ExtensionState, by: str, at: dt.datetime, note: str = ""
    ) -> None:
        """Approve, refuse or close an extension (a new event; the request stays)."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO extension_events (extension_id, kind, by_member, at, note) "
                "VALUES (?, ?, ?, ?, ?)",
                [extension_id, kind.value, by, ts(at), note],
            )

    def extensions(
        self, *, as_of: dt.datetime | None = None, task_id: str | None = None
    ) -> list[Extension]:
        """Every extension request with its latest decision (as it stood at `as_of`); none
        in a database of a duban before them (read-only commands do not migrate)."""
        if not self.db["extensions"].exists():
            return []
        sql, params = "SELECT * FROM extensions WHERE 1 = 1", []
        if as_of is not None:
            sql += " AND requested_at <= ?"
            params.append(ts(as_of))
        if task_id is not None:
            sql += " AND task_id = ?"
            params.append(task_id)
        events: dict[int, dict[str, Any]] = {}
        esql, eparams = "SELECT * FROM extension_events", []
        if as_of is not None:
            esql += " WHERE at <= ?"
            eparams.append(ts(as_of))
        for e in self._rows(esql + " ORDER BY id", eparams):
            events[e["extension_id"]] = e
        return [
            _extension(r, events.get(r["id"])) for r in self._rows(sql + " ORDER BY id", params)
        ]

    def extension(self, extension_id: int) -> Extension | None:
        """One extension request with its latest decision."""
        rows = self._rows("SELECT * FROM extensions WHERE id = ?", [extension_id])
        if not rows:
            return None
        ev = self._rows(
            "SELECT * FROM extension_events WHERE extension_id = ? ORDER BY id DESC LIMIT 1",
            [extension_id],
        )
        return _extension(rows[0], ev[0] if ev else None)

    def extension_history(self) -> list[dict[str, Any]]:
        """Requests and decisions, in time order (the export's sheet)."""
        return self._rows(
            "SELECT e.id AS id, 'requested' AS kind, e.requested_by AS by_member, "
            "e.requested_at AS at, e.reason AS note FROM extensions e "
            "UNION ALL SELECT v.extension_id, v.kind, v.by_member, v.at, v.note "
            "FROM extension_events v ORDER BY at, id"
        )

    # -- evidence (佐证材料), append-only

    def add_evidence(self, **fields: Any) -> Evidence:
        """Record a file kept as evidence of an item."""
        with self.transaction():
            cols = list(fields)
            values = [ts(v) if isinstance(v, dt.datetime) else v for v in fields.values()]
            cur = self.db.execute(
                f"INSERT INTO evidence ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                values,
            )
        assert cur.lastrowid is not None
        rows = self._rows("SELECT * FROM evidence WHERE id = ?", [cur.lastrowid])
        return _evidence(rows[0])

    def evidence_sent(self, member_id: str, since: dt.datetime) -> tuple[int, int]:
        """How many files and bytes of evidence a member sent since an instant."""
        if not self.db["evidence"].exists():
            return 0, 0
        rows = self._rows(
            "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM evidence "
            "WHERE by_member = ? AND at >= ?",
            [member_id, ts(since)],
        )
        return int(rows[0]["n"]), int(rows[0]["bytes"])

    def evidence(
        self,
        task_id: str | None = None,
        *,
        claim_id: int | None = None,
        as_of: dt.datetime | None = None,
    ) -> list[Evidence]:
        """Evidence in recorded order (of a task; of a claim; recorded by `as_of`)."""
        if not self.db["evidence"].exists():
            return []
        sql, params = "SELECT * FROM evidence WHERE 1 = 1", list[object]()
        if task_id is not None:
            sql += " AND task_id = ?"
            params.append(task_id)
        if claim_id is not None:
            sql += " AND claim_id = ?"
            params.append(claim_id)
        if as_of is not None:
            sql += " AND at <= ?"
            params.append(ts(as_of))
        return [_evidence(r) for r in self._rows(sql + " ORDER BY id", params)]

    # -- leave and deputies

    def add_leave(
        self, member_id: str, start: dt.date, end: dt.date, at: dt.datetime, by: str
    ) -> Leave:
        """Record a leave (both days included)."""
        with self.transaction():
            cur = self.db.execute(
                "INSERT INTO leaves (member_id, start, end, created_at, by_member) "
                "VALUES (?, ?, ?, ?, ?)",
                [member_id, start.isoformat(), end.isoformat(), ts(at), by],
            )
        assert cur.lastrowid is not None
        return Leave(cur.lastrowid, member_id, start, end, at)

    def cancel_leaves(self, member_id: str, at: dt.datetime) -> int:
        """End a member's current and future leaves (back early); how many."""
        day = at.date().isoformat()
        with self.transaction():
            cur = self.db.execute(
                "UPDATE leaves SET cancelled_at = ? WHERE member_id = ? AND end >= ? "
                "AND cancelled_at IS NULL",
                [ts(at), member_id, day],
            )
        return cur.rowcount

    def leaves(self, member_id: str | None = None) -> list[Leave]:
        """Leaves in the order entered (of a member)."""
        sql, params = "SELECT * FROM leaves WHERE 1 = 1", []
        if member_id is not None:
            sql += " AND member_id = ?"
            params.append(member_id)
        return [
            Leave(
                r["id"], r["member_id"], dt.date.fromisoformat(r["start"]),
                dt.date.fromisoformat(r["end"]), parse_ts(r["created_at"]),
                _dt(r["cancelled_at"]),
            )
            for r in self._rows(sql + " ORDER BY id", params)
        ]  # fmt: skip

    def set_deputy(self, member_id: str, deputy_id: str | None, at: dt.datetime) -> None:
        """A contact names their deputy in chat (None: nobody, even if the YAML names one)."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO deputies (member_id, deputy_id, set_at) VALUES (?, ?, ?)",
                [member_id, deputy_id, ts(at)],
            )

    def deputies(self) -> dict[str, str | None]:
        """Deputies chosen in chat: member -> deputy (None: none)."""
        return {r["member_id"]: r["deputy_id"] for r in self._rows("SELECT * FROM deputies")}


__all__ = ["Binding", "Busy", "Entity", "NewMessage", "OutboxRow", "Sent", "Store", "Version"]
