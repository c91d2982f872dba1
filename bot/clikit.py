"""What every `duban` command shares: the command registry, one-line errors and exit codes,
dates and ranges, files and the database (the one place that opens and closes it for the
command line), the table and the language of the output."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from zoneinfo import ZoneInfo

from bot.core.catalogue import LoadResult, render_problem
from bot.core.i18n import join, t
from bot.core.model import Catalogue

if TYPE_CHECKING:
    from storage.repo import Store


DEFAULT_CONFIG = "config"


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
    """`$DUBAN_CONFIG`, else the directory config/ (every table in it, people.yaml shared)."""
    return os.environ.get("DUBAN_CONFIG", DEFAULT_CONFIG)


def default_db() -> str:
    """`$DUBAN_DB`, else the storage default under the data directory."""
    if os.environ.get("DUBAN_DB"):
        return os.environ["DUBAN_DB"]
    from storage.db import default_db_path

    return str(default_db_path())


def common_options() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--config",
        default=None,
        help=f"分工表文件或目录（目录中每个 .yaml 是一份文件）/ a table file or a directory of tables (default: $DUBAN_CONFIG or {DEFAULT_CONFIG})",
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


def error_lang(args: argparse.Namespace) -> str:
    """--lang, else the table's language once it is loaded, else Chinese."""
    return str(args.lang or args.table_lang or "zh")


def fail_line(line: str) -> int:
    """One line on stderr, exit status 2."""
    print(" ".join(line.split("\n")), file=sys.stderr)
    return 2


def argv_lang(argv: Sequence[str]) -> str:
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


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")


#: The years a date on the command line may name (a table's deadlines lie in 2000-2100).
YEARS = (1900, 2999)


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
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise CliError("cli.when_out_of_range", option=option, value=text, low=YEARS[0],
                       high=YEARS[1])  # fmt: skip
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


def input_config(text: str) -> Path:
    """The config to read: a table file or a directory of tables (CliError when missing)."""
    path = Path(text)
    if not path.exists():
        raise CliError("cli.config_missing", path=path)
    if path.is_dir() and not any(f.suffix == ".yaml" for f in _listing(path)):
        raise CliError("cli.config_no_tables", path=path)
    return path


def _listing(path: Path) -> list[Path]:
    try:
        return [f for f in path.iterdir() if f.name != "people.yaml"]
    except OSError:
        return []


def load_table(args: argparse.Namespace) -> LoadResult:
    """Load the table named by --config: a file, or a directory of tables merged into one
    (CliError when there is no such file). Problems of every file; `file` is the table's
    (a directory: its primary table's) and `catalogue` what the good files make."""
    from bot.core.documents import load_config

    path = input_config(args.config)
    result = load_config(path)
    if result.catalogue is not None:
        args.table_lang = result.catalogue.language
    file = str(path / result.primary_file) if path.is_dir() and result.primary_file else str(path)
    return LoadResult(result.catalogue, result.problems, file, result.text, result.sha256)


def cli_lang(args: argparse.Namespace, catalogue: Catalogue | None = None) -> str:
    """--lang, else the table's language, else Chinese."""
    return args.lang or (catalogue.language if catalogue else "zh")


def print_problems(result: LoadResult, lang: str) -> None:
    """Every problem on stderr, errors first."""
    for problem in sorted(result.problems, key=lambda p: (not p.is_error, p.line or 0)):
        print(render_problem(problem, lang), file=sys.stderr)


def require_table(args: argparse.Namespace) -> Catalogue | None:
    """The catalogue, or None after printing why it can't be used."""
    result = load_table(args)
    if result.catalogue is not None and result.errors:  # a file of several is broken
        lang = cli_lang(args, result.catalogue)
        print_problems(LoadResult(None, result.errors, result.file, "", ""), lang)
    if result.catalogue is None:
        lang = cli_lang(args)
        print_problems(result, lang)
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
