"""A database written by main as of 2026-11-25 (one table) takes a second document: the
migration keeps every record, the 2022 table stays the primary document with its ids
unqualified, and the new document's ids are qualified; a broken file then keeps its own last
good version across a restart."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from bot.core.history import UpdateKind
from bot.reload import apply, last_good, stored_config, validate
from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "main-2026-11-25.db"
WATER = ROOT / "tests" / "fixtures" / "documents" / "water.yaml"
NOW = dt.datetime(2026, 11, 26, 9, tzinfo=dt.UTC)


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_an_old_database_takes_a_second_document_and_keeps_its_history(tmp_path: Path) -> None:
    db = tmp_path / "duban.db"
    shutil.copy(FIXTURE, db)
    before = _rows(db, "SELECT * FROM status_updates ORDER BY id")
    store = Store.open(db)  # migrates to 008_documents
    assert store.get_meta("primary_file") == "tasks.yaml"
    config = tmp_path / "config"
    config.mkdir()
    (config / "tasks.yaml").write_text(store.version_texts(1)["tasks.yaml"], "utf-8")
    shutil.copy(WATER, config / "water.yaml")

    version, good = last_good(store, config)  # the database's own table, as a directory
    assert version == 1 and good is not None and not good.several
    texts, primary = stored_config(store)
    outcome = apply(
        store, validate(config, texts, primary), good, version, store.record(), NOW,
        actor="start", confirmed=True,
    )  # fmt: skip
    assert outcome.applied and outcome.catalogue is not None and not outcome.errors
    cat = outcome.catalogue
    assert [d.id for d in cat.docs] == ["tasks", "water"]
    assert "t07" in cat.task_ids and "water.w03" in cat.task_ids

    # every record as it was, under the same (unqualified) ids
    assert _rows(db, "SELECT * FROM status_updates ORDER BY id") == before
    assert [u.kind for u in store.updates("t07")] == [
        UpdateKind.AT_RISK, UpdateKind.NOTE, UpdateKind.NOTE, UpdateKind.DONE_CLAIMED,
        UpdateKind.RETURNED,
    ]  # fmt: skip
    record = store.record()
    assert record.item("t07").progress == 35 and record.closed("t03")
    assert record.same_as(store.history().record())
    live = {e.id for e in store.entities("task", archived=False)}
    assert {"t07", "water.w01", "water.w02", "water.w03"} <= live
    assert not store.entities("task", archived=True)  # nothing of the 2022 table archived
    assert _rows(db, "SELECT file, document FROM version_files WHERE version_id = 2") == [
        ("tasks.yaml", "tasks"),
        ("water.yaml", "water"),
    ]

    # water.yaml breaks: after a restart the bot still has it, as last good
    water = config / "water.yaml"
    water.write_text(water.read_text("utf-8").replace("lead: 城市管理局", "lead: 城管局"), "utf-8")
    store.close()
    store = Store.open(db)
    version, good = last_good(store, config)
    assert version == 2 and good is not None and good.several
    texts, primary = stored_config(store)
    again = apply(
        store, validate(config, texts, primary), good, version, store.record(), NOW,
        actor="start", confirmed=True,
    )  # fmt: skip
    assert again.unchanged and again.broken == ["water.yaml"]
    assert any("城管局" in e for e in again.errors)
    assert again.catalogue is not None and "water.w01" in again.catalogue.task_ids
    store.close()


TODAY = ROOT / "tests" / "fixtures" / "main-2026-11-26.db"  # main before several documents
KEPT = (
    "status_updates", "readings", "extensions", "extension_events", "evidence", "bindings",
    "invites", "outbox", "prompt_state", "item_state", "leaves", "deputies", "audit",
)  # fmt: skip


def test_a_database_of_main_before_several_documents_keeps_all_of_it(tmp_path: Path) -> None:
    """Written by main on 2026-11-26 (45b785f, tests/fixtures/make_main_db_1126.py): answers,
    a note with progress, a claim confirmed, an extension approved, 52 messages sent."""
    db = tmp_path / "duban.db"
    shutil.copy(TODAY, db)
    before = {t: _rows(db, f"SELECT * FROM {t} ORDER BY 1") for t in KEPT}
    assert len(before["status_updates"]) == 6 and len(before["outbox"]) == 52
    store = Store.open(db)
    config = tmp_path / "config"
    config.mkdir()
    (config / "tasks.yaml").write_text(store.version_texts(1)["tasks.yaml"], "utf-8")
    shutil.copy(WATER, config / "water.yaml")
    version, good = last_good(store, config)
    texts, primary = stored_config(store)
    outcome = apply(
        store, validate(config, texts, primary), good, version, store.record(), NOW,
        actor="start", confirmed=True,
    )  # fmt: skip
    assert outcome.applied and outcome.catalogue is not None and outcome.catalogue.several
    after = {t: _rows(db, f"SELECT * FROM {t} ORDER BY 1") for t in KEPT}
    assert {t: rows for t, rows in after.items() if t != "audit"} == {
        t: rows for t, rows in before.items() if t != "audit"
    }
    assert after["audit"][: len(before["audit"])] == before["audit"]  # appended to, only
    record = store.record()
    assert record.item("t07").progress == 30 and record.closed("t08")
    assert record.same_as(store.history().record())
    (approved,) = [e for e in store.extensions() if e.task_id == "t14"]
    assert approved.active and approved.new_text == "2026年6月底"
    store.close()
