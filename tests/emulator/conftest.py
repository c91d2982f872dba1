"""The emulator in a background thread; tests talk to it over HTTP like the bot does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e.e2e_support import TOKEN

from bot.emulator.client import EmulatorClient
from bot.emulator.thread import EmulatorThread


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    thread = EmulatorThread(TOKEN)
    yield thread.start()
    thread.stop()


@pytest.fixture
def api(server: str) -> Iterator[tuple[str, EmulatorClient]]:
    client = EmulatorClient(server)
    client.reset()
    yield server, client


__all__ = ["TOKEN"]
