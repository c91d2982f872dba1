"""Fixtures of the dashboard tests: the bot with its web server on the known history, and a
real headless Chromium (Debian's `chromium`, driven by Playwright).

Browser tests never skip silently: without chromium they fail saying how to install it;
`DUBAN_NO_BROWSER=1` skips them on purpose, with that reason.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from dash_support import NOW, seed, shipped_table, start_web, water_table
from harness import Harness, MakeBot

CHROMIUM = os.environ.get("DUBAN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
async def dash(make_bot: MakeBot) -> AsyncIterator[Harness]:
    """The bot on the shipped table with the known history, its dashboard on a free port
    (public address https://duban.test)."""
    bot = await make_bot(NOW, table=shipped_table(), pace=False)
    await start_web(bot)
    await seed(bot)
    yield bot
    await bot.duban.stop_web()


@pytest.fixture
async def dash2(make_bot: MakeBot) -> AsyncIterator[Harness]:
    """The same, following two documents: the shipped table and the water sample (节水)."""
    bot = await make_bot(NOW, table=shipped_table(), pace=False, documents=water_table())
    await start_web(bot)
    await seed(bot)
    yield bot
    await bot.duban.stop_web()


def chromium_path() -> str:
    """Debian's chromium, or a loud failure (a skip only when asked for)."""
    if os.environ.get("DUBAN_NO_BROWSER") == "1":
        pytest.skip("DUBAN_NO_BROWSER=1: browser tests skipped on request")
    found = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not found:
        pytest.fail(
            "chromium is not installed: `apt-get install chromium` (.ci/run does it), or set "
            "DUBAN_NO_BROWSER=1 to skip the browser tests on purpose"
        )
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """A headless Chromium (a fresh one per test: no cookies carried over)."""
    path = chromium_path()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        chrome = await pw.chromium.launch(
            executable_path=path, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield chrome
        finally:
            await chrome.close()
