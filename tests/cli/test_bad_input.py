"""Every sub-command answers bad input with one clear line on stderr and exit status 2:
a bad date, a reversed range, a missing or unusable database, a directory where a file
belongs, a file that is not a database, an output path that cannot be written, an
unknown id, arguments argparse refuses. In Chinese by default, in English with --lang en,
never a traceback."""

from __future__ import annotations

import shutil
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import SHIPPED

DATES = ("2022-13-01", "tomorrow", "2022/12/01")
BAD_DATE = ("的日期", "is not a date")
CASES: list[Any] = []


def case(family: str, argv: str, zh: str, en: str) -> None:
    """One bad input: ``argv`` with {config} {docs} {db} {tmp} {text} {dir} {other} placeholders
    ({docs}: a config directory of two documents, the shipped table and the water sample)."""
    CASES.append(pytest.param(argv, zh, en, id=f"{family}: {argv}"))


# bad dates, for every option that takes one
for value in DATES:
    case("date", f"plan --config {{config}} --db {{db}} --from {value}", *BAD_DATE)
    case("date", f"plan --config {{config}} --db {{db}} --to {value}", *BAD_DATE)
    case("date", f"chart --config {{config}} --db {{db}} --at {value}", *BAD_DATE)
    case("date", f"export --config {{config}} --db {{db}} --as-of {value}", *BAD_DATE)
    case("date", f"demo --config {{config}} --start {value}", *BAD_DATE)

# ranges and amounts that make no sense
for argv in (
    "plan --config {config} --db {db} --from 2022-12-05 --to 2022-12-01",
    "plan --config {config} --db {db} --from 2022-12-01T10:00 --to 2022-11-30",
):
    case("range", argv, "晚于", "is after")
case("range", "plan --config {config} --db {db} --days 0", "应大于 0", "must be more than 0")
case("range", "plan --config {config} --db {db} --days -3", "应大于 0", "must be more than 0")
# a range too long to plan (it failed with an internal error, or planned for ever)
case("range", "plan --config {config} --db {db} --days 99999999", "最多 3660", "at most 3660")
for argv in (
    "plan --config {config} --db {db} --from 2025-01-01 --to 2040-12-31",
    "plan --config {config} --db {db} --from 2025-01-01T09:00 --to 2036-01-01",
):
    case("range", argv, "最长 3660 天", "at most 3660 days")
for value in ("9999-12-31", "0001-01-01", "3000-01-01T09:00"):
    for option in ("--from", "--to"):
        case("range", f"plan --config {{config}} --db {{db}} {option} {value}", "年之间", "years")
    case("range", f"export --config {{config}} --db {{db}} --as-of {value}", "年之间", "years")
case("range", "demo --config {config} --speed 0", "应大于 0", "must be more than 0")
case("range", "health --db {db} --max-age -5", "不能为负数", "cannot be negative")
case("range", "emulator --port 70000", "端口 70000 无效", "port 70000 is out of range")

# the database: missing (read-only commands never create it), a directory, not a database
READERS = (
    "plan --config {config}",
    "contacts --config {config}",
    "history",
    "chart --config {config} --out {tmp}/c.png",
    "export --config {config} --out {tmp}/e.xlsx",
)
for reader in READERS:
    case("db missing", f"{reader} --db {{tmp}}/none/duban.db", "找不到数据库", "No database at")
for user in (*READERS, "health", "invite eco-1 --config {config}"):
    case("db directory", f"{user} --db {{dir}}", "是目录，不是数据库文件", "is a directory")
    case(
        "db not a database", f"{user} --db {{text}}", "不是 duban 的数据库", "not a duban database"
    )
    case("db not duban's", f"{user} --db {{other}}", "不是 duban 的数据库", "not a duban database")
case("db directory", "demo --config {config} --db {dir}", "是目录", "is a directory")
case("db not a database", "demo --config {config} --db {text}", "演示会删除", "the demo deletes")
case("db not duban's", "demo --config {config} --db {other}", "演示会删除", "the demo deletes")

