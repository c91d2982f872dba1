"""The one thread that writes the database, so the event loop never waits on a lock.

SQLite allows one writer at a time; a backup or a second `duban` command can hold the write
lock for a while. Every write of the running bot runs here, on one dedicated thread with its
own connection and a bounded busy timeout: the event loop awaits it, and keeps answering
meanwhile. A write that cannot get the lock in time raises `storage.repo.Busy`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from bot.core.history import Delta
from storage.repo import Store

P = ParamSpec("P")
R = TypeVar("R")

#: How long a write waits for another process's lock before giving up (and being retried).
BUSY_TIMEOUT_MS = 2_000


class Writer:
    """Runs `fn(store, ...)` calls one at a time on the writer thread."""

    def __init__(self, path: Path | str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="duban-writer")
        self.store: Store = self._executor.submit(
            functools.partial(
                Store.open,
                path,
                busy_timeout_ms=busy_timeout_ms,
                track=True,
                check_same_thread=False,
            )
        ).result()

    async def __call__(
        self, fn: Callable[Concatenate[Store, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run a write on the writer thread and wait for it without blocking the loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(fn, self.store, *args, **kwargs)
        )

    def deltas(self) -> list[Delta]:
        """The state changes committed since the last call, oldest first."""
        out = []
        while True:
            try:
                out.append(self.store.deltas.popleft())
            except IndexError:
                return out

    def close(self) -> None:
        """Close the connection and stop the thread."""
        self._executor.submit(self.store.close).result()
        self._executor.shutdown(wait=True)


__all__ = ["BUSY_TIMEOUT_MS", "Writer"]
