"""The dashboard's tests: the shipped table (16 tasks under six headings) with Telegram ids for
the harness's users, a database with a known history written through the real Store, and the
bot with its web server on a free local port.

The dashboard's public address is https://duban.test/ (so Telegram would open it as a Mini
App); the tests reach it at the local port, as a reverse proxy would (`local`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from harness import ADMIN, COORD, ECO, ECON, Harness
from support import at

from bot.core.history import UpdateKind
from bot.web.server import Dashboard, WebOptions
from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]
#: The second, clearly marked sample table (document `water`, short name 节水, 3 tasks).
WATER = ROOT / "tests" / "fixtures" / "documents" / "water.yaml"
PUBLIC = "https://duban.test"
#: The clock of the known history: early 2023, when the 2022年底 tasks are past due.
NOW = at("2023-01-10 10:00")


def shipped_table(language: str = "zh") -> str:
    """config/tasks.yaml with Telegram ids: the admin (1001), the coordinator (1002) and the
    contacts of 生态环境局 (2001) and 经济发展局 (2002), as the harness names its users."""
    text = (ROOT / "config" / "tasks.yaml").read_text("utf-8")
    for member, user in (
        ("admin-1", ADMIN),
        ("coord-1", COORD),
        ("eco-1", ECO),
        ("econ-1", ECON),
    ):
        indent = "    " if member.startswith(("admin", "coord")) else "        "
        head = f"  - id: {member}\n" if indent == "    " else f"      - id: {member}\n"
        assert head in text, member
        text = text.replace(head, f"{head}{indent}telegram_id: {user}\n", 1)
    if language != "zh":
        text = text.replace("language: zh", f"language: {language}", 1)
    return text


async def seed(bot: Harness) -> None:
    """The known history (every write through the writer thread, as the bot makes them):

    * task 4 (经济发展局, 2022年底): claimed done 12-20, confirmed by the coordinator 12-21 -> done;
    * task 10 (城市管理局, 2022年底): never answered -> red, 10 days overdue;
    * task 7 (生态环境局): 遇到困难 on 01-05 with a note -> red; its PM2.5 readings fall
      55 -> 52 -> 50.5 -> 48 over 2022 (the target is 49);
    * task 2 (经济发展局, ongoing): 存在风险 with a note -> yellow;
    * task 3: 正常推进, 60% -> green (no other reason).
    """
    rt = bot.runtime

    async def update(task: str, kind: UpdateKind, when: str, by: str, **kw: Any) -> None:
        await rt.write(Store.add_update, task_id=task, kind=kind, by=by, at=at(when), **kw)

    await update("t04", UpdateKind.DONE_CLAIMED, "2022-12-20 15:00", "econ-1", bureau_id="econ",
                 note="政策文件已全部印发")  # fmt: skip
    await update("t04", UpdateKind.CLOSED, "2022-12-21 09:30", "coord-1")
    await update("t07", UpdateKind.ON_TRACK, "2022-11-02 10:00", "eco-1", bureau_id="eco",
                 progress=40)  # fmt: skip
    await update("t07", UpdateKind.BLOCKED, "2023-01-05 16:20", "eco-1", bureau_id="eco",
                 note="资金尚未到位，已向区财政局申请")  # fmt: skip
    await update("t02", UpdateKind.AT_RISK, "2023-01-06 11:00", "econ-1", bureau_id="econ",
                 note="试点镇方案待审批")  # fmt: skip
    await update("t03", UpdateKind.ON_TRACK, "2023-01-04 09:10", "econ-1", bureau_id="econ",
                 progress=60, note="已完成方案编制")  # fmt: skip
    for when, value in (("2022-03-31", 55.0), ("2022-06-30", 52.0), ("2022-09-30", 50.5),
                        ("2022-12-31", 48.0)):  # fmt: skip
        await rt.write(Store.add_reading, indicator_id="pm25", value=value, by="eco-1",
                       at=at(f"{when} 10:00"), bureau_id="eco")  # fmt: skip


def water_table() -> dict[str, str]:
    """The second document beside the shipped table (`make_bot(..., documents=...)`)."""
    return {"water.yaml": WATER.read_text("utf-8")}


async def start_web(bot: Harness, base_url: str | None = PUBLIC) -> Dashboard:
    """Give a harness bot its dashboard, as `duban run --web-port 0 --web-base-url` does."""
    bot.duban.web = Dashboard.of(bot.runtime, bot.emu.token, WebOptions(0, "127.0.0.1", base_url))
    await bot.duban.start_web()
    assert bot.duban.web is not None
    return bot.duban.web


def local(web: Dashboard, url: str) -> str:
    """The public address as the local server serves it (a reverse proxy's job)."""
    assert url.startswith(PUBLIC), url
    return f"http://127.0.0.1:{web.port}" + url[len(PUBLIC) :]


def when(text: str) -> dt.datetime:
    """An instant in Asia/Shanghai."""
    return at(text)
