"""The `duban` command line: the only place that turns core results into terminal text.

Exit codes: 0 done; 1 the command ran and found a problem (the table has errors, the bot
is unhealthy); 2 the command could not do what was asked (a bad argument, date or range, an
unknown id, a file or database that is missing, a directory, not a database, a path that
cannot be written). A 2 is always one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import json
import os
import re
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from bot.core.catalogue import (
    LoadResult,
    Problem,
    Severity,
    load_catalogue,
    normalised,
    render_problem,
)
from bot.core.i18n import colon, join, paren, t
from bot.core.model import Catalogue, Task

if TYPE_CHECKING:
    from storage.repo import Store

DEFAULT_CONFIG = "config/tasks.yaml"
SHANGHAI = ZoneInfo("Asia/Shanghai")

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    """Register a sub-command handler."""

    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


class CliError(Exception):
    """What the user asked for cannot be done: one line on stderr, exit 2.

    ``params`` fill the text ``key``; a ``suggestion`` becomes the language's did-you-mean.
    """

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def render(self, lang: str) -> str:
        """The line for the user."""
        params = dict(self.params)
        suggestion = params.pop("suggestion", None)
        params["hint"] = (
            t(lang, "problem.did_you_mean", suggestion=suggestion) if suggestion else ""
        )
        return t(lang, self.key, **params)


class UsageError(Exception):
    """argparse refused the arguments (its English message, translated at the edge)."""

    def __init__(self, prog: str, message: str) -> None:
        super().__init__(message)
        self.prog = prog
        self.message = message


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        """Raise UsageError: main prints it as one line."""
        raise UsageError(self.prog, message)


def default_config() -> str:
    """`$DUBAN_CONFIG`, else config/tasks.yaml."""
    return os.environ.get("DUBAN_CONFIG", DEFAULT_CONFIG)


def default_db() -> str:
    """`$DUBAN_DB`, else the storage default under the data directory."""
    if os.environ.get("DUBAN_DB"):
        return os.environ["DUBAN_DB"]
    from storage.db import default_db_path

    return str(default_db_path())


# --- the parser -----------------------------------------------------------------------------


def _common_options() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--config",
        default=None,
        help=f"分工表文件 tasks.yaml (default: $DUBAN_CONFIG or {DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--db",
        default=None,
        help="SQLite 数据库 (default: $DUBAN_DB or $DUBAN_DATA_DIR/duban.db or ./data/duban.db)",
    )
    common.add_argument(
        "--lang",
        choices=("zh", "en"),
        default=None,
        help="输出语言 (default: the table's language)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    common = _common_options()
    parser = Parser(
        prog="duban", description="督办 duban: 分工表督办机器人 / division-table follow-up bot"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", parents=[common], help="校验分工表 / validate tasks.yaml")
    p.add_argument("--json", action="store_true", help="print the normalised catalogue as JSON")

    p = sub.add_parser("tasks", parents=[common], help="列出分工表 / print the table")
    p.add_argument("--bureau", help="only the tasks of this bureau (name, alias or id)")

    p = sub.add_parser(
        "emulator", parents=[common], help="本地 Bot API 模拟服务器 / local Bot API server"
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8081)
    p.add_argument("--token", default=None, help="the bot token it accepts")

    p = sub.add_parser("demo", parents=[common], help="演示 / the whole loop on the emulator")
    p.add_argument("--interactive", action="store_true", help="type as a contact or coordinator")
    p.add_argument(
        "--speed", "--clock-speed", dest="speed", type=float, default=7200.0,
        help="simulated clock speed (simulated seconds per real second)",
    )  # fmt: skip
    p.add_argument("--days", type=float, default=5.8, help="simulated days to run")
    p.add_argument(
        "--start",
        "--clock-start",
        dest="start",
        default="2022-11-30T18:00",
        help="simulated start, Asia/Shanghai (default: the evening before the 30-day reminders "
        "of the 2022年底 tasks)",
    )

    from bot import demo, ops  # registers their commands

    ops.add_parsers(sub, common)
    del demo
    return parser


# --- the entry point ------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `duban` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        return _fail(render_usage(err, _argv_lang(argv)))
    args.config = args.config or default_config()
    args.table_lang = None
    if args.command == "run":  # the bot logs its own failures; a crash there keeps its trace
        try:
            return COMMANDS["run"](args)
        except KeyboardInterrupt:
            return 130
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    """Run a command; every failure becomes one line on stderr."""
    from storage.readonly import ReadOnlyError

    try:
        if args.command in VALIDATORS:
            VALIDATORS[args.command](args)
        return COMMANDS[args.command](args)
    except CliError as err:
        return _fail(err.render(_error_lang(args)))
    except ReadOnlyError as err:
        return _fail(database_error(err).render(_error_lang(args)))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except sqlite3.Error as err:
        return _fail(t(_error_lang(args), "cli.db_error", path=db_path(args), detail=err))
    except OSError as err:
        return _fail(t(_error_lang(args), "cli.os_error", detail=err))
    except Exception as err:
        if os.environ.get("DUBAN_DEBUG"):
            raise
        detail = f"{type(err).__name__}: {err}"
        print(t(_error_lang(args), "cli.unexpected", detail=detail), file=sys.stderr)
        return 1


def _error_lang(args: argparse.Namespace) -> str:
    """--lang, else the table's language once it is loaded, else Chinese."""
    return str(args.lang or args.table_lang or "zh")


