"""The `duban` command line: the only place that turns core results into terminal text."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence

from bot.core.catalogue import LoadResult, load_catalogue, normalised, render_problem
from bot.core.i18n import colon, join, paren, t
from bot.core.model import Catalogue, Task

DEFAULT_CONFIG = "config/tasks.yaml"

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Command] = {}


def command(name: str) -> Callable[[Command], Command]:
    """Register a sub-command handler."""

    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


def default_config() -> str:
    """`$DUBAN_CONFIG`, else config/tasks.yaml."""
    return os.environ.get("DUBAN_CONFIG", DEFAULT_CONFIG)


def default_db() -> str:
    """`$DUBAN_DB`, else the storage default under the data directory."""
    if os.environ.get("DUBAN_DB"):
        return os.environ["DUBAN_DB"]
    from storage.db import default_db_path

    return str(default_db_path())


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every sub-command."""
    common = argparse.ArgumentParser(add_help=False)
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

    parser = argparse.ArgumentParser(
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `duban` console script."""
    args = build_parser().parse_args(argv)
    args.config = args.config or default_config()
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _load(args: argparse.Namespace) -> LoadResult:
    """Load the table named by --config."""
    return load_catalogue(args.config)


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


@command("check")
def cmd_check(args: argparse.Namespace) -> int:
    """Validate the table; exit 1 when it has errors."""
    result = _load(args)
    lang = _lang(args, result.catalogue)
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
        bureau = catalogue.resolve_bureau(args.bureau)
        if bureau is None:
            print(render_unknown_bureau(catalogue, args.bureau, lang), file=sys.stderr)
            return 1
        tasks = catalogue.tasks_of(bureau.id)
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


def render_unknown_bureau(catalogue: Catalogue, name: str, lang: str) -> str:
    """An unknown bureau with a did-you-mean."""
    import difflib

    names = [n for b in catalogue.bureaus for n in b.names]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.4)
    hint = t(lang, "problem.did_you_mean", suggestion=close[0]) if close else ""
    return t(lang, "problem.unknown_bureau", value=name, hint=hint)


@command("emulator")
def cmd_emulator(args: argparse.Namespace) -> int:
    """Run the local Bot API server until interrupted."""
    from bot.emulator.server import run

    kwargs = {"token": args.token} if args.token else {}
    run(host=args.host, port=args.port, **kwargs)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
