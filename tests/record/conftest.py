"""Fixtures for the tests of the record: the in-process bot harness."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import TABLE, TOKEN, Harness, MakeBot, emulator_http, users

from bot.emulator.server import Emulator

__all__ = ["emulator_http"]


@pytest.fixture
async def make_bot(tmp_path: Path) -> AsyncIterator[MakeBot]:
    """`await make_bot(start, table=TABLE)`: a started bot on a fresh database, against an
    emulator in the same event loop."""
    made: list[Harness] = []
    emulators: list[Emulator] = []

    async def make(start: dt.datetime, table: str = TABLE) -> Harness:
        emu = Emulator(TOKEN)
        emulators.append(emu)
        users(emu)
        bot = Harness(tmp_path / f"bot{len(made)}", emu, table, start)
        await bot.start()
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.stop()
    for emu in emulators:
        await emu.stop()
