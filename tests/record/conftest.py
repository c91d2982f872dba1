"""Fixtures for the tests of the record: the in-process bot harness."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from harness import TABLE, Harness, MakeBot, emulator_http, users

from bot.emulator.client import EmulatorClient

__all__ = ["emulator_http"]


@pytest.fixture
async def make_bot(
    emulator_http: tuple[str, EmulatorClient], tmp_path: Path
) -> AsyncIterator[MakeBot]:
    """`await make_bot(start, table=TABLE)`: a started bot on a fresh database."""
    made: list[Harness] = []

    async def make(start: dt.datetime, table: str = TABLE) -> Harness:
        base, client = emulator_http
        client.reset()
        users(client)
        bot = Harness(tmp_path / f"bot{len(made)}", base, client, table, start)
        await bot.start()
        made.append(bot)
        return bot

    yield make
    for bot in made:
        await bot.stop()
