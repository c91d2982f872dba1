"""The current state in SQLite: kept on every write, rebuilt from the history on demand.

The fold itself is the core's (`ItemState.fold`, `History.record`); this module stores its
result (`item_state`, `indicator_state`, `prompt_state`) and applies one event at a time
inside the caller's transaction, recording what changed in a `Delta`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import sqlite_utils

from bot.core.history import (
    DELIVERED,
    PROMPT_KINDS,
    Delta,
    History,
    ItemState,
    Prompt,
    Reading,
    Record,
    Sent,
    StatusUpdate,
    UpdateKind,
    answered_by,
)


def ts(when: dt.datetime) -> str:
    """An aware instant as stored: ISO 8601 in UTC with microseconds (sorts as it reads)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_ts(text: str) -> dt.datetime:
    """A stored instant."""
    return dt.datetime.fromisoformat(text)


def to_update(row: dict[str, Any]) -> StatusUpdate:
    """A status_updates row."""
    return StatusUpdate(
        id=row["id"],
        task_id=row["task_id"],
        kind=UpdateKind(row["kind"]),
        at=parse_ts(row["at"]),
        by=row["by_member"],
        bureau_id=row["bureau_id"],
        subtask_id=row["subtask_id"],
        progress=row["progress"],
        note=row["note"],
        message_key=row["message_key"],
        corrects=row["corrects"],
    )


def to_reading(row: dict[str, Any]) -> Reading:
    """A readings row."""
    return Reading(
        id=row["id"],
        indicator_id=row["indicator_id"],
        value=row["value"],
        at=parse_ts(row["at"]),
        by=row["by_member"],
        bureau_id=row["bureau_id"],
        note=row["note"],
        message_key=row["message_key"],
    )


#: The outbox columns a `Sent` is made of (not the message's text and buttons).
SENT_COLUMNS = (
    "key, kind, recipient, sent_at, slot, task_id, indicator_id, bureau_id, state, subtask_id"
)


def to_sent(row: dict[str, Any]) -> Sent:
    """An outbox row as history sees it (sent time, else the planned slot)."""
    return Sent(
        key=row["key"],
        kind=row["kind"],
        recipient=row["recipient"],
        at=parse_ts(row["sent_at"] or row["slot"]),
        task_id=row["task_id"],
        indicator_id=row["indicator_id"],
        bureau_id=row["bureau_id"],
        state=row["state"],
        subtask_id=row["subtask_id"],
    )


def load_history(
    db: sqlite_utils.Database, *, outbox_states: Iterable[str] | None = None
) -> History:
    """Every update, reading and outbox row."""
    updates = [to_update(r) for r in db.query("SELECT * FROM status_updates ORDER BY id")]
    readings = [to_reading(r) for r in db.query("SELECT * FROM readings ORDER BY id")]
    rows = db.query("SELECT * FROM outbox")
    wanted = set(outbox_states) if outbox_states is not None else None
    sent = [to_sent(r) for r in rows if wanted is None or r["state"] in wanted]
    return History(updates, readings, sent)


# -- writing the whole state -------------------------------------------------------------------


def rebuild_state(db: sqlite_utils.Database) -> Record:
    """Recompute every state table from the history (`duban rebuild`, migration 003)."""
    record = load_history(db).record()
    db.execute("DELETE FROM item_state")
    db.execute("DELETE FROM indicator_state")
    db.execute("DELETE FROM prompt_state")
    for (task_id, sub_id), state in record.items.items():
        _write_item(db, task_id, sub_id, state)
    for ind, last in record.last_readings.items():
        value = record.readings.get(ind)
        db.execute(
            "INSERT INTO indicator_state (indicator_id, value_id, last_id) VALUES (?, ?, ?)",
            [ind, value.id if value else None, last.id],
        )
    for prompt in record.prompts.values():
        _write_prompt(db, prompt)
    return record


