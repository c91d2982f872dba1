"""The `duban` command line: the only place that turns core results into terminal text.

Exit codes: 0 done; 1 the command ran and found a problem (the table has errors, the bot
is unhealthy); 2 the command could not do what was asked (a bad argument, date or range, an
unknown id, a file or database that is missing, a directory, not a database, a path that
cannot be written). A 2 is always one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import demo, ops  # each module registers its commands
from bot.clikit import (
    COMMANDS,
    SHANGHAI,
    CliError,
    Parser,
    UsageError,
    argv_lang,
    cli_lang,
    command,
    common_options,
    database_error,
    db_path,
    default_config,
    error_lang,
    fail_line,
    input_config,
    load_table,
    parse_when,
    print_problems,
    render_usage,
    require_positive,
    require_table,
    resolve_bureau,
)
from bot.core.catalogue import (
    LoadResult,
    Problem,
    Severity,
    normalised,
)
from bot.core.i18n import colon, join, paren, t
from bot.core.model import Catalogue, Task


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    common = common_options()
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
    p.add_argument(
        "--allow-http-webhooks",
        action="store_true",
        help="accept http:// webhook URLs on this machine (Telegram requires https)",
    )

    p = sub.add_parser("demo", parents=[common], help="演示 / the whole loop on the emulator")
    p.add_argument("--interactive", action="store_true", help="type as a contact or coordinator")
    p.add_argument(
        "--speed", "--clock-speed", dest="speed", type=float, default=7200.0,
        help="simulated clock speed (simulated seconds per real second)",
    )  # fmt: skip
    p.add_argument("--days", type=float, default=5.8, help="simulated days to run")
    p.add_argument(
        "--web-port", type=int, default=0, help="the dashboard's port (default: a free one)"
    )
    p.add_argument(
        "--keep-open",
        action="store_true",
        help="keep the bot and its dashboard running after the script until Enter (the default "
        "at a terminal)",
    )
    p.add_argument(
        "--start",
        "--clock-start",
        dest="start",
        default="2022-11-30T18:00",
        help="simulated start, Asia/Shanghai (default: the evening before the 30-day reminders "
        "of the 2022年底 tasks)",
    )

    ops.add_parsers(sub, common)
    assert demo.cmd_demo is COMMANDS["demo"]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `duban` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        return fail_line(render_usage(err, argv_lang(argv)))
    args.config = args.config or default_config()
    args.table_lang = None
    if args.command == "run":  # the bot logs its own failures; a crash there keeps its trace
        try:
            return COMMANDS["run"](args)
        except CliError as err:
            return fail_line(err.render(error_lang(args)))
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
        return fail_line(err.render(error_lang(args)))
    except ReadOnlyError as err:
        return fail_line(database_error(err).render(error_lang(args)))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except sqlite3.Error as err:
        return fail_line(t(error_lang(args), "cli.db_error", path=db_path(args), detail=err))
    except OSError as err:
        return fail_line(t(error_lang(args), "cli.os_error", detail=err))
    except Exception as err:
        if os.environ.get("DUBAN_DEBUG"):
            raise
        detail = f"{type(err).__name__}: {err}"
        print(t(error_lang(args), "cli.unexpected", detail=detail), file=sys.stderr)
        return 1


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
    result = load_table(args)
    lang = cli_lang(args, result.catalogue)
    tz = result.catalogue.tz if result.catalogue else SHANGHAI
    result = with_calendar_warning(result, dt.datetime.now(tz).date(), lang)
    if args.json and result.catalogue is not None:
        data = normalised(result.catalogue, result.warnings, lang)
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print_problems(result, lang)
    if result.catalogue is None or result.errors:  # or one file of several is broken
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
    if c.several:
        names = join(lang, (f"{d.label}（{d.file}）" for d in c.docs))
        print(t(lang, "check.documents", count=len(c.docs), names=names))
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
    print_extensions(args, c, lang)
    return 0


def print_extensions(args: argparse.Namespace, catalogue: Catalogue, lang: str) -> None:
    """The approved extensions in the database (when there is one): the deadlines in force
    that the YAML does not show."""
    from bot.clikit import db_path
    from storage.readonly import open_readonly
    from storage.repo import Store

    path = db_path(args)
    if not path.is_file():
        return
    try:
        store = Store(open_readonly(path))
    except Exception:  # not a duban database: check is about the table
        return
    try:
        active = [e for e in store.extensions() if e.active]
    finally:
        store.close()
    if not active:
        return
    print(t(lang, "check.extensions", count=len(active)))
    for e in active:
        task = catalogue.task(e.task_id) if e.task_id in catalogue.task_ids else None
        sub = task.subtask(e.subtask_id) if task and e.subtask_id else None
        print(
            t(
                lang, "check.extension_row", number=task.label if task else e.task_id,
                sub=paren(lang, sub.text[:20]) if sub else "", old=e.old_text, new=e.new_text,
                who=catalogue.member_name(e.decided_by or ""),
                date=(e.decided_at or e.requested_at).astimezone(catalogue.tz).date().isoformat(),
            )
        )  # fmt: skip


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
        f"{indent}{task.label:>2}  {task.title}",
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
    catalogue = require_table(args)
    if catalogue is None:
        return 1
    lang = cli_lang(args, catalogue)
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
        for task in sorted(in_section, key=lambda x: x.order):
            print("\n".join(format_task(catalogue, task, lang)))
    return 0


@command("emulator")
def cmd_emulator(args: argparse.Namespace) -> int:
    """Run the local Bot API server until interrupted."""
    from bot.emulator.server import run

    run(
        host=args.host,
        port=args.port,
        token=args.token,
        allow_http_webhooks=args.allow_http_webhooks,
    )
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
    input_config(args.config)
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
