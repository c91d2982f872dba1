"""`duban plan`: the admin's preview of what the bot will send, from the shipped table."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from bot.core.workdays import WorkCalendar

ROOT = Path(__file__).resolve().parents[2]


def plan(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "plan", "--no-db", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_plan_shows_the_2022_end_reminders_on_working_days(tmp_path: Path) -> None:
    out = plan(tmp_path, "--from", "2022-04-01", "--to", "2023-01-31", "--json")
    assert out.returncode == 0, out.stderr
    items = json.loads(out.stdout)
    t04 = [i for i in items if i["kind"] == "reminder" and i["task"] == "t04"]
    days = sorted({dt.datetime.fromisoformat(i["slot"]).date() for i in t04})
    # 90/30/14/7/3/1 days before 2022-12-31; 90 days before is Sunday 10-02 in the National
    # Day holiday, so that one moves back to Friday 09-30
    assert [d.isoformat() for d in days] == [
        "2022-09-30", "2022-12-01", "2022-12-16", "2022-12-23", "2022-12-28", "2022-12-30",
    ]  # fmt: skip
    cal = WorkCalendar()
    assert all(cal.is_workday(d) and d < dt.date(2022, 12, 31) for d in days)
    recipients = {i["bureau"] for i in t04}
    assert recipients == {"经济发展局", "生态环境局", "各街道、镇"}


def test_plan_for_one_bureau_in_text(tmp_path: Path) -> None:
    out = plan(tmp_path, "--from", "2022-12-01", "--to", "2022-12-01", "--bureau", "生态环境/局")
    assert out.returncode == 0, out.stderr
    assert "计划发送" in out.stdout and "生态环境局联络员" in out.stdout
    assert "经济发展局联络员" not in out.stdout
    bad = plan(tmp_path, "--bureau", "生态环境部")
    assert bad.returncode == 2 and "生态环境局" in bad.stderr
