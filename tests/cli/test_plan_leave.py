"""`duban plan` shows leave as the engine will apply it: a message due while its recipient is
on leave is marked as received by the deputy (代收), or held until they are back (before,
the preview listed it as going to the contact on leave)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from storage.repo import Store

ROOT = Path(__file__).resolve().parents[2]
ECO = "        name: 生态环境局联络员（示例）\n        placeholder: true\n"
COLLEAGUE = (
    ECO + "      - id: eco-2\n        name: 生态环境局副联络员（示例）\n        placeholder: true\n"
)


def plan(config: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "plan", "--config", str(config), "--db", str(db),
         "--from", "2022-12-01", "--to", "2022-12-01", "--bureau", "生态环境局", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_plan_marks_messages_held_or_received_by_the_deputy(tmp_path: Path) -> None:
    config = tmp_path / "tasks.yaml"
    text = (ROOT / "config" / "tasks.yaml").read_text("utf-8")
    assert ECO in text
    config.write_text(text.replace(ECO, COLLEAGUE), "utf-8")
    db = tmp_path / "duban.db"
    store = Store.open(db)
    now = dt.datetime(2022, 11, 30, tzinfo=dt.UTC)
    store.add_leave("eco-1", dt.date(2022, 11, 30), dt.date(2022, 12, 5), now, "eco-1")
    store.close()

    held = plan(config, db)
    assert held.returncode == 0, held.stderr
    mine = [line for line in held.stdout.splitlines() if "生态环境局联络员" in line]
    assert mine and all("（请假至 2022-12-05，暂缓到销假后）" in line for line in mine)
    colleague = [line for line in held.stdout.splitlines() if "副联络员" in line]
    assert colleague and not any("请假" in line for line in colleague)

    store = Store.open(db)
    store.set_deputy("eco-1", "eco-2", now)
    store.close()
    items = json.loads(plan(config, db, "--json").stdout)
    away = [i for i in items if i["recipient"] == "eco-1"]
    assert away and all(i["leave"] == {"until": "2022-12-05", "deputy": "eco-2"} for i in away)
    assert all(i["leave"] is None for i in items if i["recipient"] == "eco-2")
    text_out = plan(config, db).stdout
    assert "（请假至 2022-12-05，由生态环境局副联络员（示例）代收）" in text_out
