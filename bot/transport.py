"""HTTP to the Bot API with retries where a retry cannot duplicate a message.

Telegram (or the network before it) sometimes answers 5xx or drops a connection. A 5xx
or a failed connection means the request was not carried out, so it is retried with
backoff for every method. A read timeout is ambiguous (the message may have gone out):
it is retried only for methods that send nothing, and the outbox decides the rest.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

#: Methods whose repetition would show the user something twice.
SENDS = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageReplyMarkup"}
)
RETRY_STATUS = frozenset({500, 502, 503, 504})


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries server errors and failed connections."""

    def __init__(self, *args: Any, attempts: int = 5, **kwargs: Any) -> None:
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
            except TimedOut:
                if last or api_method in SENDS:
                    raise
                log.warning("%s timed out, retrying (%d)", api_method, attempt)
            except NetworkError as err:
                if last:
                    raise
                log.warning("%s failed (%s), retrying (%d)", api_method, err, attempt)
            else:
                if code not in RETRY_STATUS or last:
                    return code, payload
                log.warning("%s answered %d, retrying (%d)", api_method, code, attempt)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise NetworkError("unreachable")  # pragma: no cover
