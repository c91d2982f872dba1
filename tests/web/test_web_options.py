"""`duban run`'s dashboard options: bad ones are one line and exit 2 before anything starts; a
port already taken leaves the bot running without a dashboard, and /dashboard says so."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from dash_support import NOW, shipped_table
from harness import COORD, MakeBot

from bot.cli import main
from bot.web.server import Dashboard, WebOptions


@pytest.mark.parametrize(
    ("argv", "zh", "en"),
    [
        (
            ["--web-base-url", "https://duban.example.org"],
            "需要同时给出 --web-port",
            "needs --web-port",
        ),
        (["--web-port", "70000"], "不是有效端口", "is not a valid port"),
        (["--web-port", "8080", "--web-base-url", "ftp://x"], "不是 http://", "is not an http://"),
        (
            ["--web-port", "8080", "--web-base-url", "duban.example.org"],
            "不是 http://",
            "is not an http://",
        ),
    ],
)
def test_bad_web_options_are_one_line_and_exit_2(
    argv: list[str], zh: str, en: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "d.db"
    for lang, needle in (("zh", zh), ("en", en)):
        code = main(["run", "--db", str(db), "--lang", lang, *argv])
        out, err = capsys.readouterr()
        assert code == 2 and needle in err and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err and out == ""
    assert not db.exists()  # nothing started


async def test_a_port_already_taken_leaves_the_bot_running_without_a_dashboard(
    make_bot: MakeBot, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(NOW, table=shipped_table(), pace=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        bot.duban.web = Dashboard.of(bot.runtime, bot.emu.token, WebOptions(port))
        await bot.duban.start_web()
        assert bot.duban.web is None
        assert any(f"看板无法在端口 {port} 启动" in r.getMessage() for r in caplog.records)
    await bot.say(COORD, "/dashboard")
    assert "看板未开启" in bot.texts(COORD)[-1]
    await bot.say(COORD, "/status")
    assert "分工表总览" in bot.texts(COORD)[-1]
