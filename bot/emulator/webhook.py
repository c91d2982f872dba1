"""Delivery to a webhook, as Telegram does it: each pending update POSTed as JSON, one at a
time and in order, with the secret token header; an update stays pending (and the next
waits) until the webhook answers 2xx, retried with a doubling backoff meanwhile."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def push_updates(emulator: Emulator, url: str, secret: str) -> None:
    """Deliver `emulator`'s pending updates to `url` until cancelled."""
    first, most = emulator.webhook_backoff
    backoff = first
    timeout = aiohttp.ClientTimeout(total=emulator.webhook_timeout)
    headers = {"Content-Type": "application/json"}
    if secret:
        headers[SECRET_HEADER] = secret
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while True:
            pending = emulator.pending_updates()
            if not pending:
                await emulator.wait_update(60.0)
                continue
            update = pending[0]
            error = await _post(session, url, headers, json.dumps(update).encode())
            if error is None:
                emulator.confirm_update(int(update["update_id"]))
                backoff = first
                continue
            emulator.webhook_error = (int(time.time()), error)
            emulator.errors["webhook"] += 1
            await asyncio.sleep(backoff)
            backoff = min(most, backoff * 2)


async def _post(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes
) -> str | None:
    """POST one update; None when it was taken (2xx), else Telegram's words for why not."""
    try:
        async with session.post(url, data=body, headers=headers, ssl=False) as response:
            await response.read()
            if 200 <= response.status < 300:
                return None
            return f"Wrong response from the webhook: {response.status} {response.reason or ''}".rstrip()
    except TimeoutError:
        return "Read timeout expired"
    except aiohttp.ClientConnectorError:
        return "Connection refused"
    except aiohttp.ClientError as err:
        return f"Connection error: {err.__class__.__name__}"