def _fail(line: str) -> int:
    """One line on stderr, exit status 2."""
    print(" ".join(line.split("\n")), file=sys.stderr)
    return 2


def _argv_lang(argv: Sequence[str]) -> str:
    """--lang as written on the command line (before argparse could read it), else zh."""
    for i, arg in enumerate(argv):
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value in ("zh", "en"):
            return value
    return "zh"


_ARGPARSE = (
    (r"argument (?P<arg>[^:]+): invalid (?P<kind>int|float) value: '(?P<value>.*)'", "value"),
    (
        r"argument (?P<arg>[^:]+): invalid choice: '(?P<value>.*)' \(choose from (?P<choices>.*)\)",
        "cli.arg_invalid_choice",
    ),
    (r"argument (?P<arg>[^:]+): expected one argument", "cli.arg_expected_one"),
    (r"the following arguments are required: (?P<names>.*)", "cli.arg_required"),
    (r"unrecognized arguments: (?P<names>.*)", "cli.arg_unrecognized"),
)


def render_usage(err: UsageError, lang: str) -> str:
    """argparse's complaint as one line in the user's language."""
    message = err.message
    for pattern, key in _ARGPARSE:
        m = re.fullmatch(pattern, err.message)
        if m is None:
            continue
        params = m.groupdict()
        if key == "value":
            key = "cli.arg_invalid_value"
            params["kind"] = t(lang, f"cli.arg_kind_{params['kind']}")
        if "choices" in params:
            params["choices"] = join(lang, (c.strip("'") for c in params["choices"].split(", ")))
        message = t(lang, key, **params)
        break
    return t(lang, "cli.usage", prog=err.prog, message=message)


# --- dates, ranges, files and the database ----------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


