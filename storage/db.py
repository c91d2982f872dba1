"""Opening the SQLite database: file mode, WAL, foreign keys and schema migrations.

The schema is built by sqlite-utils migrations (`MIGRATIONS`, recorded in the
`_sqlite_migrations` table): each runs once, in a transaction, in order, so a fresh
database and an old one both end on the latest schema. Status updates and readings are
append-only: triggers refuse UPDATE and DELETE on them, so no code path (and no edit of
the YAML) can lose one.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

INITIAL_SCHEMA = """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

    CREATE TABLE catalogue_versions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        applied_at TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        source TEXT NOT NULL,
        text TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '{}'
    );

    -- every task, sub-item, bureau, contact and indicator the table ever held
    CREATE TABLE entities (
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        title TEXT NOT NULL,
        section TEXT,
        data TEXT NOT NULL DEFAULT '{}',
        first_version INTEGER NOT NULL,
        last_version INTEGER NOT NULL,
        archived_at TEXT,
        PRIMARY KEY (kind, id)
    );

    CREATE TABLE bindings (
        member_id TEXT PRIMARY KEY,
        telegram_user_id INTEGER NOT NULL UNIQUE,
        bound_at TEXT NOT NULL,
        via TEXT NOT NULL
    );

    CREATE TABLE invites (
        code TEXT PRIMARY KEY,
        member_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT,
        used_by INTEGER
    );

    CREATE TABLE outbox (
        key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        recipient TEXT NOT NULL,
        chat_id INTEGER,
        task_id TEXT,
        subtask_id TEXT,
        indicator_id TEXT,
        bureau_id TEXT,
        slot TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        message_id INTEGER,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        text TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX outbox_message ON outbox (chat_id, message_id);
    CREATE INDEX outbox_state ON outbox (state);

    CREATE TABLE status_updates (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        subtask_id TEXT,
        kind TEXT NOT NULL,
        progress INTEGER,
        note TEXT NOT NULL DEFAULT '',
        by_member TEXT NOT NULL,
        bureau_id TEXT,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        message_key TEXT,
        corrects INTEGER REFERENCES status_updates (id),
        telegram_user_id INTEGER,
        telegram_message_id INTEGER,
        source TEXT NOT NULL DEFAULT 'chat'
    );
    CREATE INDEX status_updates_task ON status_updates (task_id, at);
    CREATE TRIGGER status_updates_no_update BEFORE UPDATE ON status_updates
        BEGIN SELECT RAISE(ABORT, 'status_updates is append-only'); END;
    CREATE TRIGGER status_updates_no_delete BEFORE DELETE ON status_updates
        BEGIN SELECT RAISE(ABORT, 'status_updates is append-only'); END;

    CREATE TABLE readings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        indicator_id TEXT NOT NULL,
        value REAL NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        by_member TEXT NOT NULL,
        bureau_id TEXT,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        message_key TEXT,
        telegram_user_id INTEGER
    );
    CREATE INDEX readings_indicator ON readings (indicator_id, at);
    CREATE TRIGGER readings_no_update BEFORE UPDATE ON readings
        BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;
    CREATE TRIGGER readings_no_delete BEFORE DELETE ON readings
        BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    );

    -- Telegram update ids already handled: a redelivered update is not recorded twice
    CREATE TABLE processed_updates (update_id INTEGER PRIMARY KEY, at TEXT NOT NULL);

    CREATE TABLE reachability (
        member_id TEXT PRIMARY KEY,
        unreachable_since TEXT NOT NULL,
        reason TEXT NOT NULL,
        alerted INTEGER NOT NULL DEFAULT 0
    );

    -- what the bot waits for from a user (a note after a button, a reason for 退回)
    CREATE TABLE pending_input (
        telegram_user_id INTEGER PRIMARY KEY,
        what TEXT NOT NULL,
        task_id TEXT,
        subtask_id TEXT,
        message_key TEXT,
        update_id INTEGER,
        since TEXT NOT NULL
    );
"""

MIGRATIONS = Migrations("duban")


def _statements(script: str) -> list[str]:
    """Split a script into statements (triggers contain semicolons of their own)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buf.strip():
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