def _write_item(db: sqlite_utils.Database, task_id: str, sub_id: str | None, s: ItemState) -> None:
    def uid(u: StatusUpdate | None) -> int | None:
        return u.id if u else None

    db.execute(
        "INSERT INTO item_state (task_id, subtask_id, last_id, report_id, progress, closure_id, "
        "claim_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, subtask_id) DO UPDATE SET "
        "last_id = excluded.last_id, report_id = excluded.report_id, "
        "progress = excluded.progress, closure_id = excluded.closure_id, "
        "claim_id = excluded.claim_id",
        [
            task_id,
            sub_id or "",
            uid(s.last),
            uid(s.report),
            s.progress,
            uid(s.closure),
            uid(s.claim),
        ],
    )


def _write_prompt(db: sqlite_utils.Database, p: Prompt) -> None:
    db.execute(
        "INSERT INTO prompt_state (subject, recipient, key, answered_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (subject, recipient) DO UPDATE SET key = excluded.key, "
        "answered_at = excluded.answered_at",
        [p.subject, p.recipient, p.key, ts(p.answered_at) if p.answered_at else None],
    )


# -- reading the whole state -------------------------------------------------------------------


def load_record(db: sqlite_utils.Database) -> Record:
    """The current state from the state tables (what a starting bot loads); from the history
    itself for a database not migrated yet (opened read-only by a command)."""
    if "item_state" not in db.table_names():
        return load_history(db).record()
    items = list(db.query("SELECT * FROM item_state"))
    wanted = {r[c] for r in items for c in ("last_id", "report_id", "closure_id", "claim_id")}
    updates = _updates_by_id(db, {i for i in wanted if i is not None})

    def get(i: int | None) -> StatusUpdate | None:
        return updates.get(i) if i is not None else None

    record = Record()
    for r in items:
        state = ItemState(
            get(r["last_id"]), get(r["report_id"]), r["progress"], get(r["closure_id"]),
            get(r["claim_id"]),
        )  # fmt: skip
        record.set_item((r["task_id"], r["subtask_id"] or None), state)
    readings = {
        r["id"]: to_reading(r)
        for r in db.query(
            "SELECT * FROM readings WHERE id IN (SELECT value_id FROM indicator_state "
            "UNION SELECT last_id FROM indicator_state)"
        )
    }
    for r in db.query("SELECT * FROM indicator_state"):
        if r["last_id"] in readings:
            record.last_readings[r["indicator_id"]] = readings[r["last_id"]]
        if r["value_id"] in readings:
            record.readings[r["indicator_id"]] = readings[r["value_id"]]
    cols = ", ".join(f"o.{c.strip()}" for c in SENT_COLUMNS.split(","))
    for r in db.query(
        f"SELECT p.subject AS p_subject, p.answered_at AS p_answered, {cols} FROM prompt_state p "
        "JOIN outbox o ON o.key = p.key"
    ):
        record.set_prompt(_prompt(to_sent(r), r["p_subject"], r["p_answered"]))
    record.sent = {key for (key,) in db.execute("SELECT key FROM outbox")}
    return record


def _prompt(s: Sent, subject: str, answered: str | None) -> Prompt:
    return Prompt(
        s.key, s.kind, subject, s.recipient, s.at, s.bureau_id, s.task_id, s.subtask_id,
        s.indicator_id, parse_ts(answered) if answered else None,
    )  # fmt: skip


def _updates_by_id(db: sqlite_utils.Database, ids: set[int]) -> dict[int, StatusUpdate]:
    out: dict[int, StatusUpdate] = {}
    chunk = sorted(ids)
    for i in range(0, len(chunk), 900):
        part = chunk[i : i + 900]
        marks = ",".join("?" * len(part))
        for r in db.query(f"SELECT * FROM status_updates WHERE id IN ({marks})", part):
            out[r["id"]] = to_update(r)
    return out


# -- one event at a time (inside the caller's transaction) -------------------------------------


