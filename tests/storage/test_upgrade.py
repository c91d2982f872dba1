"""A database written by main as of 2026-11-25 opens on today's schema with all of its
history, its pending questions in their typed form and its current state rebuilt."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from bot.core.history import UpdateKind
from bot.core.protocol import Awaiting
from storage.repo import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "main-2026-11-25.db"


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_the_database_of_main_keeps_its_history_and_gets_its_state(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    shutil.copy(FIXTURE, db)
    before = {t: _count(db, t) for t in ("status_updates", "readings", "outbox", "bindings")}
    store = Store.open(db)
    after = {t: _count(db, t) for t in before}
    assert after == before == {"status_updates": 8, "readings": 1, "outbox": 5, "bindings": 3}
    assert [u.kind for u in store.updates("t07")] == [
        UpdateKind.AT_RISK,
        UpdateKind.NOTE,
        UpdateKind.NOTE,
        UpdateKind.DONE_CLAIMED,
        UpdateKind.RETURNED,
    ]
    record = store.record()
    t07 = record.item("t07")
    assert t07.report is not None and t07.report.kind is UpdateKind.AT_RISK  # 退回 keeps it
    assert t07.claim is None and t07.progress == 35
    assert record.closed("t03") and not record.closed("t07")
    assert record.item("t01", "t01-1").report is not None
    assert record.item("t01").report is None  # a sub-item's report stays the sub-item's
    reading = record.latest_reading("pm25")
    assert reading is not None and reading.value == 47.5
    assert record.prompts[("pm25", "eco-1")].answered_at is not None
    assert record.prompts[("t07", "eco-1")].answered_at is not None
    assert record.same_as(store.history().record())
    kinds = {uid: store.pending(uid) for uid in (2001, 2002, 1002, 2003)}
    assert {uid: p.kind for uid, p in kinds.items() if p} == {
        2001: Awaiting.NOTE,
        2002: Awaiting.WHICH_TASK,
        1002: Awaiting.RETURN_REASON,
        2003: Awaiting.READING,
    }
    which = kinds[2002]
    assert which is not None and which.texts == (("这是一段待归类的说明", None),)
    assert kinds[1002] is not None and kinds[1002].claim_id == 4
    store.close()


def test_a_command_reading_an_old_database_sees_its_current_state(tmp_path: Path) -> None:
    """`duban plan` before the new bot ever ran: read-only, nothing migrated, still right."""
    from storage.readonly import open_readonly

    db = tmp_path / "duban.db"
    shutil.copy(FIXTURE, db)
    store = Store(open_readonly(db))
    record = store.record()
    assert record.closed("t03") and record.item("t07").progress == 35
    assert "reminder:t07:2025-12-31:30d:eco-1" in record.sent
    store.close()
    assert "item_state" not in {
        r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")
    }
