"""The current state as it stood at an earlier instant, without reading the whole history.

`History.as_of(when).record()` defines it: fold every update, reading and delivered prompt
recorded at or before `when`. The weekly digest needs last week's state (the change since
last week, the tasks that turned red); folding three years of answers for it took seconds.
Here it is the current state (the state tables) with only what changed since `when` worked
back, by SQLite:

* an item (task or sub-item) with an update after `when`: its state from the ids of its
  latest update, latest report, latest progress, latest closure-or-reopening and latest
  claim-or-decision at or before `when` (one grouped query: the fold keeps exactly those);
* an indicator with a reading after `when`: its latest reading (with a value) before it;
* a prompt answered after `when`: unanswered then (its first answer came later);
* a prompt about a subject prompted again after `when`: the latest prompt delivered at or
  before `when` to each recipient, answered by the first answer from its bureau at or after
  it and at or before `when`;
* the outbox keys of the messages that had gone (or were in flight) by `when`.

A property test holds it equal to the fold (`tests/storage/test_asof.py`).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import sqlite_utils

from bot.core.history import (
    DELIVERED,
    LIGHT_KINDS,
    PROMPT_KINDS,
    ItemState,
    Prompt,
    Reading,
    Record,
    UpdateKind,
)
from storage.state import SENT_COLUMNS, load_record, parse_ts, to_reading, to_sent, ts
from storage.state import _updates_by_id as updates_by_id

_LIGHT = ",".join(f"'{k.value}'" for k in sorted(LIGHT_KINDS))
_PROMPTS = ",".join(f"'{k}'" for k in sorted(PROMPT_KINDS))
_DELIVERED = ",".join(f"'{s}'" for s in sorted(DELIVERED))
#: Ids in one `IN (...)` (SQLite allows 999 parameters in older builds).
CHUNK = 900


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    items = sorted(values)
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _marks(part: list[Any]) -> str:
    return ",".join("?" * len(part))


def _ids(db: sqlite_utils.Database, sql: str, w: str) -> set[str]:
    return {value for (value,) in db.execute(sql, [w]) if value is not None}


def load_record_as_of(
    db: sqlite_utils.Database, when: dt.datetime, current: Record | None = None
) -> Record:
    """The state at `when` (see the module docstring), from `current` (the state now, read
    from the state tables when not given)."""
    w = ts(when)
    current = current if current is not None else load_record(db)
    tasks = _ids(db, "SELECT DISTINCT task_id FROM status_updates WHERE at > ?", w)
    indicators = _ids(db, "SELECT DISTINCT indicator_id FROM readings WHERE at > ?", w)
    prompted = _ids(
        db,
        f"SELECT DISTINCT coalesce(indicator_id, task_id) FROM outbox WHERE kind IN ({_PROMPTS}) "
        f"AND state IN ({_DELIVERED}) AND coalesce(sent_at, slot) > ?",
        w,
    )
    items = {k: v for k, v in current.items.items() if k[0] not in tasks}
    items.update(_items(db, w, tasks))
    readings = {k: v for k, v in current.readings.items() if k not in indicators}
    last = {k: v for k, v in current.last_readings.items() if k not in indicators}
    _readings(db, w, indicators, readings, last)
    prompts = {
        k: replace(p, answered_at=None) if p.answered_at and p.answered_at > when else p
        for k, p in current.prompts.items()
        if k[0] not in prompted
    }
    prompts.update(_prompts(db, w, prompted))
    later = db.execute(
        "SELECT key FROM outbox WHERE state = 'pending' OR coalesce(sent_at, slot) > ?", [w]
    )
    sent = current.sent - {key for (key,) in later}
    return Record(items, readings, last, prompts, sent)


def _items(
    db: sqlite_utils.Database, w: str, tasks: set[str]
) -> dict[tuple[str, str | None], ItemState]:
    """The items of `tasks` folded up to `w`, from the ids the fold would keep."""
    rows: list[dict[str, Any]] = []
    for part in _chunks(tasks):
        rows += db.query(
            "SELECT task_id, subtask_id, max(id) AS last_id, "
            f"max(CASE WHEN kind IN ({_LIGHT}) THEN id END) AS report_id, "
            "max(CASE WHEN progress IS NOT NULL THEN id END) AS progress_id, "
            "max(CASE WHEN kind IN ('closed', 'reopened') THEN id END) AS closure_id, "
            "max(CASE WHEN kind IN ('done_claimed', 'closed', 'returned', 'reopened') THEN id END) "
            f"AS claim_id FROM status_updates WHERE at <= ? AND task_id IN ({_marks(part)}) "
            "GROUP BY task_id, subtask_id",
            [w, *part],
        )
    cols = ("last_id", "report_id", "progress_id", "closure_id", "claim_id")
    by_id = updates_by_id(db, {r[c] for r in rows for c in cols if r[c] is not None})
    out = {}
    for r in rows:
        progress = by_id.get(r["progress_id"])
        closure = by_id.get(r["closure_id"])
        claim = by_id.get(r["claim_id"])
        out[(r["task_id"], r["subtask_id"])] = ItemState(
            by_id[r["last_id"]],
            by_id.get(r["report_id"]),
            progress.progress if progress else None,
            closure if closure and closure.kind is UpdateKind.CLOSED else None,
            claim if claim and claim.kind is UpdateKind.DONE_CLAIMED else None,
        )
    return out


def _readings(
    db: sqlite_utils.Database,
    w: str,
    indicators: set[str],
    readings: dict[str, Reading],
    last: dict[str, Reading],
) -> None:
    for part in _chunks(indicators):
        for r in db.query(
            "SELECT * FROM readings WHERE id IN (SELECT max(id) FROM readings WHERE at <= ? AND "
            f"indicator_id IN ({_marks(part)}) GROUP BY indicator_id) OR id IN (SELECT max(id) "
            f"FROM readings WHERE at <= ? AND value IS NOT NULL AND indicator_id IN "
            f"({_marks(part)}) GROUP BY indicator_id) ORDER BY id",
            [w, *part, w, *part],
        ):
            reading = to_reading(r)
            last[reading.indicator_id] = reading  # ids ascending: the latest stays
            if reading.value is not None:
                readings[reading.indicator_id] = reading


def _prompts(
    db: sqlite_utils.Database, w: str, subjects: set[str]
) -> dict[tuple[str, str], Prompt]:
    """The latest prompt delivered by `w` about each subject to each recipient, answered as
    it was at `w`."""
    latest: list[dict[str, Any]] = []
    answers: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (at, bureau or "")
    for part in _chunks(subjects):
        marks = _marks(part)
        latest += db.query(
            f"SELECT * FROM (SELECT {SENT_COLUMNS}, row_number() OVER (PARTITION BY coalesce(indicator_id, "
            "task_id), recipient ORDER BY coalesce(sent_at, slot) DESC, key DESC) AS n FROM outbox "
            f"WHERE kind IN ({_PROMPTS}) AND state IN ({_DELIVERED}) AND coalesce(sent_at, slot) "
            f"<= ? AND (indicator_id IN ({marks}) OR (indicator_id IS NULL AND task_id IN "
            f"({marks})))) WHERE n = 1",
            [w, *part, *part],
        )
        for table, column in (("status_updates", "task_id"), ("readings", "indicator_id")):
            rows = db.execute(
                f"SELECT {column}, at, coalesce(bureau_id, '') FROM {table} WHERE at <= ? AND "
                f"{column} IN ({marks})",
                [w, *part],
            )
            for subject, at, bureau in rows:
                answers[subject].append((at, bureau))
    for times in answers.values():
        times.sort()
    out = {}
    for row in latest:
        s = to_sent(row)
        subject = row["indicator_id"] or row["task_id"]
        answered = _first_answer(
            answers.get(subject, []), row["sent_at"] or row["slot"], s.bureau_id
        )
        out[(subject, s.recipient)] = Prompt(
            s.key, s.kind, subject, s.recipient, s.at, s.bureau_id, s.task_id, s.subtask_id,
            s.indicator_id, parse_ts(answered) if answered else None,
        )  # fmt: skip
    return out


def _first_answer(times: list[tuple[str, str]], at: str, bureau: str | None) -> str | None:
    """The first answer at or after `at` from `bureau` (any bureau when None)."""
    for when, by in times[bisect_left(times, (at, "")) :]:
        if bureau is None or by == bureau:
            return when
    return None