# where an output file belongs
for writer in ("chart", "export"):
    base = f"{writer} --config {{config}} --db {{db}} --out"
    case("out", f"{base} {{dir}}", "是目录：请给出要写入的文件名", "is a directory: name the file")
    case("out", f"{base} {{tmp}}/missing/x.out", "不存在", "does not exist")
    case("out", f"{base} {{text}}/x.out", "无法写入", "Cannot write")
    case("out", f"{base} /sys/duban.out", "无法写入", "Cannot write")

# unknown ids
case(
    "id", "tasks --config {config} --bureau 生态环境部", "未知单位「生态环境部」", "unknown bureau"
)
case("id", "plan --config {config} --db {db} --bureau 生态环境部", "未知单位", "unknown bureau")
case("id", "invite nobody --config {config} --db {db}", "没有联系人或人员", "No contact or person")
case("id", "invite eco-1 --config {config} --db {db} --bot-username @a", "用户名", "not a bot")
# a document the config does not hold (#15): several documents, and a single table
case("id", "export --config {docs} --db {db} --document 大气", "没有文件「大气」。可选：tasks、water（节水）",
     "No document '大气'")  # fmt: skip
case("id", "export --config {config} --db {db} --document water", "没有文件「water」",
     "No document 'water'")  # fmt: skip

# the table file
for user in (
    "check", "tasks", "plan --db {db}", "contacts --db {db}", "invite eco-1 --db {db}",
    "chart --db {db}", "export --db {db}", "demo",
):  # fmt: skip
    case("config", f"{user} --config {{tmp}}/nope.yaml", "找不到分工表文件", "No table file")
case("config", "check --config {dir}", "中没有分工表", "holds no table")
case("config", "diff {tmp}/nope.yaml {config}", "找不到文件", "No file at")
case("config", "diff {config} {dir}", "是目录，不是文件", "is a directory, not a file")

# what argparse refuses
case("args", "plan --config {config} --days abc", "应为整数", "takes an integer")
case("args", "health --max-age soon", "应为整数", "takes an integer")
case("args", "emulator --port http", "应为整数", "takes an integer")
case("args", "demo --speed fast", "应为数字", "takes a number")
case("args", "plan --config {config} --frobnicate", "无法识别的参数", "unrecognised arguments")
case("args", "invite --config {config}", "缺少参数：member", "missing argument: member")
case("args", "plan --config {config} --from", "缺少取值", "needs a value")
case("args", "nosuch", "不能取「nosuch」", "cannot be 'nosuch'")


@pytest.fixture
def places(tmp_path: Path, db: Path) -> dict[str, str]:
    text = tmp_path / "notes.txt"
    text.write_text("这不是数据库 / not a database\n" * 20, encoding="utf-8")
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    folder = tmp_path / "folder"
    folder.mkdir()
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SHIPPED, docs / "tasks.yaml")
    shutil.copy(SHIPPED.parents[1] / "tests" / "fixtures" / "documents" / "water.yaml", docs)
    return {
        "config": str(SHIPPED),
        "docs": str(docs),
        "db": str(db),
        "tmp": str(tmp_path),
        "text": str(text),
        "other": str(other),
        "dir": str(folder),
    }


def _assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1 and err.strip(), err


@pytest.mark.parametrize(("argv", "zh", "en"), CASES)
def test_bad_input_is_one_line_and_exit_2(
    cli: Any, places: dict[str, str], argv: str, zh: str, en: str
) -> None:
    args = [a.format(**places) for a in argv.split()]
    result = cli(*args)
    assert result.code == 2
    _assert_one_line(result.err)
    assert zh in result.err
    assert result.out == ""

    english = cli(*args, "--lang", "en")
    assert english.code == 2
    _assert_one_line(english.err)
    assert en in english.err and zh not in english.err


def test_health_on_a_missing_database_is_unhealthy_and_names_it(cli: Any, tmp_path: Path) -> None:
    missing = tmp_path / "data" / "duban.db"
    result = cli("health", "--db", missing)
    assert result.code == 1
    _assert_one_line(result.err)
    assert str(missing) in result.err and "找不到数据库" in result.err
    assert list(tmp_path.iterdir()) == []


def test_a_busy_port_is_one_line(cli: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("emulator", "--port", port, "--lang", "en")
    assert result.code == 2
    _assert_one_line(result.err)
    assert "Failed" in result.err and str(port) in result.err
