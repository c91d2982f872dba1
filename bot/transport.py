"""HTTP to the Bot API: retry what cannot have reached Telegram, never guess about the rest.

A request that failed before it reached Telegram (the connection was refused, the name did
not resolve, no connection could be opened or taken from the pool in time) was not carried
out: it is retried with backoff, for every method. A 5xx answer from Telegram means the
request failed there: retried too. A request that may have reached Telegram but whose answer
never came (a read timeout, a connection dropped mid-answer) is ambiguous: for a method that
sends something it is NOT retried here (`reached_server` tells the engine, which records the
message as delivered-unknown and never sends it again by itself); a method that sends
nothing (getUpdates, getMe, answerCallbackQuery...) is retried.

Sends get a read timeout well above Telegram's normal answer time (`SEND_READ_TIMEOUT`), so a
slow answer is waited for instead of being taken for a failure.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

#: Methods whose repetition would show the user something twice.
SENDS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageCaption",
        "forwardMessage",
        "copyMessage",
    }
)
RETRY_STATUS = frozenset({500, 502, 503, 504})
#: Telegram answers in well under a second; a send waits this long before its fate is unknown.
SEND_READ_TIMEOUT = 30.0
#: Failures that happen before a request leaves this machine.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def reached_server(err: BaseException) -> bool:
    """False when the failed request cannot have reached Telegram (safe to send again)."""
    seen: set[int] = set()
    cause: BaseException | None = err
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, NOT_SENT):
            return False
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return True


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries what is safe to retry (see the module docstring)."""

    def __init__(self, *args: Any, attempts: int = 5, **kwargs: Any) -> None:
        kwargs.setdefault("read_timeout", SEND_READ_TIMEOUT)
        kwargs.setdefault("connect_timeout", 10.0)
        kwargs.setdefault("pool_timeout", 5.0)
        super().__init__(*args, **kwargs)
        self.attempts = attempts

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """One Bot API call, retried with backoff where that is safe."""
        api_method = url.rsplit("/", 1)[-1]
        delay = 0.2
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            try:
                code, payload = await super().do_request(url, method, *args, **kwargs)
            except (TimedOut, NetworkError) as err:
                if last or (api_method in SENDS and reached_server(err)):
                    raise
                cause = err.__cause__ or err
                log.warning(
                    "%s failed (%s), retrying (%d)", api_method, type(cause).__name__, attempt
                )
            else:
                if code not in RETRY_STATUS or last:
                    return code, payload
                log.warning("%s answered %d, retrying (%d)", api_method, code, attempt)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise NetworkError("unreachable")  # pragma: no cover
