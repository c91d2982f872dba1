"""Broken tables: each mistake an admin could make gets the right message on the right line."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from valid_table import VALID

from bot.core.catalogue import Severity, parse_catalogue, render_problem
from bot.core.model import DeadlineKind, Direction


@dataclass(frozen=True)
class Case:
    """A mistake: replace `old` by `new` in the valid table."""

    name: str
    old: str
    new: str
    code: str
    path: str
    line_of: str  # the (first) line of the broken text that the problem must point at
    says: str = ""  # a fragment the Chinese message must contain
    severity: Severity = Severity.ERROR


CASES = [
    Case(
        "yaml: unclosed bracket",
        "cooperating: [生态环境局]",
        "cooperating: [生态环境局",
        "yaml_syntax",
        "",
        "    deadline: 持续推进",
        "方括号 [ ] 没有闭合，从第",
    ),
    Case(
        "yaml: tab indentation",
        "    title: 打好蓝天保卫战",
        "\ttitle: 打好蓝天保卫战",
        "yaml_syntax",
        "",
        "\ttitle",
        "制表符",
    ),
    Case(
        "unknown top-level key",
        "tasks:\n",
        "taks:\n",
        "unknown_key",
        "taks",
        "taks:",
        "是否应为「tasks」",
    ),
    Case(
        "unknown task key",
        "    title: 打好蓝天保卫战",
        "    titel: 打好蓝天保卫战",
        "unknown_key",
        "tasks[1].titel",
        "titel:",
        "是否应为「title」",
    ),
    Case(
        "missing deadline",
        "    deadline: 2025年底\n    subtasks:",
        "    subtasks:",
        "missing_key",
        "tasks[1]",
        "  - id: t02",
        "deadline",
    ),
    Case(
        "duplicate key",
        "    lead: 经济发展局\n",
        "    lead: 经济发展局\n    lead: 生态环境局\n",
        "duplicate_key",
        "tasks[0].lead",
        "    lead: 生态环境局",
        "重复",
    ),
    Case(
        "duplicate task id",
        "  - id: t02\n",
        "  - id: t01\n",
        "duplicate_id",
        "tasks[1].id",
        "  - id: t01\n    number: 2",
        "t01",
    ),
    Case(
        "duplicate task number",
        "    number: 2\n",
        "    number: 1\n",
        "duplicate_number",
        "tasks[1].number",
        "    number: 1\n    section: s1\n    title: 打好",
        "序号 1",
    ),
    Case(
        "id not ascii",
        "  - id: t02\n",
        "  - id: 任务二\n",
        "bad_id",
        "tasks[1].id",
        "id: 任务二",
        "编号",
    ),
    Case(
        "unknown lead with did-you-mean",
        "    lead: 经济发展局\n",
        "    lead: 经济发展部\n",
        "unknown_bureau",
        "tasks[0].lead",
        "lead: 经济发展部",
        "是否应为「经济发展局」",
    ),
    Case(
        "unknown cooperating",
        "cooperating: [生态环境局]",
        "cooperating: [环保局]",
        "unknown_bureau",
        "tasks[0].cooperating[0]",
        "cooperating: [环保局]",
        "环保局",
    ),
    Case(
        "unknown sub-item bureau",
        "        cooperating: [经济发展局]",
        "        cooperating: [经发局]",
        "unknown_bureau",
        "tasks[1].subtasks[0].cooperating[0]",
        "cooperating: [经发局]",
        "经发局",
    ),
    Case(
        "unknown section",
        "    section: s1\n    title: 打好",
        "    section: s2\n    title: 打好",
        "unknown_section",
        "tasks[1].section",
        "section: s2",
        "s2",
    ),
    Case(
        "unreadable deadline",
        "    deadline: 2025年底\n    subtasks",
        "    deadline: 尽快\n    subtasks",
        "bad_deadline",
        "tasks[1].deadline",
        "deadline: 尽快",
        "无法识别",
    ),
    Case(
        "impossible month",
        "    deadline: 2025年底\n    subtasks",
        "    deadline: 2025年13月底\n    subtasks",
        "bad_deadline",
        "tasks[1].deadline",
        "2025年13月底",
        "2025年13月底",
    ),
    Case(
        "indicator without unit",
        "    unit: 微克/立方米\n",
        "",
        "missing_key",
        "indicators[0]",
        "  - id: pm25",
        "unit",
    ),
    Case(
        "indicator without target",
        "    target: 49\n",
        "",
        "missing_key",
        "indicators[0]",
        "  - id: pm25",
        "target",
    ),
    Case(
        "indicator target as words",
        "    target: 49\n",
        "    target: 四十九\n",
        "wrong_type",
        "indicators[0].target",
        "target: 四十九",
        "数字",
    ),
    Case(
        "unknown direction",
        "direction: at_most",
        "direction: atmost",
        "unknown_choice",
        "indicators[0].direction",
        "direction: atmost",
        "是否应为「at_most」",
    ),
    Case(
        "reduce_by_pct without baseline year",
        "    baseline_year: 2020\n",
        "",
        "baseline_year_required",
        "indicators[1].baseline_year",
        "  - id: energy",
        "baseline_year",
    ),
    Case(
        "indicator owner unknown",
        "    owner: 经济发展局\n",
        "    owner: 发改局\n",
        "unknown_bureau",
        "indicators[1].owner",
        "owner: 发改局",
        "发改局",
    ),
    Case(
        "indicator task unknown",
        "    task: t01\n",
        "    task: t1\n",
        "unknown_task",
        "indicators[1].task",
        "task: t1",
        "t1",
    ),
    Case(
        "telegram id as username",
        "        telegram_id: 2002",
        "        telegram_id: '@li'",
        "wrong_type",
        "bureaus[1].contacts[0].telegram_id",
        "telegram_id: '@li'",
        "整数",
    ),
    Case(
        "same telegram id twice",
        "        telegram_id: 2002",
        "        telegram_id: 2001",
        "duplicate_telegram_id",
        "bureaus[1].contacts[0].telegram_id",
        "        telegram_id: 2001\n  - id: streets",
        "2001",
    ),
    Case(
        "duplicate contact id",
        "      - id: econ-1",
        "      - id: eco-1",
        "duplicate_id",
        "bureaus[1].contacts[0].id",
        "      - id: eco-1\n        name: 李联络",
        "eco-1",
    ),
    Case(
        "unknown role",
        "roles: [coordinator]",
        "roles: [coordinater]",
        "unknown_choice",
        "people[1].roles[0]",
        "roles: [coordinater]",
        "是否应为「coordinator」",
    ),
    Case(
        "send time not a time",
        'send_time: "09:00"',
        'send_time: "25:00"',
        "bad_time",
        "policy.send_time",
        "send_time",
        "HH:MM",
    ),
    Case(
        "send time outside hours",
        'send_time: "09:00"',
        'send_time: "20:00"',
        "send_time_outside_hours",
        "policy.send_time",
        "send_time",
        "20:00",
    ),
    Case(
        "negative offset",
        "reminder_offsets_days: [30, 7, 1]",
        "reminder_offsets_days: [30, -7, 1]",
        "out_of_range",
        "policy.reminder_offsets_days[1]",
        "reminder_offsets_days",
        "-7",
    ),
    Case(
        "unknown cadence",
        "checkin: monthly",
        "checkin: monthy",
        "unknown_choice",
        "policy.checkin",
        "checkin: monthy",
        "是否应为「monthly」",
    ),
    Case(
        "impossible calendar date",
        "holidays: [2026-10-01]",
        "holidays: [2027-02-30]",
        "bad_date",
        "calendar.holidays[0]",
        "holidays: [2027-02-30]",
        "2027-02-30",
    ),
    Case(
        "unknown time zone",
        "timezone: Asia/Shanghai",
        "timezone: Asia/Beijing",
        "bad_timezone",
        "document.timezone",
        "timezone: Asia/Beijing",
        "Asia/Beijing",
    ),
    Case(
        "alias shared by two bureaus",
        "aliases: [经济发展和局]",
        "aliases: [生态环境/局]",
        "duplicate_name",
        "bureaus[1].aliases[0]",
        "aliases: [生态环境/局]\n    contacts:\n      - id: econ",
        "生态环境/局",
    ),
    Case(
        "document date missing",
        "  date: 2022-03-31\n",
        "",
        "missing_key",
        "document",
        "document:",
        "date",
    ),
    Case(
        "unknown language",
        "language: zh",
        "language: fr",
        "unknown_choice",
        "language",
        "language: fr",
        "zh, en",
    ),
    Case(
        "tasks as a mapping",
        "tasks:\n  - id: t01",
        "tasks:\n  t01:\n  - id: t01",
        "wrong_type",
        "tasks",
        "tasks:",
        "应为列表",
    ),
    Case(
        "cooperating as a number",
        "cooperating: [生态环境局]",
        "cooperating: [3]",
        "wrong_type",
        "tasks[0].cooperating[0]",
        "cooperating: [3]",
        "文字",
    ),
    Case(
        "deadline before the document",
        "        deadline: 2024年底",
        "        deadline: 持续推进，2021年底取得阶段成效",
        "deadline_before_document",
        "tasks[1].subtasks[1].deadline",
        "2021年底",
        "早于发文日期 2022-03-31",
        Severity.WARNING,
    ),
    Case(
        "sub-item later than its task",
        "        deadline: 2024年底",
        "        deadline: 2026年底",
        "subtask_deadline_after_task",
        "tasks[1].subtasks[1].deadline",
        "deadline: 2026年底",
        "晚于",
        Severity.WARNING,
    ),
    Case(
        "lead also cooperating",
        "cooperating: [生态环境局]",
        "cooperating: [经济发展和局]",
        "lead_also_cooperating",
        "tasks[0].cooperating[0]",
        "cooperating: [经济发展和局]",
        "牵头单位",
        Severity.WARNING,
    ),
]

# Values that were accepted before and meant nothing (or something else): each is an error now.
CASES += [
    Case("task number zero", "    number: 2\n", "    number: 0\n", "out_of_range",
         "tasks[1].number", "    number: 0", "1–99999"),
    Case("task number negative", "    number: 2\n", "    number: -10\n", "out_of_range",
         "tasks[1].number", "    number: -10", "-10"),
    Case("task number 10**30", "    number: 2\n", "    number: " + "1" + "0" * 30 + "\n",
         "out_of_range", "tasks[1].number", "    number: 1000", "1" + "0" * 30),
    Case("telegram id beyond 2**52", "telegram_id: 2002", "telegram_id: 9223372036854775808",
         "out_of_range", "bureaus[1].contacts[0].telegram_id", "telegram_id: 922",
         "4503599627370495"),
    Case("telegram id zero", "telegram_id: 2002", "telegram_id: 0",
         "out_of_range", "bureaus[1].contacts[0].telegram_id", "telegram_id: 0", "0"),
    Case("telegram id boolean", "telegram_id: 2002", "telegram_id: true", "wrong_type",
         "bureaus[1].contacts[0].telegram_id", "telegram_id: true", "整数"),
    Case("target .nan", "target: 49", "target: .nan", "not_finite",
         "indicators[0].target", "target: .nan", ".nan"),
    Case("target .inf", "target: 49", "target: .inf", "not_finite",
         "indicators[0].target", "target: .inf", ".inf"),
    Case("target -.inf", "target: 49", "target: -.inf", "not_finite",
         "indicators[0].target", "target: -.inf", "-.inf"),
    Case("target overflowing to infinity", "target: 49", "target: 1.0e+400", "not_finite",
         "indicators[0].target", "target: 1.0e+400", "1.0e+400"),
    Case("baseline .nan", "    baseline_year: 2020\n", "    baseline_year: 2020\n    baseline: .NaN\n",
         "not_finite", "indicators[1].baseline", "    baseline: .NaN", ".NaN"),
    Case("baseline year 99999", "baseline_year: 2020", "baseline_year: 99999", "out_of_range",
         "indicators[1].baseline_year", "baseline_year: 99999", "1949–2100"),
    Case("deadline 9999年底", "    deadline: 2025年底\n    subtasks", "    deadline: 9999年底\n    subtasks",
         "deadline_out_of_window", "tasks[1].deadline", "    deadline: 9999年底",
         "1990-01-01 至 2052-03-31"),
    Case("deadline 0001年底", "    deadline: 2025年底\n    subtasks", "    deadline: 0001年底\n    subtasks",
         "deadline_out_of_window", "tasks[1].deadline", "    deadline: 0001年底", "0001-12-31"),
    Case("deadline 31 years after the document", "    deadline: 2025年底\n    subtasks",
         "    deadline: 2053年底\n    subtasks", "deadline_out_of_window", "tasks[1].deadline",
         "    deadline: 2053年底", "2052-03-31"),
    Case("ongoing milestone in the year 3000", "deadline: 持续推进，2025年底取得阶段成效",
         "deadline: 持续推进，3000年底取得阶段成效", "deadline_out_of_window", "tasks[0].deadline",
         "    deadline: 持续推进，3000年底", "3000-12-31"),
    Case("sub-item deadline 2200年底", "        deadline: 2024年底", "        deadline: 2200年底",
         "deadline_out_of_window", "tasks[1].subtasks[1].deadline", "        deadline: 2200年底",
         "2200年底"),
    Case("indicator due 1900年底", "    due: 2025年底\n    owner: 经济发展局",
         "    due: 1900年底\n    owner: 经济发展局", "deadline_out_of_window", "indicators[1].due",
         "    due: 1900年底", "1990-01-01"),
    Case("document date 9999-12-31", "  date: 2022-03-31", "  date: 9999-12-31",
         "date_out_of_window", "document.date", "  date: 9999", "1990-01-01 至 2100-12-31"),
    Case("holiday in the year 1066", "holidays: [2026-10-01]", "holidays: [1066-10-14]",
         "date_out_of_window", "calendar.holidays[0]", "holidays: [1066", "1066-10-14"),
    Case("version 99", "version: 1", "version: 99", "unsupported_version", "version",
         "version: 99", "version: 1"),
    Case("version abc", "version: 1", "version: abc", "wrong_type", "version", "version: abc",
         "整数"),
    Case("title .nan", "    title: 打好蓝天保卫战", "    title: .nan", "text_not_finite",
         "tasks[1].title", "    title: .nan", ".nan"),
    Case("bureau name .inf", "    name: 生态环境局", "    name: .inf", "text_not_finite",
         "bureaus[0].name", "    name: .inf", "加引号"),
    Case("id written as .inf", "  - id: t02\n", "  - id: .inf\n", "bad_id", "tasks[1].id",
         "  - id: .inf", ".inf"),
    Case("range reversed", "range: [0, 1000]", "range: [1000, 0]", "bad_range",
         "indicators[0].range", "range: [1000, 0]", "最小值小于最大值"),
    Case("range of one number", "range: [0, 1000]", "range: [0]", "bad_range",
         "indicators[0].range", "range: [0]", "两个数字"),
    Case("range with .nan", "range: [0, 1000]", "range: [0, .nan]", "not_finite",
         "indicators[0].range[1]", "range: [0, .nan]", ".nan"),
    Case("range as text", "range: [0, 1000]", "range: [0, 很多]", "wrong_type",
         "indicators[0].range[1]", "range: [0, 很多]", "数字"),
    Case("target outside its range", "range: [0, 1000]", "range: [0, 40]", "outside_range",
         "indicators[0].target", "target: 49", "0–40"),
    Case("reminder day listed twice", "reminder_offsets_days: [30, 7, 1]",
         "reminder_offsets_days: [30, 7, 7, 1]", "duplicate_offset",
         "policy.reminder_offsets_days[2]", "reminder_offsets_days", "7",
         Severity.WARNING),
    Case("control character in a title", "    title: 打好蓝天保卫战", "    title: 打好\x07蓝天保卫战",
         "control_char", "", "    title: 打好\x07", "U+0007"),
    Case("unsupported YAML tag", "target: 49", "target: !secret 49", "yaml_tag", "",
         "target: !secret", "!secret"),
    Case("value that does not fit its tag", "target: 49", "target: !!int 四十九", "yaml_value",
         "", "target: !!int", "四十九"),
    Case("names equal but for a space", "aliases: [经济发展和局]", "aliases: [生态 环境局]",
         "duplicate_name", "bureaus[1].aliases[0]", "aliases: [生态 环境局]", "eco"),
    Case("alias that is another bureau's id", "aliases: [经济发展和局]", "aliases: [eco]",
         "duplicate_name", "bureaus[1].aliases[0]", "aliases: [eco]", "eco"),
    Case("title of spaces only", "    title: 打好蓝天保卫战", '    title: "   "', "empty_value",
         "tasks[1].title", '    title: "   "', "不能为空"),
    Case("a second document", "indicators:\n", "---\nindicators:\n", "multiple_documents", "",
         "---", "第二份"),
]  # fmt: skip


def _line_of(text: str, fragment: str) -> int:
    """The 1-based line where a fragment starts."""
    index = text.index(fragment)
    return text.count("\n", 0, index) + 1


def test_the_valid_table_is_valid(valid_yaml: str) -> None:
    """The baseline the cases break has no problem at all."""
    result = parse_catalogue(valid_yaml, "tasks.yaml")
    assert result.ok, [render_problem(p) for p in result.problems]
    assert result.problems == ()


def test_there_are_at_least_twenty_distinct_errors() -> None:
    """The suite covers at least 20 distinct mistakes that stop a table."""
    errors = {(c.code, c.path) for c in CASES if c.severity is Severity.ERROR}
    assert len(errors) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_mistake_is_reported_where_it_is(case: Case) -> None:
    """The problem has the right code, path, line and a clear message, with no traceback."""
    assert case.old in VALID, f"case {case.name!r} does not apply"
    broken = VALID.replace(case.old, case.new, 1)
    result = parse_catalogue(broken, "config/tasks.yaml")
    matching = [p for p in result.problems if p.code == case.code and p.path == case.path]
    assert matching, [render_problem(p) for p in result.problems]
    problem = matching[0]
    assert problem.severity is case.severity
    assert problem.line == _line_of(broken, case.line_of)
    text = render_problem(problem, "zh")
    assert text.startswith(f"config/tasks.yaml:{problem.line}")
    assert case.says in text
    assert render_problem(problem, "en") != text  # English is available too
    if case.severity is Severity.ERROR:
        assert not result.ok and result.catalogue is None
    else:
        assert result.ok and not result.errors


def test_every_problem_is_reported_at_once() -> None:
    """Three mistakes in one edit give three errors, not just the first."""
    broken = (
        VALID.replace("    lead: 经济发展局\n", "    lead: 经济发展部\n", 1)
        .replace("direction: at_most", "direction: up")
        .replace("    number: 2\n", "    number: 1\n")
    )
    codes = {p.code for p in parse_catalogue(broken).errors}
    assert {"unknown_bureau", "unknown_choice", "duplicate_number"} <= codes


def test_empty_and_non_mapping_files() -> None:
    """An empty file and a top-level list are explained, not crashed on."""
    assert [p.code for p in parse_catalogue("").problems] == ["empty"]
    assert [p.code for p in parse_catalogue("# only a comment\n").problems] == ["empty"]
    assert [p.code for p in parse_catalogue("- a\n- b\n").problems] == ["not_mapping"]


def test_valid_table_reads_as_the_document_says(valid_yaml: str) -> None:
    """Aliases resolve to canonical bureaus; deadlines are structured; indicators typed."""
    catalogue = parse_catalogue(valid_yaml).catalogue
    assert catalogue is not None
    t01, t02 = catalogue.tasks
    assert t01.lead == "econ" and t01.cooperating == ("eco",)
    assert t01.deadline.kind is DeadlineKind.ONGOING
    assert t01.deadline.due == dt.date(2025, 12, 31)
    assert t01.deadline.text == "持续推进，2025年底取得阶段成效"
    assert t02.subtasks[1].deadline is not None
    assert t02.subtasks[1].deadline.due == dt.date(2024, 12, 31)
    assert catalogue.bureaus_of(t01) == ("econ", "eco", "streets")
    assert catalogue.indicator("energy").direction is Direction.REDUCE_BY_PCT
    assert catalogue.indicator("energy").target_value() is None  # baseline still to be filled in
    assert catalogue.resolve_bureau("经济发展和局") == catalogue.bureau("econ")


def test_unknown_calendar_year_is_a_warning(valid_yaml: str) -> None:
    """A deadline in a year chinesecalendar does not know warns, and names the year."""
    text = valid_yaml.replace(
        "    deadline: 2025年底\n    subtasks", "    deadline: 2030年底\n    subtasks"
    )
    text = text.replace("        deadline: 2024年底", "        deadline: 2029年底")
    result = parse_catalogue(text)
    assert result.ok
    warning = next(p for p in result.warnings if p.code == "calendar_unknown_year")
    assert "2030" in render_problem(warning)


def _check(tmp_path: Path, text: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `duban check` on a table as a user would."""
    path = tmp_path / "tasks.yaml"
    path.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "check", "--config", str(path), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_check_exit_status_and_no_traceback(tmp_path: Path) -> None:
    """`duban check` exits 1 with located errors on a broken table, 0 on a valid one."""
    bad = _check(tmp_path, VALID.replace("    lead: 经济发展局\n", "    lead: 经济发展部\n", 1))
    assert bad.returncode == 1
    assert "Traceback" not in bad.stderr + bad.stdout
    assert "tasks.yaml:55:5" in bad.stderr and "经济发展局" in bad.stderr
    good = _check(tmp_path, VALID)
    assert good.returncode == 0, good.stderr
    assert "2 项任务" in good.stdout
    english = _check(tmp_path, VALID.replace("language: zh", "language: en"))
    assert "2 tasks" in english.stdout


def test_cli_check_missing_file(tmp_path: Path) -> None:
    """A missing file is an error message, not a traceback."""
    run = subprocess.run(
        [sys.executable, "-m", "bot", "check", "--config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "找不到分工表文件" in run.stderr
    assert "Traceback" not in run.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    line=st.integers(min_value=0, max_value=VALID.count("\n")),
    junk=st.sampled_from(["", ":", "- ", "[", "]]", "{x", "\t", "'", "&a", "*b", "!!int x", "？"]),
    drop=st.booleans(),
)
def test_no_edit_makes_the_validator_crash(line: int, junk: str, drop: bool) -> None:
    """Whatever an editor leaves in the file, validation answers with problems, never raises."""
    lines = VALID.split("\n")
    if drop:
        del lines[line]
    else:
        lines[line] = junk + lines[line]
    result = parse_catalogue("\n".join(lines))
    assert result.ok or result.errors
    for problem in result.problems:
        assert render_problem(problem)
