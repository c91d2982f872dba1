"""The emulator on its own event loop in a daemon thread: for the demo and the tests, which
drive it with the synchronous client while the bot runs as another process."""

from __future__ import annotations

import asyncio
import threading

from bot.emulator.server import DEFAULT_TOKEN, Emulator


class EmulatorThread:
    """Start with `start()` (returns the base URL), stop with `stop()`."""

    def __init__(self, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)

    def start(self, timeout: float = 20.0) -> str:
        """Serve on a free port; the base URL (use `{base}/bot` as PTB's base_url)."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the emulator did not start")
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            emulator = Emulator(token=self.token)
            self.port = await emulator.start(self.host, 0)
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await self._stop.wait()
            await emulator.stop()

        asyncio.run(main())

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
