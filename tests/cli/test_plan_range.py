"""`duban plan`: --to DATE and --days N both end with the whole last day."""

from __future__ import annotations

import json
from typing import Any

from conftest import SHIPPED


def slots(cli: Any, *argv: str) -> list[str]:
    result = cli("plan", "--config", SHIPPED, "--no-db", "--json", *argv)
    assert result.code == 0, result.err
    return sorted(f"{i['slot']} {i['key']}" for i in json.loads(result.out))


def test_days_and_to_cover_the_same_whole_days(cli: Any) -> None:
    # 2022-12-01 09:00 holds the 30-day reminders of the 2022年底 tasks
    evening = "2022-11-30T18:00"
    assert slots(cli, "--from", evening, "--days", "1") == slots(
        cli, "--from", evening, "--to", "2022-11-30"
    )
    assert slots(cli, "--from", evening, "--days", "1") == []  # the rest of that evening
    two = slots(cli, "--from", evening, "--days", "2")
    assert two == slots(cli, "--from", evening, "--to", "2022-12-01")
    assert two and all(s.startswith("2022-12-01T09:00") for s in two)


def test_a_date_range_includes_its_last_day(cli: Any) -> None:
    month = slots(cli, "--from", "2022-12-01", "--days", "30")
    assert month == slots(cli, "--from", "2022-12-01", "--to", "2022-12-30")
    assert any(s.startswith("2022-12-30T09:00") for s in month)  # 1 day before 2022-12-31
    assert not any(s.startswith("2022-12-31") or s.startswith("2023") for s in month)
