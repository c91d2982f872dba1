"""`duban plan` through 2027, a year chinesecalendar 1.11 does not know: nothing goes out
on a statutory holiday or its 补假, nor on a weekend."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from test_statutory_days import BUJIA_2027, STATUTORY_2027

from bot.cli import main

ROOT = Path(__file__).resolve().parents[2]
DAYS_OFF = {dt.date.fromisoformat(d) for d in STATUTORY_2027 | BUJIA_2027}

ONGOING = """\
version: 1
document: {title: 测试落实意见, issuer: 某区管委会办公室, number: 〔2026〕-1, date: 2026-10-08}
policy:
  reminder_offsets_days: [90, 30, 14, 7, 3, 1]
  checkin: monthly
people:
  - {id: admin-1, name: 王管理, roles: [admin, coordinator], telegram_id: 1001}
bureaus:
  - id: eco
    name: 生态环境局
    contacts: [{id: eco-1, name: 张联络, telegram_id: 2001}]
sections:
  - {id: s1, number: 一, title: 持续推进的工作}
tasks:
  - {id: t01, number: 1, section: s1, title: 长效治理, lead: 生态环境局, deadline: 持续推进}
  - {id: t02, number: 2, section: s1, title: 春节前完成, lead: 生态环境局, deadline: 2027年2月12日}
  - {id: t03, number: 3, section: s1, title: 国庆后验收, lead: 生态环境局, deadline: 2027年10月8日}
indicators:
  - {id: pm25, name: 细颗粒物平均浓度, unit: 微克/立方米, direction: at_most, target: 49,
     due: 2027年底, owner: 生态环境局, task: t01, checkin: monthly}
"""


def plan_2027(capsys: pytest.CaptureFixture[str], config: Path) -> list[dict[str, str]]:
    argv = ["plan", "--config", str(config), "--no-db", "--json"]
    code = main([*argv, "--from", "2027-01-01", "--to", "2027-12-31"])
    out, err = capsys.readouterr()
    assert code == 0, err
    items: list[dict[str, str]] = json.loads(out)
    return items


def days_of(items: list[dict[str, str]]) -> set[dt.date]:
    return {dt.datetime.fromisoformat(i["slot"]).date() for i in items}


def test_shipped_table_sends_nothing_on_2027_holidays(capsys: pytest.CaptureFixture[str]) -> None:
    items = plan_2027(capsys, ROOT / "config" / "tasks.yaml")
    days = days_of(items)
    assert len(items) > 100 and min(days).year == max(days).year == 2027
    assert sorted(days & DAYS_OFF) == []
    assert [d for d in days if d.weekday() >= 5] == []


def test_ongoing_monthly_checkins_move_past_holidays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "tasks.yaml"
    config.write_text(ONGOING, encoding="utf-8")
    items = plan_2027(capsys, config)
    assert sorted(days_of(items) & DAYS_OFF) == []
    assert [d for d in days_of(items) if d.weekday() >= 5] == []
    checkins = sorted(
        dt.datetime.fromisoformat(i["slot"]).date()
        for i in items
        if i["kind"] == "checkin" and i["task"] == "t01"
    )
    assert len(checkins) == 12
    # each month's first working day: not 元旦 (Jan 1), not May 1-4, not Oct 1-5
    assert checkins[0] == dt.date(2027, 1, 4)
    assert checkins[4] == dt.date(2027, 5, 5)
    assert checkins[9] == dt.date(2027, 10, 6)

    def reminders(task: str) -> list[str]:
        slots = {i["slot"][:10] for i in items if i["kind"] == "reminder" and i["task"] == task}
        return sorted(slots)

    # due Friday 02-12: 7 days before is 除夕 and 3 days before a 补假, both move back to
    # Thursday 02-04 (one message); 1 day before is Thursday 02-11
    assert reminders("t02") == ["2027-01-13", "2027-01-29", "2027-02-04", "2027-02-11"]
    # due Friday 10-08: 7 days before is 国庆 and 3 days before a 补假: both Thursday 09-30;
    # 90 days before is Saturday 07-10: Friday 07-09
    assert reminders("t03") == [
        "2027-07-09", "2027-09-08", "2027-09-24", "2027-09-30", "2027-10-07",
    ]  # fmt: skip