@MIGRATIONS(name="001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    for statement in _statements(INITIAL_SCHEMA):
        db.execute(statement)


@MIGRATIONS(name="002_message_lookups")
def _message_lookups(db: sqlite_utils.Database) -> None:
    # an edited reply finds the update it corrects; a recipient's outbox rows by recipient
    db.execute(
        "CREATE INDEX status_updates_message ON status_updates (telegram_user_id, telegram_message_id)"
    )
    db.execute("CREATE INDEX outbox_recipient ON outbox (recipient, state)")


STATE_SCHEMA = """
    -- The current state, kept on every write and rebuildable from the history (duban
    -- rebuild): per task ('' sub-item) and sub-item the ids of its latest update, latest
    -- report, closure in force and open claim, and its latest progress.
    CREATE TABLE item_state (
        task_id TEXT NOT NULL,
        subtask_id TEXT NOT NULL DEFAULT '',
        last_id INTEGER,
        report_id INTEGER,
        progress INTEGER,
        closure_id INTEGER,
        claim_id INTEGER,
        PRIMARY KEY (task_id, subtask_id)
    );
    -- per indicator: the latest reading with a value and the latest of any kind
    CREATE TABLE indicator_state (
        indicator_id TEXT PRIMARY KEY,
        value_id INTEGER,
        last_id INTEGER
    );
    -- per subject (task or indicator) and recipient: the latest prompt and its first answer
    CREATE TABLE prompt_state (
        subject TEXT NOT NULL,
        recipient TEXT NOT NULL,
        key TEXT NOT NULL,
        answered_at TEXT,
        PRIMARY KEY (subject, recipient)
    );
    CREATE INDEX status_updates_id_task ON status_updates (task_id, id);
    CREATE INDEX status_updates_recorded ON status_updates (recorded_at);
    CREATE INDEX readings_recorded ON readings (recorded_at);
"""

READINGS_V2 = """
    DROP TRIGGER readings_no_update;
    DROP TRIGGER readings_no_delete;
    CREATE TABLE readings_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        indicator_id TEXT NOT NULL,
        value REAL CHECK (value IS NULL OR (value = value AND abs(value) < 1e300)),
        note TEXT NOT NULL DEFAULT '',
        by_member TEXT NOT NULL,
        bureau_id TEXT,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        message_key TEXT,
        telegram_user_id INTEGER,
        telegram_message_id INTEGER,
        CHECK (value IS NOT NULL OR note != '')
    );
    INSERT INTO readings_v2 (id, indicator_id, value, note, by_member, bureau_id, at,
        recorded_at, message_key, telegram_user_id)
        SELECT id, indicator_id,
        CASE WHEN abs(value) < 1e300 THEN value END,
        CASE WHEN abs(value) < 1e300 THEN note
             ELSE trim(note || ' [invalid value ' || value || ' recorded before readings were checked]')
        END,
        by_member, bureau_id, at, recorded_at, message_key, telegram_user_id FROM readings;
    DROP TABLE readings;
    ALTER TABLE readings_v2 RENAME TO readings;
    CREATE INDEX readings_indicator ON readings (indicator_id, at);
    CREATE TRIGGER readings_no_update BEFORE UPDATE ON readings
        BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;
    CREATE TRIGGER readings_no_delete BEFORE DELETE ON readings
        BEGIN SELECT RAISE(ABORT, 'readings is append-only'); END;
"""


@MIGRATIONS(name="003_current_state")
def _current_state(db: sqlite_utils.Database) -> None:
    """State tables, typed pending input, readings without a value (暂无数据), outbox
    messages that carry buttons and batches; the state is rebuilt from the history."""
    for statement in _statements(READINGS_V2 + STATE_SCHEMA):
        db.execute(statement)
    for column in ("buttons TEXT", "batch TEXT", "not_before TEXT", "ref_at TEXT"):
        db.execute(f"ALTER TABLE outbox ADD COLUMN {column}")
    db.execute("CREATE INDEX outbox_pending ON outbox (state, not_before)")
    db.execute("CREATE INDEX outbox_prompts ON outbox (recipient, kind)")
    _typed_pending_input(db)
    from storage.state import rebuild_state

    rebuild_state(db)


def _typed_pending_input(db: sqlite_utils.Database) -> None:
    """pending_input rows become one JSON document each (see bot.core.protocol.Pending)."""
    import json

    old = list(db.query("SELECT * FROM pending_input"))
    db.execute("DROP TABLE pending_input")
    db.execute(
        "CREATE TABLE pending_input (telegram_user_id INTEGER PRIMARY KEY, "
        "kind TEXT NOT NULL, data TEXT NOT NULL, since TEXT NOT NULL)"
    )
    for r in old:
        what: str = r["what"]
        data: dict[str, object] = {"task_id": r["task_id"], "subtask_id": r["subtask_id"]}
        data["message_key"] = r["message_key"]
        if what == "note":
            kind = "note"
        elif what.startswith("text:"):
            kind, data["texts"] = "which_task", [[what[5:], None]]
        elif what.startswith("return:"):
            kind, data["claim_id"] = "return_reason", int(what.split(":", 1)[1])
        elif what.startswith("reading:"):
            kind, data["indicator_id"] = "reading", what.split(":", 1)[1]
        else:
            continue
        db.execute(
            "INSERT INTO pending_input (telegram_user_id, kind, data, since) VALUES (?, ?, ?, ?)",
            [r["telegram_user_id"], kind, json.dumps(data, ensure_ascii=False), r["since"]],
        )


def default_db_path() -> Path:
    """$DUBAN_DB, else $DUBAN_DATA_DIR/duban.db, else ./data/duban.db."""
    if os.environ.get("DUBAN_DB"):
        return Path(os.environ["DUBAN_DB"])
    return Path(os.environ.get("DUBAN_DATA_DIR", "data")) / "duban.db"


def private(path: Path) -> None:
    """Make a database file and its -wal/-shm companions readable by the owner only."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if p.exists() and p.stat().st_mode & 0o077:
            p.chmod(0o600)


def open_db(
    path: Path | str,
    *,
    busy_timeout_ms: int = 30_000,
    create: bool = True,
    check_same_thread: bool = True,
) -> sqlite_utils.Database:
    """Open (creating if needed, mode 0600) and migrate the database.

    With `create=False` a missing file is an error (FileNotFoundError) and nothing is made.
    Durability: WAL with synchronous=FULL, so a write the bot acknowledged survives a crash
    of the process and of the machine.
    """
    if str(path) != ":memory:":
        p = Path(path)
        if not create and not p.is_file():
            raise FileNotFoundError(str(p))
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            p.touch(mode=0o600)
        private(p)
        conn = sqlite3.connect(
            str(p),
            isolation_level=None,
            timeout=busy_timeout_ms / 1000,
            check_same_thread=check_same_thread,
        )
    else:
        conn = sqlite3.connect(
            ":memory:", isolation_level=None, check_same_thread=check_same_thread
        )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    db = sqlite_utils.Database(conn)
    migrate(db)
    if str(path) != ":memory:":
        private(Path(path))
    return db


def migrate(db: sqlite_utils.Database, stop_before: str | None = None) -> list[str]:
    """Apply the migrations not yet applied; the names of those applied, in order."""
    known = {m.name for m in MIGRATIONS._migrations}
    unknown = [m.name for m in MIGRATIONS.applied(db) if m.name not in known]
    if unknown:
        raise RuntimeError(f"the database has migrations this duban does not know: {unknown}")
    MIGRATIONS.apply(db, stop_before=stop_before)
    return [m.name for m in MIGRATIONS.applied(db)]


WEB_SESSIONS_SCHEMA = """
    -- One-time dashboard login links (valid 10 minutes, single use) and the sessions they
    -- open: only the SHA-256 of each token is kept, so a copy of the database lets no one in.
    CREATE TABLE web_logins (
        token_hash TEXT PRIMARY KEY,
        telegram_user_id INTEGER NOT NULL,
        member_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE web_sessions (
        token_hash TEXT PRIMARY KEY,
        telegram_user_id INTEGER NOT NULL,
        member_id TEXT NOT NULL,
        via TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX web_logins_expires ON web_logins (expires_at);
    CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
"""


@MIGRATIONS(name="005_web_sessions")
def _web_sessions(db: sqlite_utils.Database) -> None:
    """The dashboard's login links and sessions (hashes of the tokens only)."""
    for statement in _statements(WEB_SESSIONS_SCHEMA):
        db.execute(statement)


WORKFLOW_SCHEMA = """
    -- 延期申请: the request (append-only) and each decision on it (append-only)
    CREATE TABLE extensions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        subtask_id TEXT,
        requested_by TEXT NOT NULL,
        bureau_id TEXT,
        requested_at TEXT NOT NULL,
        old_text TEXT NOT NULL,
        new_text TEXT NOT NULL,
        new_due TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason != ''),
        telegram_user_id INTEGER
    );
    CREATE INDEX extensions_item ON extensions (task_id, subtask_id);
    CREATE TRIGGER extensions_no_update BEFORE UPDATE ON extensions
        BEGIN SELECT RAISE(ABORT, 'extensions is append-only'); END;
    CREATE TRIGGER extensions_no_delete BEFORE DELETE ON extensions
        BEGIN SELECT RAISE(ABORT, 'extensions is append-only'); END;
    CREATE TABLE extension_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        extension_id INTEGER NOT NULL REFERENCES extensions (id),
        kind TEXT NOT NULL CHECK (kind IN ('approved', 'refused', 'closed')),
        by_member TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX extension_events_ext ON extension_events (extension_id, id);
    CREATE TRIGGER extension_events_no_update BEFORE UPDATE ON extension_events
        BEGIN SELECT RAISE(ABORT, 'extension_events is append-only'); END;
    CREATE TRIGGER extension_events_no_delete BEFORE DELETE ON extension_events
        BEGIN SELECT RAISE(ABORT, 'extension_events is append-only'); END;

    -- 佐证材料: photos and documents recorded as evidence of an item (append-only)
    CREATE TABLE evidence (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        subtask_id TEXT,
        claim_id INTEGER,
        by_member TEXT NOT NULL,
        bureau_id TEXT,
        at TEXT NOT NULL,
        file_name TEXT NOT NULL,
        mime_type TEXT,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        telegram_file_id TEXT NOT NULL,
        telegram_file_unique_id TEXT,
        path TEXT NOT NULL,
        telegram_user_id INTEGER,
        telegram_message_id INTEGER
    );
    CREATE INDEX evidence_item ON evidence (task_id, subtask_id);
    CREATE TRIGGER evidence_no_update BEFORE UPDATE ON evidence
        BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;
    CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence
        BEGIN SELECT RAISE(ABORT, 'evidence is append-only'); END;

    -- 请假: a contact's leave, both days included (cancelled_at: ended early)
    CREATE TABLE leaves (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        member_id TEXT NOT NULL,
        start TEXT NOT NULL,
        end TEXT NOT NULL,
        created_at TEXT NOT NULL,
        by_member TEXT NOT NULL,
        cancelled_at TEXT,
        CHECK (start <= end)
    );
    CREATE INDEX leaves_member ON leaves (member_id, end);
    -- 代收人 chosen in chat (the YAML's deputy: is the default)
    CREATE TABLE deputies (
        member_id TEXT PRIMARY KEY,
        deputy_id TEXT,
        set_at TEXT NOT NULL
    );
"""


@MIGRATIONS(name="006_workflow")
def _workflow(db: sqlite_utils.Database) -> None:
    """Extension requests and decisions, evidence, leave, deputies chosen in chat (#13)."""
    for statement in _statements(WORKFLOW_SCHEMA):
        db.execute(statement)


@MIGRATIONS(name="007_database_id")
def _database_id(db: sqlite_utils.Database) -> None:
    """A random identity for this database (meta `db_id`): files kept beside it (the inbox)
    say which database they belong to, so a database made anew never meets an old inbox's
    update ids."""
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('db_id', ?)", [uuid.uuid4().hex])


@MIGRATIONS(name="008_documents")
def _documents(db: sqlite_utils.Database) -> None:
    """Several documents in one bot (#15): the text of every file of each applied version, so
    a file that is broken now keeps its own last good version. A database of one table keeps
    its history as it is: that table becomes the primary document (meta `primary_file`),
    whose ids stay unqualified; versions before this one have their text in
    `catalogue_versions.text`."""
    db.execute(
        """CREATE TABLE version_files (
            version_id INTEGER NOT NULL REFERENCES catalogue_versions(id),
            file TEXT NOT NULL,
            document TEXT NOT NULL DEFAULT '',
            sha256 TEXT NOT NULL,
            text TEXT NOT NULL,
            PRIMARY KEY (version_id, file)
        )"""
    )
    latest = db.execute("SELECT source FROM catalogue_versions ORDER BY id DESC LIMIT 1").fetchone()
    if latest is not None:
        name = Path(latest[0]).name or "tasks.yaml"
        db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('primary_file', ?)", [name])