def item_state(db: sqlite_utils.Database, task_id: str, sub_id: str | None) -> ItemState:
    """One item's stored state."""
    rows = list(
        db.query(
            "SELECT * FROM item_state WHERE task_id = ? AND subtask_id = ?", [task_id, sub_id or ""]
        )
    )
    if not rows:
        return ItemState()
    r = rows[0]
    ids = {r[c] for c in ("last_id", "report_id", "closure_id", "claim_id") if r[c] is not None}
    by_id = _updates_by_id(db, ids)
    return ItemState(
        by_id.get(r["last_id"]), by_id.get(r["report_id"]), r["progress"],
        by_id.get(r["closure_id"]), by_id.get(r["claim_id"]),
    )  # fmt: skip


def _prompts_about(db: sqlite_utils.Database, subject: str) -> list[Prompt]:
    return [
        _prompt(to_sent(r), r["p_subject"], r["p_answered"])
        for r in db.query(
            "SELECT p.subject AS p_subject, p.answered_at AS p_answered, o.* FROM prompt_state p "
            "JOIN outbox o ON o.key = p.key WHERE p.subject = ?",
            [subject],
        )
    ]


def _answer(
    db: sqlite_utils.Database, subject: str, bureau_id: str | None, at: dt.datetime, delta: Delta
) -> None:
    for p in _prompts_about(db, subject):
        if answered_by(p, at, bureau_id) and (p.answered_at is None or at < p.answered_at):
            q = replace(p, answered_at=at)
            _write_prompt(db, q)
            delta.prompts.append(q)


def apply_update(db: sqlite_utils.Database, u: StatusUpdate, delta: Delta) -> ItemState:
    """A status update was inserted: fold it into its item and answer the prompts it answers."""
    key = (u.task_id, u.subtask_id)
    state = item_state(db, *key).fold(u)
    _write_item(db, u.task_id, u.subtask_id, state)
    delta.items[key] = state
    _answer(db, u.task_id, u.bureau_id, u.at, delta)
    return state


def apply_reading(db: sqlite_utils.Database, r: Reading, delta: Delta) -> None:
    """A reading was inserted: the indicator's latest, and the prompts it answers."""
    db.execute(
        "INSERT INTO indicator_state (indicator_id, value_id, last_id) VALUES (?, ?, ?) "
        "ON CONFLICT (indicator_id) DO UPDATE SET last_id = excluded.last_id, "
        "value_id = coalesce(excluded.value_id, indicator_state.value_id)",
        [r.indicator_id, r.id if r.value is not None else None, r.id],
    )
    delta.readings.append(r)
    _answer(db, r.indicator_id, r.bureau_id, r.at, delta)


def apply_delivered(db: sqlite_utils.Database, s: Sent, delta: Delta) -> None:
    """A prompt went out (or may have): it becomes the latest of its series if it is newer,
    answered already if an answer at or after it was recorded (clocks can move)."""
    subject = s.subject
    if s.kind not in PROMPT_KINDS or s.state not in DELIVERED or subject is None:
        return
    rows = list(
        db.query(
            "SELECT o.* FROM prompt_state p JOIN outbox o ON o.key = p.key "
            "WHERE p.subject = ? AND p.recipient = ?",
            [subject, s.recipient],
        )
    )
    if rows:
        old = to_sent(rows[0])
        if (old.at, old.key) >= (s.at, s.key):
            return
    prompt = _prompt(s, subject, None)
    first = None
    for table, column in (("status_updates", "task_id"), ("readings", "indicator_id")):
        found = next(
            iter(
                db.query(
                    f"SELECT min(at) AS m FROM {table} WHERE {column} = ? AND at >= ? "
                    "AND (? IS NULL OR bureau_id = ?)",
                    [subject, ts(s.at), s.bureau_id, s.bureau_id],
                )
            )
        )["m"]
        if found is not None and (first is None or found < first):
            first = found
    if first is not None:
        prompt = replace(prompt, answered_at=parse_ts(first))
    _write_prompt(db, prompt)
    delta.prompts.append(prompt)
