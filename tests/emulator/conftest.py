"""The emulator for the tests: one server per module in a background thread with its own
event loop (tests talk to it over HTTP like the bot does), reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.emulator.client import EmulatorClient
from bot.emulator.server import DEFAULT_TOKEN
from bot.emulator.thread import EmulatorThread


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The root URL of an emulator running in a thread (the Bot API is under `/bot`)."""
    thread = EmulatorThread(DEFAULT_TOKEN)
    yield thread.start()
    thread.stop()


@pytest.fixture
def api(server: str) -> Iterator[tuple[str, EmulatorClient]]:
    """(root URL, control client) of a freshly reset emulator."""
    client = EmulatorClient(server)
    client.reset()
    yield server, client
