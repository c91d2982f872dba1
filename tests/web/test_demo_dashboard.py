"""`make demo` ends with the dashboard's address and a login link, and the page works on the
demo's database: the real `duban demo` (the bot as a subprocess against the emulator), kept
open while this test logs in with the link it printed."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

import aiohttp
import pytest
from dash_support import ROOT

pytestmark = pytest.mark.e2e


async def test_the_demo_prints_a_dashboard_link_that_opens_its_database(tmp_path: Path) -> None:
    demo = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "demo", "--days", "1.3", "--db", str(tmp_path / "demo.db"),
        "--keep-open", cwd=ROOT, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert demo.stdout is not None and demo.stdin is not None
    transcript: list[str] = []
    link = None
    try:
        async with asyncio.timeout(240):
            while link is None:
                line = (await demo.stdout.readline()).decode("utf-8")
                assert line, "".join(transcript[-40:])  # the demo ended without a link
                transcript.append(line)
                found = re.search(r"(http://127\.0\.0\.1:\d+/app/)login\?t=([\w-]+)", line)
                if found:
                    link = found
        text = "".join(transcript)
        assert f"分工表看板 dashboard：{link.group(1)}" in text
        status = text.split("分工表总览", 1)[1]
        assert "共 16 项任务" in status and "⚪ 1" in status
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.post(link.group(1) + "login", data={"t": link.group(2)}) as r:
                page = await r.text()
            assert r.status == 200
            assert page.count('class="group"') == 6 and page.count('class="task"') == 16
            assert 'data-light="done"' in page and 'data-light="red"' in page  # as /status said
            done = re.search(r'data-task="([\w-]+)" data-number="\d+" data-light="done"', page)
            assert done is not None
            async with session.get(link.group(1) + f"task/{done.group(1)}") as r:
                history = await r.text()  # the claim and its confirmation, with who and when
            assert r.status == 200 and "申请办结" in history and "已办结" in history
    finally:
        demo.stdin.close()
        async with asyncio.timeout(60):
            rest = await demo.stdout.read()
            code = await demo.wait()
    assert code == 0, rest.decode("utf-8")[-2000:]
