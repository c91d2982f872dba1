"""A TCP proxy in front of the emulator whose listener flaps: while it is "down" the
listening socket is closed, so new connections get ECONNREFUSED - a real refusal, the
request never reaches the server - and the client's idle keep-alive connections are
closed, so its next request has to connect (and is refused too).

A connection with a request in flight is never closed: each direction is framed
minimally (HTTP/1.1 heads, Content-Length and chunked bodies), and a connection is busy
from the first byte of a request until the last byte of its response. Long polls finish
normally across a down window. While down, a connection is closed as soon as it is idle:
those idle when the window starts (idle for `idle_grace` seconds, default 0), and each
busy one right after its response is forwarded. A client that reuses a kept-alive
connection at the very moment it is closed gets a read error instead of a refusal (the
keep-alive race every HTTP client meets); its request was not forwarded either way.

The schedule: every `period` seconds the listener is down for the last `down_share` of
the period, so about that share of connection attempts is refused. `down_share` may be a
callable, e.g. `lambda: emulator.faults.refuse_rate`, so the control API's `refuse_rate`
drives it (`EmulatorThread(proxy=True)` wires it so). `hold(True/False)` overrides the
schedule; `hold(None)` gives it back.

    proxy = FlappingProxy(emulator_port, down_share=0.2, period=0.5)
    port = await proxy.start()
    bot = Bot(token, base_url=f"http://127.0.0.1:{port}/bot")
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

Share = float | Callable[[], float]


class HttpFraming:
    """Counts the HTTP/1.1 messages in one direction of a connection: `started` when a
    message's first byte arrives, `done` when its last byte did."""

    def __init__(self, responses: bool) -> None:
        self.responses = responses
        self.started = 0
        self.done = 0
        self._buf = bytearray()
        self._state = "idle"  # head, body, chunk_size, chunk_data, trailer, eof
        self._remaining = 0

    def feed(self, data: bytes) -> None:
        """Take the next bytes of the stream."""
        self._buf += data
        while self._step():
            pass

    def _step(self) -> bool:
        """Advance over buffered bytes; whether to go on."""
        state, buf = self._state, self._buf
        if state == "idle":
            if not buf:
                return False
            self.started += 1
            self._state = "head"
        elif state == "head":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            head = bytes(buf[:end])
            del buf[: end + 4]
            self._begin_body(head)
        elif state in ("body", "chunk_data"):
            if not buf:
                return False
            take = min(self._remaining, len(buf))
            del buf[:take]
            self._remaining -= take
            if self._remaining:
                return False
            self._state = "chunk_size" if state == "chunk_data" else self._finish()
        elif state in ("chunk_size", "trailer"):
            end = buf.find(b"\r\n")
            if end < 0:
                return False
            line = bytes(buf[:end])
            del buf[: end + 2]
            self._line(state, line)
        else:  # eof: a body that lasts until the connection closes
            buf.clear()
            return False
        return True

    def _line(self, state: str, line: bytes) -> None:
        if state == "trailer":
            if not line:
                self._state = self._finish()
            return
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            self._state = "trailer"
        else:
            self._state, self._remaining = "chunk_data", size + 2

    def _finish(self) -> str:
        self.done += 1
        return "idle"

    def _begin_body(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if self.responses:
            status = int(lines[0].split()[1])
            if 100 <= status < 200:  # an interim answer: the real one follows
                self.started -= 1
                self._state = "idle"
                return
            if status in (204, 304):
                self._state = self._finish()
                return
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            self._state = "chunk_size"
        elif b"content-length" in headers:
            self._remaining = int(headers[b"content-length"])
            self._state = "body" if self._remaining else self._finish()
        elif self.responses:
            self._state = "eof"
        else:
            self._state = self._finish()


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self) -> None:
        self.client: asyncio.Transport | None = None
        self.upstream: asyncio.Transport | None = None
        self.requests = HttpFraming(responses=False)
        self.responses = HttpFraming(responses=True)
        self.last_activity = time.monotonic()
        self.pending = bytearray()  # client bytes before the upstream is connected

    def busy(self) -> bool:
        """A request has begun and its response has not ended."""
        return self.requests.started > self.responses.done

    def close(self) -> None:
        for transport in (self.client, self.upstream):
            if transport is not None:
                transport.close()


class _Upstream(asyncio.Protocol):
    def __init__(self, proxy: FlappingProxy, link: _Link) -> None:
        self.proxy = proxy
        self.link = link

    def data_received(self, data: bytes) -> None:
        link = self.link
        link.responses.feed(data)
        link.last_activity = time.monotonic()
        if link.client is not None:
            link.client.write(data)
        if self.proxy.down and not link.busy():  # the answer is out; then the FIN
            self.proxy.drop(link)

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.close()


