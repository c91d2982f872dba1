"""The store on real SQLite files: append-only history, the outbox, bindings, versions."""

from __future__ import annotations

import datetime as dt
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.history import UpdateKind
from storage.repo import NewMessage, Store

NOW = dt.datetime(2025, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(tmp_path / "duban.db")
    yield s
    s.close()


def test_database_file_is_private_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "duban.db"
    Store.open(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def _schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    rows = conn.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ).fetchall()
    conn.close()
    return rows


def test_fresh_and_old_databases_end_on_the_latest_schema(tmp_path: Path) -> None:
    import sqlite_utils

    from storage.db import MIGRATIONS, migrate

    old = tmp_path / "old.db"
    db = sqlite_utils.Database(old)
    migrate(db, stop_before="002_message_lookups")  # a database from before the second one
    db.execute(
        "INSERT INTO status_updates (task_id, kind, by_member, at, recorded_at) VALUES ('t01', 'note', 'eco-1', '2022-05-01T00:00:00+00:00', '2022-05-01T00:00:00+00:00')"
    )
    db.conn.close()
    assert ("index", "status_updates_message") not in _schema(old)
    Store.open(old).close()
    fresh = tmp_path / "fresh.db"
    Store.open(fresh).close()
    assert _schema(old) == _schema(fresh)
    assert ("index", "status_updates_message") in _schema(fresh)
    reopened = Store.open(old)
    assert [m.name for m in MIGRATIONS.applied(reopened.db)] == [
        "001_initial",
        "002_message_lookups",
        "003_current_state",
        "005_web_sessions",
        "006_workflow",
        "007_database_id",
        "008_documents",
    ]
    assert len(reopened.updates()) == 1  # the old data is still there
    reopened.close()


def test_status_updates_cannot_be_changed_or_deleted(store: Store) -> None:
    store.add_update(task_id="t01", kind=UpdateKind.ON_TRACK, by="eco-1", at=NOW)
    store.add_reading(indicator_id="pm25", value=47.5, by="eco-1", at=NOW)
    for sql in ("UPDATE status_updates SET note = 'x'", "DELETE FROM status_updates"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM readings")
    assert len(store.updates()) == 1 and len(store.readings()) == 1


def test_a_redelivered_telegram_update_is_recorded_once(store: Store) -> None:
    first = store.add_update(task_id="t01", kind=UpdateKind.NOTE, by="eco-1", at=NOW, update_id=7)
    again = store.add_update(task_id="t01", kind=UpdateKind.NOTE, by="eco-1", at=NOW, update_id=7)
    assert first is not None and again is None
    assert store.add_reading(indicator_id="pm25", value=1, by="x", at=NOW, update_id=8)
    assert store.add_reading(indicator_id="pm25", value=1, by="x", at=NOW, update_id=8) is None
    assert len(store.updates()) == 1 and len(store.readings()) == 1


def _message(key: str, chat_id: int | None = 5) -> NewMessage:
    return NewMessage(
        key, "reminder", "eco-1", chat_id, NOW, "提醒", task_id="t01", bureau_id="eco"
    )


def test_an_outbox_key_is_sent_once(store: Store) -> None:
    assert store.outbox_add([_message("k1")], NOW) == ["k1"]
    assert store.outbox_add([_message("k1")], NOW) == []  # a key is planned once
    [row] = store.outbox_claim(["k1"])
    assert row.state == "sending" and row.attempts == 1
    assert store.outbox_claim(["k1"]) == []  # in flight
    store.outbox_sent(["k1"], 42, NOW)
    assert store.outbox_claim(["k1"]) == []  # sent
    assert [r.key for r in store.outbox_by_message(5, 42)] == ["k1"]
    assert "k1" in store.record().sent and "k1" in store.history().sent


def test_a_retryable_failure_and_a_crash_go_back_to_pending(store: Store) -> None:
    store.outbox_add([_message("a"), _message("b")], NOW)
    assert store.outbox_claim(["a"])
    store.outbox_retry(["a"], "connection refused", NOW + dt.timedelta(seconds=30))
    assert store.outbox_due(NOW) and [r.key for r in store.outbox_due(NOW)] == ["b"]  # a waits
    [again] = store.outbox_claim(["a"])
    assert again.attempts == 2
    assert store.outbox_claim(["b"])  # then the process dies mid-send
    store.outbox_sent(["a"], 7, NOW)
    assert store.outbox_recover() == ["b"]  # in flight at the crash: sent again
    assert [r.key for r in store.outbox_due(NOW)] == ["b"]
    assert store.outbox_claim(["a"]) == []  # a confirmed send never repeats


def test_a_send_whose_answer_never_came_is_not_sent_again(store: Store) -> None:
    store.outbox_add([_message("u")], NOW)
    store.outbox_claim(["u"])
    store.outbox_unknown(["u"], "TimedOut", NOW)
    assert store.outbox_due(NOW + dt.timedelta(days=1)) == []
    assert store.outbox_counts() == {"unknown": 1}
    prompt = store.record().prompts[("t01", "eco-1")]  # still counts as asked: followed up
    assert prompt.key == "u" and prompt.answered_at is None


def test_invites_are_one_use_and_binding_replaces(store: Store) -> None:
    code = store.create_invite("eco-1", NOW)
    assert store.redeem_invite(code, 100, NOW) == "eco-1"
    assert store.redeem_invite(code, 101, NOW) is None
    store.bind("eco-1", 100, NOW, "code")
    store.bind("eco-1", 200, NOW, "code")  # a new phone
    assert store.binding_for_member("eco-1").telegram_user_id == 200
    assert store.binding_for_user(100) is None


def test_entities_are_archived_and_restored_not_deleted(store: Store) -> None:
    v1 = store.add_version(sha256="a", source="t.yaml", text="x", summary={}, at=NOW)
    store.sync_entities([("task", "t01", "甲", "s1", {}), ("task", "t02", "乙", "s1", {})], v1, NOW)
    v2 = store.add_version(sha256="b", source="t.yaml", text="y", summary={}, at=NOW)
    archived, _ = store.sync_entities([("task", "t01", "甲", "s1", {})], v2, NOW)
    assert archived == [("task", "t02")]
    assert [e.id for e in store.entities("task", archived=True)] == ["t02"]
    v3 = store.add_version(sha256="c", source="t.yaml", text="z", summary={}, at=NOW)
    _, restored = store.sync_entities(
        [("task", "t01", "甲", "s1", {}), ("task", "t02", "乙", "s1", {})], v3, NOW
    )
    assert restored == [("task", "t02")]
    assert store.entities("task", archived=True) == []


def test_unreachable_is_reported_once(store: Store) -> None:
    assert store.mark_unreachable("eco-1", NOW, "blocked")
    assert not store.mark_unreachable("eco-1", NOW, "blocked")
    store.mark_reachable("eco-1")
    assert store.unreachable() == {}


@settings(max_examples=40, deadline=None)
@given(
    note=st.text(max_size=300),
    progress=st.none() | st.integers(0, 100),
    seconds=st.integers(0, 10**9),
)
def test_updates_survive_a_round_trip(
    tmp_path_factory: pytest.TempPathFactory, note: str, progress: int | None, seconds: int
) -> None:
    store = Store.open(tmp_path_factory.mktemp("rt") / "d.db")
    when = dt.datetime(2022, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)
    store.add_update(
        task_id="t07", kind=UpdateKind.AT_RISK, by="eco-1", at=when, note=note, progress=progress
    )
    (u,) = store.updates()
    assert (u.note, u.progress, u.at, u.kind) == (note, progress, when, UpdateKind.AT_RISK)
    store.close()
