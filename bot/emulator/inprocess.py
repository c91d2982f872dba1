"""python-telegram-bot against the emulator in the same process and event loop: no HTTP
server, no thread, no socket. A test builds the real `Application` (or `Bot`) with

    emu = Emulator(allow_http_webhooks=True)          # on the test's event loop
    app = (
        ApplicationBuilder()
        .token(emu.token)
        .request(InProcessRequest(emu))
        .get_updates_request(InProcessRequest(emu))
        .build()
    )

and acts as users with the emulator's Python methods (`emu.add_user`, `emu.user_start`,
`emu.user_message`, `emu.press`, `emu.user_photo`, `await emu.wait_for(chat, n)`, ...).
Call `await emu.stop()` at the end (it cancels what still runs on the server's side).

Every request goes through the same dispatch as the HTTP server (`Emulator.call_api`,
`Emulator.file_reply`): the same parameters (what httpx would send, as form fields and
files), the same answers and status codes, the same server faults. The connection
faults appear exactly as PTB's `HTTPXRequest` presents them, so retry logic is tested
honestly:

| fault                      | PTB raises     | `__cause__`                 | carried out |
|----------------------------|----------------|-----------------------------|-------------|
| `refuse_rate`              | `NetworkError` | `httpx.ConnectError`        | no          |
| `connect_timeout_rate`     | `TimedOut`     | `httpx.ConnectTimeout`      | no          |
| `pool_timeout_rate`        | `TimedOut`     | `httpx.PoolTimeout`         | no          |
| `drop_rate`                | `NetworkError` | `httpx.RemoteProtocolError` | no          |
| read timeout (`delay_*`, `late_*`, a slow method) | `TimedOut` | `httpx.ReadTimeout` | goes on |

A read timeout is real: the request's `read_timeout` (default 5 s, plus the long-poll
`timeout` for getUpdates, as PTB computes it) on the event loop's clock. As with an HTTP
server, the request goes on after the client gave up: a `late` send is stored, a
`delay`ed one is carried out when the delay ends.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from typing import TYPE_CHECKING, Any

import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.emulator.model import Reply
from bot.emulator.server import Emulator

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

API_PATH = re.compile(r"/bot(?P<token>[^/]+)/(?P<method>[^/]+)$")
FILE_PATH = re.compile(r"/file/bot(?P<token>[^/]+)/(?P<path>.+)$")
# What PTB's HTTPXRequest says for a pool timeout (the only TimedOut with its own text).
POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent "
    "to Telegram. Consider adjusting the connection pool size or the pool timeout."
)


def request_params(request_data: RequestData | None) -> dict[str, Any]:
    """What httpx would put on the wire for `request_data`, as the HTTP server reads it
    back: every parameter a string (JSON-valued ones JSON-encoded), every file
    (bytes, filename, mime type) under its part name."""
    if request_data is None:
        return {}
    params: dict[str, Any] = dict(request_data.json_parameters)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        data = content if isinstance(content, bytes) else content.read()
        params[name] = (bytes(data), filename, mime)
    return params


class InProcessRequest(BaseRequest):
    """A `telegram.request.BaseRequest` that hands each request to an `Emulator` on the
    same event loop (see the module docstring)."""

    __slots__ = ("_read_timeout", "emulator")

    def __init__(self, emulator: Emulator, *, read_timeout: float | None = 5.0) -> None:
        """`read_timeout`: seconds to wait for an answer when a call gives none (PTB's
        default, 5 s); None waits for ever. Nothing is written or connected, so the other
        timeouts do not apply (their faults are injected instead)."""
        self.emulator = emulator
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """The read timeout when a call does not give one (PTB adds getUpdates' timeout)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close (the emulator's own work ends with `Emulator.stop`)."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Serve one request: (HTTP status, body) exactly as the HTTP server answers, or
        the exception PTB's HTTPXRequest raises for the same network fault."""
        fault = self.emulator.connection_fault()
        if fault == "refused":
            refused = httpx.ConnectError("All connection attempts failed")
            raise NetworkError(f"httpx.ConnectError: {refused}") from refused
        if fault == "connect_timeout":
            raise TimedOut from httpx.ConnectTimeout("timed out")
        if fault == "pool_timeout":
            raise TimedOut(POOL_TIMEOUT) from httpx.PoolTimeout("")
        timeout = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        task = self.emulator.spawn(self._serve(url, method, request_data))
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:  # the server goes on; the client stops listening
            raise TimedOut from httpx.ReadTimeout("")
        reply: Reply = task.result()
        if reply.drop:
            dropped = httpx.RemoteProtocolError("Server disconnected without sending a response.")
            raise NetworkError(f"httpx.RemoteProtocolError: {dropped}") from dropped
        return reply.status, reply.body

    async def _serve(self, url: str, method: str, request_data: RequestData | None) -> Reply:
        parts = urllib.parse.urlsplit(url)
        file = FILE_PATH.search(parts.path)
        if file is not None:
            path = urllib.parse.unquote(file["path"])
            return self.emulator.file_reply(urllib.parse.unquote(file["token"]), path)
        api = API_PATH.search(parts.path)
        if api is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return Reply(404, json.dumps(body).encode())
        params: dict[str, Any] = dict(urllib.parse.parse_qsl(parts.query))
        params.update(request_params(request_data))

        async def read_params() -> dict[str, Any]:
            return self.emulator.decode_params(params)

        token = urllib.parse.unquote(api["token"])
        return await self.emulator.call_api(token, api["method"], read_params)