class _Client(asyncio.Protocol):
    def __init__(self, proxy: FlappingProxy) -> None:
        self.proxy = proxy
        self.link = _Link()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.link.client = transport
        self.proxy.links.add(self.link)
        self.proxy.stats["connections"] += 1
        self.proxy.spawn(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_connection(
                lambda: _Upstream(self.proxy, self.link),
                self.proxy.target_host,
                self.proxy.target_port,
            )
        except OSError:
            self.link.close()
            return
        self.link.upstream = transport
        if self.link.client is None or self.link.client.is_closing():
            transport.close()
            return
        if self.link.pending:
            transport.write(bytes(self.link.pending))
            self.link.pending.clear()

    def data_received(self, data: bytes) -> None:
        self.link.requests.feed(data)
        self.link.last_activity = time.monotonic()
        if self.link.upstream is not None:
            self.link.upstream.write(data)
        else:
            self.link.pending += data

    def connection_lost(self, exc: Exception | None) -> None:
        self.link.close()
        self.proxy.links.discard(self.link)


class FlappingProxy:
    """See the module docstring."""

    def __init__(
        self,
        target_port: int,
        *,
        target_host: str = "127.0.0.1",
        host: str = "127.0.0.1",
        port: int = 0,
        down_share: Share = 0.0,
        period: float = 1.0,
        idle_grace: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target_host, self.target_port = target_host, target_port
        self.host, self.port = host, port
        self.down_share = down_share
        self.period = period
        self.idle_grace = idle_grace
        self.clock = clock
        self.links: set[_Link] = set()
        self.stats = {"connections": 0, "down_windows": 0, "closed_idle": 0}
        self._server: asyncio.Server | None = None
        self._held: bool | None = None
        self._t0 = 0.0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def down(self) -> bool:
        """Whether the listener is closed now."""
        return self._server is None

    def share(self) -> float:
        """The share of the time the schedule is down, 0..1."""
        value = self.down_share() if callable(self.down_share) else self.down_share
        return min(1.0, max(0.0, float(value)))

    def down_at(self, t: float) -> bool:
        """Whether the schedule is down at clock time `t`: the last share of each period."""
        share = self.share()
        if share <= 0.0:
            return False
        phase = ((t - self._t0) % self.period) / self.period
        return phase >= 1.0 - share

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Keep a task of the proxy's until it ends (or `stop`)."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self, *, schedule: bool = True) -> int:
        """Listen (a free port for port 0) and, with `schedule`, follow the duty cycle in
        the background; the port. Without it, call `sync()` to apply the schedule."""
        self._t0 = self.clock()
        await self._listen()
        if schedule:
            self.spawn(self._run())
        return self.port

    async def stop(self) -> None:
        """Close the listener, every connection and the schedule."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            self._server = None
        for link in list(self.links):
            link.close()

    async def hold(self, down: bool | None) -> None:
        """Force the listener down (True: every idle connection closes now, whatever
        its grace) or up (False); None follows the schedule again."""
        self._held = down
        await self.sync(grace=0.0 if down else None)

    async def sync(self, grace: float | None = None) -> None:
        """Bring the listener and the connections to the state wanted now (idle
        connections close after `grace` seconds idle, default `idle_grace`)."""
        want_down = self._held if self._held is not None else self.down_at(self.clock())
        if want_down:
            if self._server is not None:
                self._server.close()
                self._server = None
                self.stats["down_windows"] += 1
            if self._close_idle(self.idle_grace if grace is None else grace):
                await asyncio.sleep(0)  # the sockets close (and send their FIN) now
        elif self._server is None:
            await self._listen()

    def drop(self, link: _Link) -> None:
        """Close an idle connection (its client sees EOF and has to connect again)."""
        link.close()
        self.links.discard(link)
        self.stats["closed_idle"] += 1

    def _close_idle(self, grace: float) -> int:
        now = time.monotonic()
        idle = [k for k in self.links if not k.busy() and now - k.last_activity >= grace]
        for link in idle:
            self.drop(link)
        return len(idle)

    async def _listen(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Client(self), self.host, self.port, reuse_address=True
        )
        if self.port == 0:
            self.port = int(self._server.sockets[0].getsockname()[1])

    async def _run(self) -> None:
        step = max(0.001, min(0.02, self.period / 20))
        while True:
            with contextlib.suppress(OSError):  # the port was taken meanwhile: try again
                await self.sync()
            await asyncio.sleep(step)
