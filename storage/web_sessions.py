"""The dashboard's one-time login links and sessions in SQLite (migration 005_web_sessions).

Only SHA-256 hashes of the tokens are stored. Writes run on the writer thread like every
other write (`await runtime.write(fn, ...)`); each is one transaction. Times are real
(wall-clock) UTC instants, stored as ISO 8601 like the rest of the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage.repo import Store
from storage.state import parse_ts, ts

#: Expired rows are deleted this long after they expired (kept a while for the record).
KEEP_EXPIRED = dt.timedelta(days=7)


@dataclass(frozen=True)
class WebSession:
    """A dashboard session: whose it is and until when."""

    telegram_user_id: int
    member_id: str
    via: str  # "link" (a one-time login link) or "webapp" (Mini App initData)
    expires_at: dt.datetime


def add_login(
    store: Store,
    token_hash: str,
    user_id: int,
    member_id: str,
    at: dt.datetime,
    valid: dt.timedelta,
) -> None:
    """Store a new one-time login link (its hash), dropping long-expired ones."""
    with store.transaction():
        _prune(store, at)
        store.db.execute(
            "INSERT INTO web_logins (token_hash, telegram_user_id, member_id, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?)",
            [token_hash, user_id, member_id, ts(at), ts(at + valid)],
        )


def redeem_login(store: Store, token_hash: str, at: dt.datetime) -> tuple[int, str] | None:
    """Mark an unused, unexpired login link used: (telegram user id, member id); None when
    the link is unknown, used or expired."""
    with store.transaction():
        cur = store.db.execute(
            "UPDATE web_logins SET used_at = ? "
            "WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            [ts(at), token_hash, ts(at)],
        )
        if cur.rowcount != 1:
            return None
        row = store.db.execute(
            "SELECT telegram_user_id, member_id FROM web_logins WHERE token_hash = ?", [token_hash]
        ).fetchone()
        return int(row[0]), str(row[1])


def add_session(
    store: Store,
    token_hash: str,
    user_id: int,
    member_id: str,
    via: str,
    at: dt.datetime,
    valid: dt.timedelta,
) -> None:
    """Store a new session (its hash)."""
    with store.transaction():
        store.db.execute(
            "INSERT INTO web_sessions (token_hash, telegram_user_id, member_id, via, created_at, "
            "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [token_hash, user_id, member_id, via, ts(at), ts(at + valid)],
        )


def end_session(store: Store, token_hash: str, at: dt.datetime) -> bool:
    """Log out: the session ends now; False when there was no open session."""
    with store.transaction():
        cur = store.db.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
            [ts(at), token_hash],
        )
    return cur.rowcount == 1


def session(store: Store, token_hash: str, at: dt.datetime) -> WebSession | None:
    """The open, unexpired session with this hash (a read)."""
    row = store.db.execute(
        "SELECT telegram_user_id, member_id, via, expires_at FROM web_sessions "
        "WHERE token_hash = ? AND ended_at IS NULL AND expires_at > ?",
        [token_hash, ts(at)],
    ).fetchone()
    if row is None:
        return None
    return WebSession(int(row[0]), str(row[1]), str(row[2]), parse_ts(row[3]))


def _prune(store: Store, at: dt.datetime) -> None:
    cutoff = ts(at - KEEP_EXPIRED)
    store.db.execute("DELETE FROM web_logins WHERE expires_at < ?", [cutoff])
    store.db.execute("DELETE FROM web_sessions WHERE expires_at < ?", [cutoff])
