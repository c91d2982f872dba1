"""Who may open the dashboard: Telegram Mini App `initData` checked as Telegram documents, and
the tokens of one-time login links and sessions (only their hashes are stored).

The `initData` check (https://core.telegram.org/bots/webapps#validating-data-received-via-
the-mini-app): the data-check-string is every field but `hash`, as `key=value`, sorted by
key, joined by "\\n"; the secret key is HMAC-SHA256 of the bot token with the key
"WebAppData"; the data is genuine when the hex HMAC-SHA256 of the data-check-string with the
secret key equals `hash`. `auth_date` (Unix seconds) must be at most a day old.

Times here are real (wall-clock) time, never the bot's simulated clock: `auth_date` is
Telegram's real time, and a 10-minute link must last 10 real minutes in a rehearsal too.

Pure: no aiohttp, Telegram or SQLite imports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.parse
from dataclasses import dataclass
from enum import StrEnum

#: initData older than this is refused.
MAX_AGE = dt.timedelta(days=1)
#: Telegram's clock and ours may differ a little; an auth_date further ahead is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)
#: The largest initData accepted (Telegram's is well under 1 KB; this bounds the work).
MAX_INIT_DATA = 4096


class Refusal(StrEnum):
    """Why initData was refused."""

    MALFORMED = "malformed"  # not a query string with hash, auth_date and a user
    FORGED = "forged"  # the hash does not match: not signed with this bot's token
    STALE = "stale"  # auth_date more than a day ago (or in the future)


class InitDataError(ValueError):
    """initData that does not prove who opened the Mini App."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class WebAppLaunch:
    """What a genuine initData says: the Telegram user and when Telegram signed it."""

    user_id: int
    first_name: str
    auth_date: dt.datetime
    language_code: str | None = None


def data_check_string(fields: dict[str, str]) -> str:
    """Every field except `hash`, as key=value, sorted by key, joined by newlines."""
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def expected_hash(token: str, fields: dict[str, str]) -> str:
    """The hex hash Telegram computes for these fields with this bot token."""
    secret = hmac.new(b"WebAppData", token.encode("utf-8"), hashlib.sha256).digest()
    message = data_check_string(fields).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _fields(raw: str) -> dict[str, str]:
    if not raw or len(raw) > MAX_INIT_DATA:
        raise InitDataError(Refusal.MALFORMED)
    try:
        pairs = urllib.parse.parse_qsl(
            raw, keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise InitDataError(Refusal.MALFORMED) from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields or "auth_date" not in fields:
        raise InitDataError(Refusal.MALFORMED)  # a repeated key is ambiguous: refuse it
    return fields


def check_init_data(
    raw: str, token: str, now: dt.datetime, max_age: dt.timedelta = MAX_AGE
) -> WebAppLaunch:
    """The launch `raw` (the URL-encoded initData) proves; raises InitDataError otherwise."""
    fields = _fields(raw)
    if not hmac.compare_digest(expected_hash(token, fields), fields["hash"].lower()):
        raise InitDataError(Refusal.FORGED)
    try:
        signed = dt.datetime.fromtimestamp(int(fields["auth_date"]), dt.UTC)
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        raise InitDataError(Refusal.MALFORMED) from None
    if isinstance(user.get("id"), bool) or user_id <= 0:
        raise InitDataError(Refusal.MALFORMED)
    if signed < now - max_age or signed > now + CLOCK_SKEW:
        raise InitDataError(Refusal.STALE)
    language = user.get("language_code")
    return WebAppLaunch(
        user_id,
        str(user.get("first_name", "")),
        signed,
        language if isinstance(language, str) else None,
    )


def new_token() -> str:
    """A fresh secret for a login link or a session cookie (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, so a copy of the database does not
    let anyone in."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
