"""`duban check` warns while a year the table reaches has no published 调休, names the
years, and stops once the admins list that year's days under `calendar:`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from catalogue.valid_table import VALID
from support import table

from bot.cli import main
from bot.core.workdays import unpublished_years, year_known

D = dt.date.fromisoformat
TODAY = D("2026-11-25")

# the small valid table reaches 2024 and 2025 (its deadlines) and lists 2026-10-01
assert "holidays: [2026-10-01]" in VALID and "deadline: 2025年底\n    subtasks" in VALID


def reaching(year: int, listed: str = "") -> str:
    """The small table with task 2 due at the end of ``year`` and ``listed`` days."""
    text = VALID.replace(
        "    deadline: 2025年底\n    subtasks", f"    deadline: {year}年底\n    subtasks"
    )
    return text.replace("  holidays: [2026-10-01]\n", f"  holidays: [2026-10-01{listed}]\n")


def test_years_named_are_deadlines_and_the_coming_twelve_months() -> None:
    assert unpublished_years(table(), TODAY) == [2027]  # 2026-11-25 + 12 months
    assert unpublished_years(table(), D("2025-06-01")) == []  # 2025-2026 are published
    assert unpublished_years(table(), D("2026-01-10")) == [2027]  # reaches 2027-01-10
    assert unpublished_years(table()) == []  # no clock: deadlines only
    # a deadline in 2031 names 2031, not the years in between that nothing reaches yet
    assert unpublished_years(table(reaching(2031)), TODAY) == [2027, 2031]


def test_a_listed_day_of_the_year_ends_the_warning_for_that_year() -> None:
    listed = table(reaching(2031, ", 2031-10-08"))
    assert unpublished_years(listed, TODAY) == [2027]
    workday = table(reaching(2031).replace("  workdays: []", "  workdays: [2027-02-20]"))
    assert unpublished_years(workday, TODAY) == [2031]


def check(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> tuple[int, str]:
    code = main(["check", "--config", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out + err


def calendar_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if ": calendar:" in line]


@pytest.mark.parametrize(
    "year",
    [
        pytest.param(
            2027,
            marks=pytest.mark.skipif(
                year_known(2027), reason="the installed packages carry 2027's arrangement"
            ),
        ),
        2035,
    ],
)
def test_check_names_the_year_until_the_admin_lists_its_days(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], year: int
) -> None:
    path = tmp_path / "tasks.yaml"
    path.write_text(reaching(year), encoding="utf-8")
    code, output = check(capsys, path)
    assert code == 0  # a warning, not an error
    [line] = calendar_lines(output)
    assert "警告" in line and str(year) in line and "调休安排尚未公布" in line
    key_line = reaching(year).splitlines().index("calendar:") + 1
    assert line.startswith(f"{path}:{key_line}:1:")  # placed at the `calendar:` key
    code, english = check(capsys, path, "--lang", "en")
    [line] = calendar_lines(english)
    assert "warning" in line and str(year) in line and "not published yet" in line

    path.write_text(
        reaching(year).replace("  workdays: []", f"  workdays: [{year}-02-20]"),
        encoding="utf-8",
    )
    code, output = check(capsys, path)
    assert code == 0
    assert all(str(year) not in line for line in calendar_lines(output))