def parse_when(text: str, option: str, tz: dt.tzinfo = SHANGHAI) -> tuple[dt.datetime, bool]:
    """`YYYY-MM-DD` (the start of that day) or an ISO date and time; naive ones are in ``tz``.

    Returns the instant and whether a whole day was given. CliError for anything else.
    """
    value = text.strip()
    is_day = _DATE.fullmatch(value) is not None
    if not is_day and _DATETIME.fullmatch(value) is None:
        raise CliError("cli.bad_when", option=option, value=text)
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise CliError("cli.bad_when", option=option, value=text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when, is_day


def end_of_day(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The last instant of ``day`` in ``tz``."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return start - dt.timedelta(microseconds=1)


def require_positive(value: float, option: str) -> None:
    """CliError unless ``value`` > 0."""
    if not value > 0:
        raise CliError("cli.not_positive", option=option, value=value)


def input_file(text: str, *, key: str = "cli.file_missing") -> Path:
    """A file to read: CliError when it is missing or a directory."""
    path = Path(text)
    if path.is_dir():
        raise CliError("cli.is_directory", path=path)
    if not path.exists():
        raise CliError(key, path=path)
    return path


def output_file(text: str | None, default: str) -> Path:
    """A file to write: refuses a directory or a missing directory (creates none)."""
    path = Path(text or default)
    if (text or "").endswith(("/", os.sep)) or path.is_dir():
        raise CliError("cli.out_directory", path=path, example=Path(path, Path(default).name))
    parent = path.parent
    if not parent.exists():
        raise CliError("cli.out_no_parent", path=path, parent=parent)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600, whole or not at all (temp file + rename)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise CliError("cli.out_unwritable", path=path, detail=err.strerror or err) from err
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        Path(tmp).replace(path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise CliError("cli.out_unwritable", path=path, detail=err.strerror or err) from err


def database_error(err: Any, *, missing_key: str = "cli.db_missing") -> CliError:
    """A storage.readonly.ReadOnlyError as the user's line."""
    keys = {
        "missing": missing_key,
        "directory": "cli.db_directory",
        "not_database": "cli.db_not_database",
        "empty": "cli.db_not_database",
        "unreadable": "cli.db_unreadable",
    }
    return CliError(keys[err.reason], path=err.path, detail=err.detail)


def db_path(args: argparse.Namespace) -> Path:
    """--db, else $DUBAN_DB, else the default."""
    return Path(args.db or default_db())


@contextmanager
def read_store(args: argparse.Namespace, *, missing_key: str = "cli.db_missing") -> Iterator[Store]:
    """The database named by --db, read-only: never creates it (CliError when it is missing)."""
    from storage.readonly import ReadOnlyError, open_readonly
    from storage.repo import Store

    try:
        db = open_readonly(db_path(args))
    except ReadOnlyError as err:
        raise database_error(err, missing_key=missing_key) from None
    store = Store(db)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def write_store(args: argparse.Namespace) -> Iterator[Store]:
    """The database named by --db, to write: created when missing (or empty), never in
    another file or another program's SQLite database."""
    from storage.readonly import ReadOnlyError, open_readonly
    from storage.repo import Store

    path = db_path(args)
    try:
        open_readonly(path).conn.close()
    except ReadOnlyError as err:
        if err.reason not in ("missing", "empty"):
            raise database_error(err) from None
    store = Store.open(path)
    try:
        yield store
    finally:
        store.close()


# --- the table --------------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> LoadResult:
    """Load the table named by --config (CliError when there is no such file)."""
    result = load_catalogue(input_file(args.config, key="cli.config_missing"))
    if result.catalogue is not None:
        args.table_lang = result.catalogue.language
    return result


def _lang(args: argparse.Namespace, catalogue: Catalogue | None = None) -> str:
    """--lang, else the table's language, else Chinese."""
    return args.lang or (catalogue.language if catalogue else "zh")


def _print_problems(result: LoadResult, lang: str) -> None:
    """Every problem on stderr, errors first."""
    for problem in sorted(result.problems, key=lambda p: (not p.is_error, p.line or 0)):
        print(render_problem(problem, lang), file=sys.stderr)


def _require(args: argparse.Namespace) -> Catalogue | None:
    """The catalogue, or None after printing why it can't be used."""
    result = _load(args)
    if result.catalogue is None:
        lang = _lang(args)
        _print_problems(result, lang)
        print(
            t(
                lang,
                "check.failed",
                file=result.file,
                errors=len(result.errors),
                warnings=len(result.warnings),
            ),
            file=sys.stderr,
        )
    return result.catalogue


def with_calendar_warning(result: LoadResult, today: dt.date, lang: str) -> LoadResult:
    """The result with one calendar warning naming every year the table reaches (deadlines,
    milestones, indicator dues and the coming 12 months from ``today``) whose 调休 are not
    published and not listed under ``calendar:``; replaces the catalogue's own."""
    from dataclasses import replace

    from bot.core.workdays import unpublished_years

    own = [p for p in result.problems if p.code == "calendar_unknown_year"]
    problems = [p for p in result.problems if p.code != "calendar_unknown_year"]
    if result.catalogue is not None:
        years = unpublished_years(result.catalogue, today)
        if years:
            line, column = (own[0].line, own[0].column) if own else _key_line(result.text)
            problems.append(
                Problem(
                    Severity.WARNING,
                    "calendar_unknown_year",
                    "calendar",
                    line,
                    column,
                    result.file,
                    {"years": join(lang, (str(y) for y in years))},
                )
            )
    return replace(result, problems=tuple(problems))


def _key_line(text: str, key: str = "calendar") -> tuple[int | None, int | None]:
    """The line of a top-level key (the calendar warning's place), if the file has it."""
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(rf"{key}\s*:", line):
            return number, 1
    return None, None


@command("check")
def cmd_check(args: argparse.Namespace) -> int:
    """Validate the table; exit 1 when it has errors."""
    result = _load(args)
    lang = _lang(args, result.catalogue)
    tz = result.catalogue.tz if result.catalogue else SHANGHAI
    result = with_calendar_warning(result, dt.datetime.now(tz).date(), lang)
    if args.json and result.catalogue is not None:
        data = normalised(result.catalogue, result.warnings, lang)
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    _print_problems(result, lang)
    if result.catalogue is None:
        print(
            t(
                lang,
                "check.failed",
                file=result.file,
                errors=len(result.errors),
                warnings=len(result.warnings),
            )
        )
        return 1
    c = result.catalogue
    print(
        t(
            lang,
            "check.ok",
            file=result.file,
            tasks=len(c.tasks),
            subtasks=sum(len(x.subtasks) for x in c.tasks),
            bureaus=len(c.bureaus),
            indicators=len(c.indicators),
        )
        + (
            ("，" if lang == "zh" else ", ") + t(lang, "check.warnings", count=len(result.warnings))
            if result.warnings
            else ""
        )
    )
    return 0


def format_task(catalogue: Catalogue, task: Task, lang: str, indent: str = "  ") -> list[str]:
    """A task as terminal lines, like a row of the attachment."""
    sep = colon(lang)

    def names(ids: tuple[str, ...], open_: bool = False) -> str:
        listed = join(lang, (catalogue.bureau(b).name for b in ids))
        if open_:  # 等有关部门
            if not listed:
                return t(lang, "tasks.departments_concerned")
            return listed + ("" if lang == "zh" else " ") + t(lang, "tasks.others_concerned")
        return listed or t(lang, "word.none")

    d = task.deadline
    lead = catalogue.bureau(task.lead).name
    due = paren(lang, d.due.isoformat()) if d.due else ""
    lines = [
        f"{indent}{task.number:>2}  {task.title}",
        f"{indent}    {t(lang, 'word.lead')}{sep}{lead}    "
        f"{t(lang, 'word.cooperating')}{sep}{names(task.cooperating, task.cooperating_open)}",
        f"{indent}    {t(lang, 'word.deadline')}{sep}{d.text}{due}",
    ]
    for i, sub in enumerate(task.subtasks, 1):
        lines.append(f"{indent}    ({i}) {sub.text}")
        extra = []
        if sub.lead and (sub.lead != task.lead or sub.cooperating):
            extra.append(f"{t(lang, 'word.lead')}{sep}{catalogue.bureau(sub.lead).name}")
            if sub.cooperating:
                extra.append(f"{t(lang, 'word.cooperating')}{sep}{names(sub.cooperating)}")
        if sub.deadline and sub.deadline != task.deadline:
            extra.append(f"{t(lang, 'word.deadline')}{sep}{sub.deadline.text}")
        if extra:
            lines.append(f"{indent}        " + "    ".join(extra))
    return lines


@command("tasks")
def cmd_tasks(args: argparse.Namespace) -> int:
    """Print the table grouped by section, as the attachment lays it out."""
    catalogue = _require(args)
    if catalogue is None:
        return 1
    lang = _lang(args, catalogue)
    tasks = catalogue.tasks
    if args.bureau:
        tasks = catalogue.tasks_of(resolve_bureau(catalogue, args.bureau))
    doc = catalogue.document
    print(f"{doc.number}  {doc.title}{paren(lang, doc.date.isoformat())}")
    every = catalogue.every_task_bureaus()
    if every:  # 各街道、镇: bound to every task without being listed (the note on task 1)
        every_names = join(lang, (catalogue.bureau(b).name for b in every))
        print(t(lang, "tasks.every_task", names=every_names))
    for section in catalogue.sections:
        in_section = [x for x in tasks if x.section == section.id]
        if not in_section:
            continue
        print(f"\n{section.number}、{section.title}")
        for task in sorted(in_section, key=lambda x: x.number):
            print("\n".join(format_task(catalogue, task, lang)))
    return 0


def resolve_bureau(catalogue: Catalogue, name: str) -> str:
    """The id of a bureau given by name, alias or id; CliError with a did-you-mean."""
    bureau = catalogue.resolve_bureau(name)
    if bureau is None:
        names = [n for b in catalogue.bureaus for n in b.names]
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
        raise CliError("problem.unknown_bureau", value=name, suggestion=close[0] if close else None)
    return bureau.id


def render_unknown_bureau(catalogue: Catalogue, name: str, lang: str) -> str:
    """An unknown bureau with a did-you-mean."""
    try:
        resolve_bureau(catalogue, name)
    except CliError as err:
        return err.render(lang)
    return ""


# --- emulator and demo --------------------------------------------------------------------------


@command("emulator")
def cmd_emulator(args: argparse.Namespace) -> int:
    """Run the local Bot API server until interrupted."""
    from bot.emulator.server import run

    kwargs = {"token": args.token} if args.token else {}
    run(host=args.host, port=args.port, **kwargs)
    return 0


def validate_emulator(args: argparse.Namespace) -> None:
    """The port must be one a server can listen on."""
    if not 0 <= args.port <= 65535:
        raise CliError("cli.bad_port", value=args.port)


def validate_demo(args: argparse.Namespace) -> None:
    """Check the demo's arguments before it deletes and recreates its database."""
    from storage.readonly import ReadOnlyError, open_readonly

    when, _ = parse_when(args.start, "--start")
    args.start = when.isoformat()
    require_positive(args.speed, "--speed")
    require_positive(args.days, "--days")
    input_file(args.config, key="cli.config_missing")
    path = Path(args.db or "data/demo.db")
    try:
        open_readonly(path).conn.close()
    except ReadOnlyError as err:
        if err.reason == "directory":
            raise CliError("cli.db_directory", path=path) from None
        if err.reason not in ("missing", "empty"):
            raise CliError("cli.demo_not_database", path=path) from None


VALIDATORS: dict[str, Callable[[argparse.Namespace], None]] = {
    "emulator": validate_emulator,
    "demo": validate_demo,
}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
