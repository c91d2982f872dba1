"""The dashboard's access operations, run on the writer thread (`await rt.write(fn, ...)`):
issue a one-time login link, exchange it for a session, end a session.

A login link is valid for 10 minutes and opens one session; a session lasts 12 hours (the
cookie expires with it). Tokens are random; the database keeps only their SHA-256.
"""

from __future__ import annotations

import datetime as dt

from bot.web.auth import new_token, token_hash
from storage import web_sessions
from storage.repo import Store
from storage.web_sessions import WebSession

LINK_VALID = dt.timedelta(minutes=10)
SESSION_VALID = dt.timedelta(hours=12)


def issue_link(store: Store, user_id: int, member_id: str, now: dt.datetime) -> str:
    """A new one-time login link token for a coordinator or admin."""
    token = new_token()
    web_sessions.add_login(store, token_hash(token), user_id, member_id, now, LINK_VALID)
    return token


def open_session(store: Store, link_token: str, now: dt.datetime) -> tuple[str, int] | None:
    """Use a login link: (session token, telegram user id), or None when the link is
    unknown, used or expired. One transaction: a link opens at most one session."""
    with store.transaction():
        found = web_sessions.redeem_login(store, token_hash(link_token), now)
        if found is None:
            return None
        user_id, member_id = found
        token = new_token()
        web_sessions.add_session(
            store, token_hash(token), user_id, member_id, "link", now, SESSION_VALID
        )
        return token, user_id


def close_session(store: Store, session_token: str, now: dt.datetime) -> bool:
    """Log out."""
    return web_sessions.end_session(store, token_hash(session_token), now)


def session_for(store: Store, session_token: str, now: dt.datetime) -> WebSession | None:
    """The open session a cookie names (a read)."""
    return web_sessions.session(store, token_hash(session_token), now)
