"""The emulator on its own event loop in a daemon thread: for the demo and the tests, which
drive it with the synchronous client while the bot runs as another process."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from bot.emulator.proxy import FlappingProxy
from bot.emulator.server import DEFAULT_TOKEN, Emulator


class EmulatorThread:
    """Start with `start()` (returns the base URL), stop with `stop()`.

    With `proxy=True` a `FlappingProxy` runs in front of it (`proxy_url`), down the share
    of the time the control API's `refuse_rate` says, in cycles of `proxy_period`
    seconds: point the bot at `proxy_url` and the control client at the base URL.
    Other keyword arguments go to `Emulator` (e.g. `allow_http_webhooks=True`).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        *,
        proxy: bool = False,
        proxy_period: float = 1.0,
        **emulator_options: Any,
    ) -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.proxy_port = 0
        self._proxy = proxy
        self._proxy_period = proxy_period
        self._options = emulator_options
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)

    @property
    def proxy_url(self) -> str:
        """The flapping proxy's base URL (with `proxy=True`; use `{proxy_url}/bot`)."""
        if not self.proxy_port:
            raise RuntimeError("the emulator thread was started without proxy=True")
        return f"http://{self.host}:{self.proxy_port}"

    def start(self, timeout: float = 20.0) -> str:
        """Serve on a free port; the base URL (use `{base}/bot` as PTB's base_url)."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start")
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            emulator = Emulator(token=self.token, **self._options)
            self.port = await emulator.start(self.host, 0)
            proxy = None
            if self._proxy:
                proxy = FlappingProxy(
                    self.port,
                    target_host=self.host,
                    host=self.host,
                    down_share=lambda: emulator.faults.refuse_rate,
                    period=self._proxy_period,
                )
                self.proxy_port = await proxy.start()
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self._stop.wait()
            if proxy is not None:
                await proxy.stop()
            await emulator.stop()

        asyncio.run(main())

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
