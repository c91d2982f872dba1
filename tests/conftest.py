"""Shared fixtures."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from harness import TABLE, TOKEN, Harness, MakeBot, users
from support import table

from bot.core.model import Catalogue
from bot.emulator.model import Limits
from bot.emulator.server import Emulator
from bot.reports import bundle


@pytest.fixture
def cat() -> Catalogue:
    """The small valid table of the validation tests."""
    return table()


@pytest.fixture(autouse=True)
def _reports_in_this_process(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The digest, /export and the chart built in the test's own process (three interpreter
    starts fewer per digest), unless the test is marked `separate_processes`; bots started as
    subprocesses (tests/e2e) always build them in processes of their own."""
    if request.node.get_closest_marker("separate_processes") is None:
        monkeypatch.setattr(bundle, "SEPARATE_PROCESSES", False)


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[MakeBot]:
    """`await make_bot(start, table=TABLE, pace=False)`: a started bot on a fresh database,
    against an emulator in the same event loop. By default neither side paces (the emulator's
    flood limits off, no rate limiter in the bot); `pace=True` turns both on, with real waits,
    where Telegram's pacing is the point. `documents` (file name -> text): more tables beside
    `tasks.yaml`, and the bot follows the directory (several documents)."""
    made: list[Harness] = []
    emulators: list[Emulator] = []

    async def make(
        start: dt.datetime,
        table: str = TABLE,
        *,
        pace: bool = False,
        documents: Mapping[str, str] | None = None,
    ) -> Harness:
        emu = Emulator(TOKEN, limits=None if pace else Limits(enabled=False))
        emulators.append(emu)
        users(emu)
        bot = Harness(
            tmp_path / f"bot{len(made)}", emu, table, start, pace=pace, documents=documents
        )
        await bot.start()
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.stop()
    for emu in emulators:
        await emu.stop()
