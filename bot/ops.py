"""The `duban` sub-commands that need the database or the bot: run, plan, contacts,
invite, health, history, diff, chart, export. Registered into `bot.cli` at import.

`plan`, `contacts`, `health`, `history`, `chart` and `export` only read: they open the
database read-only and never create it (`bot.cli.read_store`). `invite` writes an invite
code (`bot.cli.write_store`). Failures reach the user as one line through `bot.cli.main`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.clikit import (
    CliError,
    cli_lang,
    command,
    end_of_day,
    input_file,
    output_file,
    parse_when,
    print_problems,
    read_store,
    require_positive,
    require_table,
    resolve_bureau,
    write_private,
    write_store,
)
from bot.core.catalogue import load_catalogue
from bot.core.clock import Clock, SimulatedClock, SystemClock
from bot.core.diff import diff_catalogues
from bot.core.i18n import join, t
from bot.core.model import Catalogue, Document, Role
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Leave, with_extensions
from bot.logsafe import configure as configure_logging
from bot.service.base import World
from bot.service.leave import Away, away_at, by_member
from storage.repo import Store

log = logging.getLogger("duban")

USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")
#: The longest range `duban plan` shows (ten years: a programme runs two to four).
MAX_PLAN_DAYS = 3660


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The sub-commands of this module."""
    p = sub.add_parser("run", parents=[common], help="运行机器人 / run the bot")
    p.add_argument(
        "--token-file",
        default=os.environ.get("DUBAN_TOKEN_FILE"),
        help="a file holding the bot token (default: $DUBAN_TOKEN_FILE, else "
        "$TELEGRAM_BOT_TOKEN); never on the command line, where `ps` shows it",
    )
    p.add_argument(
        "--proxy",
        default=os.environ.get("DUBAN_PROXY"),
        help="proxy for the Bot API, e.g. http://127.0.0.1:7890 or socks5://127.0.0.1:1080 "
        "(default: $DUBAN_PROXY; HTTPS_PROXY/ALL_PROXY are honoured too)",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("DUBAN_BASE_URL"),
        help="Bot API server, e.g. http://127.0.0.1:8081 for `duban emulator` "
        "(default: $DUBAN_BASE_URL, else Telegram)",
    )
    p.add_argument(
        "--webhook-url",
        default=os.environ.get("DUBAN_WEBHOOK_URL"),
        help="webhook mode: the HTTPS address Telegram posts updates to, e.g. "
        "https://example.org/duban (default: $DUBAN_WEBHOOK_URL; without it: long polling)",
    )
    p.add_argument(
        "--listen",
        default=os.environ.get("DUBAN_LISTEN", "127.0.0.1:8443"),
        help="webhook mode: HOST:PORT the bot listens on behind the reverse proxy "
        "(default: $DUBAN_LISTEN or 127.0.0.1:8443)",
    )
    p.add_argument(
        "--webhook-secret-file",
        default=os.environ.get("DUBAN_WEBHOOK_SECRET_FILE"),
        help="webhook mode: a file holding the secret Telegram sends in each request's header "
        "(default: generated once and kept in the data directory)",
    )
    p.add_argument("--clock-start", default=None, help="simulated clock start (ISO 8601)")
    p.add_argument("--clock-speed", type=float, default=1.0, help="simulated clock speed factor")
    p.add_argument("--tick", type=float, default=None, help="seconds between plan runs")
    p.add_argument("--no-watch", action="store_true", help="do not watch tasks.yaml for edits")
    p.add_argument("--log-level", default=os.environ.get("DUBAN_LOG_LEVEL", "INFO"))
    _add_web_options(p)
    _add_tool_parsers(sub, common)


def _add_web_options(p: argparse.ArgumentParser) -> None:
    """The dashboard: off unless a port is given."""
    port = os.environ.get("DUBAN_WEB_PORT")
    p.add_argument(
        "--web-port",
        type=int,
        default=int(port) if port and port.isdigit() else None,
        help="serve the dashboard (/app) on this port (default: $DUBAN_WEB_PORT, else off)",
    )
    p.add_argument(
        "--web-host",
        default=os.environ.get("DUBAN_WEB_HOST", "127.0.0.1"),
        help="the address the dashboard listens on (default 127.0.0.1; 0.0.0.0 in a container)",
    )
    p.add_argument(
        "--web-base-url",
        default=os.environ.get("DUBAN_WEB_BASE_URL"),
        help="the dashboard's public address behind a reverse proxy, e.g. "
        "https://duban.example.org (HTTPS lets Telegram open it as a Mini App)",
    )


def _add_tool_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """plan, contacts, invite, health, history, diff, chart, export."""
    p = sub.add_parser("plan", parents=[common], help="计划发送的消息 / upcoming messages")
    p.add_argument(
        "--from", dest="start", default=None, help="from this date or instant (default: now)"
    )
    p.add_argument(
        "--to", dest="end", default=None, help="through this date (default: --days from --from)"
    )
    p.add_argument(
        "--days",
        type=int,
        default=30,
        help="this many days, the first one included (default 30; ignored with --to)",
    )
    p.add_argument("--bureau", default=None, help="only messages to this bureau's contacts")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--no-db", action="store_true", help="preview without a database: as if nothing was sent"
    )

    p = sub.add_parser("contacts", parents=[common], help="联系人绑定情况 / who is bound")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("invite", parents=[common], help="生成邀请链接 / one-use invite link")
    p.add_argument("member", help="contact or person id from tasks.yaml")
    p.add_argument(
        "--bot-username",
        default=None,
        help="the bot's username, with or without @ (default: the one the running bot saved)",
    )

    p = sub.add_parser("health", parents=[common], help="健康检查 / health check")
    p.add_argument("--max-age", type=int, default=300, help="seconds since the last heartbeat")

    sub.add_parser("history", parents=[common], help="分工表版本记录 / applied versions")

    p = sub.add_parser("diff", parents=[common], help="比较两份分工表 / change report")
    p.add_argument("old")
    p.add_argument("new")

    p = sub.add_parser("chart", parents=[common], help="状态图表 / the status chart (PNG)")
    p.add_argument("--out", default=None)
    p.add_argument(
        "--at", default=None, help="the chart as of this instant (a date: the end of that day)"
    )

    p = sub.add_parser("export", parents=[common], help="导出 Excel / export the table")
    p.add_argument("--out", default=None)
    p.add_argument("--as-of", default=None, help="the table as it stood on this date")
    p.add_argument("--from", dest="start", default=None, help="回复率排行: the period's first day")
    p.add_argument("--to", dest="end", default=None, help="回复率排行: the period's last day")
    p.add_argument(
        "--document",
        default=None,
        help="只导出一份文件（编号、简称或文号）/ only this document (id, short name or 文号)",
    )


def _store(args: argparse.Namespace) -> Store:
    from bot.clikit import default_db

    return Store.open(args.db or default_db())


def parse_instant(text: str, catalogue: Catalogue | None = None) -> dt.datetime:
    """ISO date or datetime; naive ones are in the table's time zone (Asia/Shanghai)."""
    from zoneinfo import ZoneInfo

    tz = catalogue.tz if catalogue else ZoneInfo("Asia/Shanghai")
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


@command("run")
def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until SIGINT/SIGTERM."""
    from bot.app import Duban
    from bot.runtime import Runtime

    web = _web_options(args)
    token = _token(args)
    if not token:
        print(t(cli_lang(args), "cli.no_token"), file=sys.stderr)
        return 2
    configure_logging(args.log_level, [token])
    from bot.clikit import default_db

    db_path = Path(args.db or default_db())
    webhook = _webhook(args, db_path) if args.webhook_url else None
    started = _startup(args, db_path)
    if started is None:
        return 1
    clock, catalogue, version, startup_errors = started
    runtime = Runtime(Path(args.config), db_path, clock, catalogue, version)
    speed = args.clock_speed if args.clock_start else 1.0
    tick = args.tick or max(0.1, min(30.0, 600.0 / speed))
    bot = Duban(
        runtime,
        token,
        base_url=args.base_url,
        tick_seconds=tick,
        watch=not args.no_watch,
        startup_errors=startup_errors,
        proxy=args.proxy,
        web=web,
    )
    try:
        bot.run(webhook)
    finally:
        runtime.close()
    return 0


SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _webhook(args: argparse.Namespace, db_path: Path) -> Any:
    """Webhook mode's address, listening place and secret (made once, kept 0600)."""
    import secrets

    from bot.app import Webhook

    host, _, port = str(args.listen).rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise CliError("cli.bad_listen", value=args.listen)
    path = (
        Path(args.webhook_secret_file)
        if args.webhook_secret_file
        else db_path.with_name("webhook-secret")
    )
    if not path.exists() and not args.webhook_secret_file:
        write_private(path, secrets.token_urlsafe(48).encode())
    try:
        secret = path.read_text("utf-8").strip()
    except OSError as err:
        raise CliError("cli.token_file_unreadable", path=path, detail=err) from None
    if not SECRET.fullmatch(secret):
        raise CliError("cli.bad_webhook_secret", path=path)
    return Webhook(args.webhook_url, host, int(port), secret)


def _web_options(args: argparse.Namespace) -> Any:
    """The dashboard's options, or None when it is off."""
    from bot.web.server import WebOptions

    if args.web_port is None:
        if args.web_base_url:
            raise CliError("cli.web_base_without_port")
        return None
    if not 0 <= args.web_port <= 65535:
        raise CliError("cli.web_port_invalid", port=args.web_port)
    base = args.web_base_url
    if base and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", base):
        raise CliError("cli.web_base_invalid", url=base)
    return WebOptions(args.web_port, args.web_host, base)


def _token(args: argparse.Namespace) -> str | None:
    """The bot token: --token-file, else $TELEGRAM_BOT_TOKEN, else the emulator's own token
    when --base-url points at one."""
    if args.token_file:
        try:
            text = Path(args.token_file).read_text("utf-8").strip()
        except (OSError, UnicodeDecodeError) as err:
            raise CliError("cli.token_file_unreadable", path=args.token_file, detail=err) from None
        if not text:
            raise CliError("cli.token_file_empty", path=args.token_file)
        return text
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token and args.base_url:
        token = "123456:DUBAN-LOCAL-EMULATOR"
    return token or None


def _startup(
    args: argparse.Namespace, db_path: Path
) -> tuple[Clock, Catalogue, int, list[str]] | None:
    """The table to start on: the file if it is good, else the last good version stored in the
    database (the admins are told why); None when there is neither."""
    from bot.reload import apply, failure_text, last_good, stored_config, validate

    store = Store.open(db_path)
    try:
        stored = stored_config(store)
        version, good = last_good(store, Path(args.config), stored)
        clock: Clock
        if args.clock_start:
            clock = SimulatedClock(parse_instant(args.clock_start, good), args.clock_speed)
        else:
            clock = SystemClock()
        result = validate(Path(args.config), *stored)
        outcome = apply(
            store, result, good, version, store.record(), clock.now(), actor="start", confirmed=True
        )
        store.set_meta("config", str(Path(args.config).resolve()))
    finally:
        store.close()
    if (outcome.applied or outcome.unchanged) and outcome.catalogue is not None and outcome.partial:
        # another file was applied (or nothing changed): the broken one keeps its last good
        lang = cli_lang(args, outcome.catalogue)
        text = failure_text(outcome, args.config, lang)
        print(text, file=sys.stderr)
        return clock, outcome.catalogue, outcome.version, [text]
    if outcome.applied and outcome.catalogue is not None:
        return clock, outcome.catalogue, outcome.version, []
    if good is not None:
        errors: list[str] = []
        if not outcome.unchanged or outcome.errors:  # the table is broken: say so
            lang = cli_lang(args, good)
            errors = [
                t(lang, "cli.startup_last_good", file=args.config, version=version),
                *outcome.errors[:15],
            ]
            for line in errors:
                print(line, file=sys.stderr)
        return clock, good, version, errors
    for e in outcome.errors:
        print(e, file=sys.stderr)
    print(t(cli_lang(args), "cli.startup_failed"), file=sys.stderr)
    return None


def plan_range(args: argparse.Namespace, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants `duban plan` covers; both --to DATE and --days N end with a whole day.

    --from DATE starts at the beginning of that day; --to DATE ends at the end of that day;
    --days N covers N days counting the first, so `--from D --days 1` is `--from D --to D`.
    """
    if args.start:
        start, _ = parse_when(args.start, "--from", tz)
    else:
        start = dt.datetime.now(dt.UTC)
    if args.end:
        end, whole_day = parse_when(args.end, "--to", tz)
        if whole_day:
            end = end_of_day(end.date(), tz)
    else:
        require_positive(args.days, "--days")
        if args.days > MAX_PLAN_DAYS:
            raise CliError("cli.too_many_days", limit=MAX_PLAN_DAYS, value=args.days)
        last = start.astimezone(tz).date() + dt.timedelta(days=args.days - 1)
        end = end_of_day(last, tz)
    fmt = "%Y-%m-%d %H:%M"
    if start > end:
        raise CliError(
            "cli.reversed_range",
            start=start.astimezone(tz).strftime(fmt),
            end=end.astimezone(tz).strftime(fmt),
        )
    if end - start > dt.timedelta(days=MAX_PLAN_DAYS):
        raise CliError(
            "cli.range_too_long",
            limit=MAX_PLAN_DAYS,
            start=start.astimezone(tz).strftime(fmt),
            end=end.astimezone(tz).strftime(fmt),
        )
    return start, end


@command("plan")
def cmd_plan(args: argparse.Namespace) -> int:
    """Print the messages the planner would send between two dates (the admin's preview).

    What was already sent (in the database) is left out; within the range each series
    is shown with every slot, as if every message before it went out.
    """
    from bot.core.history import Record
    from bot.core.planner import upcoming

    catalogue = require_table(args)
    if catalogue is None:
        return 1
    start, end = plan_range(args, catalogue.tz)
    bureau_id = resolve_bureau(catalogue, args.bureau) if args.bureau else None
    leaves: dict[str, tuple[Leave, ...]] = {}
    deputies: dict[str, str | None] = {}
    if args.no_db:
        record = Record()
    else:
        with read_store(args, missing_key="cli.db_missing_preview") as store:
            record = store.record()
            catalogue = with_extensions(catalogue, store.extensions())  # approved 延期
            leaves = by_member(store.leaves())
            deputies = store.deputies()
    items = upcoming(catalogue, start - dt.timedelta(microseconds=1), record, end)
    if bureau_id:
        items = [d for d in items if d.bureau_id == bureau_id]
    world = World(catalogue, start, WorkCalendar(catalogue.calendar), {}, leaves, deputies)
    away = {d.key: a for d in items if (a := away_at(world, d)) is not None}
    if args.json:
        _dump(
            [
                {
                    "key": d.key,
                    "kind": d.kind.value,
                    "recipient": d.recipient,
                    "bureau": catalogue.bureau_name(d.bureau_id) or None,
                    "slot": d.slot.isoformat(),
                    "task": d.task_id,
                    "subtask": d.subtask_id,
                    "indicator": d.indicator_id,
                    "leave": _away_json(away.get(d.key)),
                }
                for d in items
            ]
        )
        return 0
    _print_plan(catalogue, items, start, end, cli_lang(args, catalogue), away)
    return 0


def _away_json(a: Away | None) -> dict[str, Any] | None:
    """A planned message's recipient on leave: until when, and who receives it instead."""
    if a is None:
        return None
    return {"until": a.leave.end.isoformat(), "deputy": a.deputy.id if a.deputy else None}


def _print_plan(
    catalogue: Catalogue,
    items: list[Any],
    start: dt.datetime,
    end: dt.datetime,
    lang: str,
    away: Mapping[str, Away] | None = None,
) -> None:
    from bot.core.render import fmt_time

    header = t(
        lang,
        "cli.plan_header",
        start=fmt_time(start, catalogue),
        end=fmt_time(end, catalogue),
        count=len(items),
    )
    print(header)
    for d in items:
        subject = ""
        if d.indicator_id:
            subject = catalogue.indicator(d.indicator_id).name
        elif d.task_id:
            subject = t(lang, "cli.plan_task", number=catalogue.task(d.task_id).label)
        who = catalogue.member_name(d.recipient)
        a = (away or {}).get(d.key)
        if a is not None:  # as the engine will apply the leave at the slot
            key = "cli.plan_deputy" if a.deputy else "cli.plan_held"
            who += t(lang, key, end=a.leave.end.isoformat(),
                     deputy=a.deputy.name if a.deputy else "")  # fmt: skip
        print(f"  {fmt_time(d.slot, catalogue)}  {d.kind.value:<10} {subject:<8} {who}")


def _dump(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    print()


def _roles(lang: str, roles: frozenset[Role] | set[Role] | tuple[Role, ...]) -> str:
    """管理员、督办员 / admin, coordinator."""
    return join(lang, (t(lang, f"role.{r.value}") for r in sorted(roles, key=lambda r: r.value)))


def _members(catalogue: Catalogue, store: Store) -> list[dict[str, Any]]:
    bound = {b.member_id: b for b in store.bindings()}
    unreachable = store.unreachable()
    out = []
    for c in catalogue.contacts():
        b = bound.get(c.id)
        out.append(
            {
                "id": c.id,
                "name": c.name,
                "role": "contact",
                "bureau": catalogue.bureau(c.bureau_id).name,
                "telegram_id": b.telegram_user_id if b else c.telegram_id,
                "bound": b is not None,
                "placeholder": c.placeholder,
                "unreachable": c.id in unreachable,
            }
        )
    for p in catalogue.people:
        b = bound.get(p.id)
        out.append(
            {
                "id": p.id,
                "name": p.name,
                "role": ",".join(sorted(r.value for r in p.roles)),
                "bureau": None,
                "telegram_id": b.telegram_user_id if b else p.telegram_id,
                "bound": b is not None,
                "placeholder": p.placeholder,
                "unreachable": p.id in unreachable,
            }
        )
    return out


def _who(lang: str, catalogue: Catalogue, row: dict[str, Any]) -> str:
    """生态环境局 联络员 / 管理员、督办员: the bureau and role in the user's language."""
    if row["bureau"]:
        return f"{row['bureau']} {t(lang, 'role.contact')}"
    return _roles(lang, catalogue.person(row["id"]).roles)


@command("contacts")
def cmd_contacts(args: argparse.Namespace) -> int:
    """List every person of the table: id, role, bureau, bound or not."""
    catalogue = require_table(args)
    if catalogue is None:
        return 1
    with read_store(args) as store:
        rows = _members(catalogue, store)
    if args.json:
        _dump(rows)
        return 0
    lang = cli_lang(args, catalogue)
    bound = sum(r["bound"] for r in rows)
    print(
        t(lang, "contacts.header", bound=bound, total=len(rows))
        .replace("<b>", "")
        .replace("</b>", "")
    )
    for r in rows:
        mark = "✅" if r["bound"] else "⬜"
        flags = " ".join(t(lang, f"cli.flag_{f}") for f in ("placeholder", "unreachable") if r[f])
        tg = r["telegram_id"] or "-"
        where = _who(lang, catalogue, r)
        print(f"{mark} {r['id']:<16} {r['name']:<12} {where:<16} tg={tg} {flags}".rstrip())
    return 0


def bot_username(given: str | None, stored: str | None) -> str | None:
    """--bot-username (with or without @), else the username the running bot saved."""
    if given is not None:
        name = given.strip().removeprefix("@")
        if not USERNAME.fullmatch(name):
            raise CliError("cli.bad_username", value=given)
        return name
    return stored or None


@command("invite")
def cmd_invite(args: argparse.Namespace) -> int:
    """A one-use code (and deep link, when the bot's username is known) for a member."""
    import difflib

    catalogue = require_table(args)
    if catalogue is None:
        return 1
    lang = cli_lang(args, catalogue)
    given = bot_username(args.bot_username, None) if args.bot_username is not None else None
    with write_store(args) as store:
        rows = _members(catalogue, store)
        member = next((r for r in rows if r["id"] == args.member), None)
        if member is None:
            close = difflib.get_close_matches(args.member, [r["id"] for r in rows], n=1)
            raise CliError(
                "cli.unknown_member", value=args.member, suggestion=close[0] if close else None
            )
        username = given or bot_username(None, store.get_meta("bot_username"))
        if member["bound"]:
            tg = member["telegram_id"]
            print(t(lang, "cli.invite_bound", name=member["name"], telegram_id=tg), file=sys.stderr)
        code = store.create_invite(member["id"], dt.datetime.now(dt.UTC))
    who = _who(lang, catalogue, member)
    if username:
        link = f"https://t.me/{username}?start={code}"
        print(t(lang, "cli.invite_link", name=member["name"], who=who, link=link, code=code))
    else:
        print(t(lang, "cli.invite_code", name=member["name"], who=who, code=code))
    return 0


@command("health")
def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the database opens and the bot ticked recently; 1 when not (a missing
    database included: the bot never ran there); 2 for arguments that cannot be used."""
    from bot.clikit import db_path

    lang = cli_lang(args)
    if args.max_age < 0:
        raise CliError("cli.negative", option="--max-age", value=args.max_age)
    path = db_path(args)
    if not path.exists() and not path.is_symlink():
        print(t(lang, "cli.health_missing", path=path), file=sys.stderr)
        return 1
    with read_store(args) as store:
        beat = store.get_meta("heartbeat")
    if beat is None:
        print(t(lang, "cli.health_none"), file=sys.stderr)
        return 1
    age = int((dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(beat)).total_seconds())
    if age > args.max_age:
        print(t(lang, "cli.health_stale", age=age, limit=args.max_age), file=sys.stderr)
        return 1
    print(t(lang, "cli.health_ok", age=age))
    return 0


@command("history")
def cmd_history(args: argparse.Namespace) -> int:
    """The catalogue versions applied, with time and a summary of changes."""
    from zoneinfo import ZoneInfo

    lang = cli_lang(args)
    with read_store(args) as store:
        versions = store.versions()
    if not versions:
        print(t(lang, "cli.no_versions"))
        return 0
    tz = ZoneInfo("Asia/Shanghai")
    for v in versions:
        changes = v.summary.get("changes", {})
        parts = [f"{k}×{n}" for k, n in changes.items()]
        sched = ""
        added, cancelled = v.summary.get("reminders_added"), v.summary.get("reminders_cancelled")
        if added or cancelled:
            sched = "  " + t(
                lang, "cli.history_reminders", added=added or 0, cancelled=cancelled or 0
            )
        first = t(lang, "cli.history_initial") if v.id == 1 else "—"
        print(
            f"v{v.id:<4} {v.applied_at.astimezone(tz):%Y-%m-%d %H:%M}  {v.sha256[:10]}  "
            f"{join(lang, parts) or first}{sched}"
        )
    return 0


@command("diff")
def cmd_diff(args: argparse.Namespace) -> int:
    """The change report between two table files, without a running bot."""
    old = load_catalogue(input_file(args.old))
    new = load_catalogue(input_file(args.new))
    lang = args.lang or (new.catalogue.language if new.catalogue else "zh")
    bad = False
    for result in (old, new):
        if result.catalogue is None:
            print_problems(result, lang)
            bad = True
    if bad or old.catalogue is None or new.catalogue is None:
        return 1
    report = diff_catalogues(old.catalogue, new.catalogue, now=dt.datetime.now(dt.UTC))
    print(report.render(lang, escape=False))
    return 0


def _as_of(text: str | None, option: str, catalogue: Catalogue) -> dt.datetime | None:
    """--at / --as-of: a date means the end of that day."""
    if not text:
        return None
    when, whole_day = parse_when(text, option, catalogue.tz)
    return end_of_day(when.date(), catalogue.tz) if whole_day else when


def _period(
    args: argparse.Namespace, catalogue: Catalogue, end: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """export --from/--to: the period of the answer ranking (both days whole)."""
    if not args.start and not args.end:
        return None
    start = (
        parse_when(args.start, "--from", catalogue.tz)[0]
        if args.start
        else dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
    )
    last = _as_of(args.end, "--to", catalogue) or end
    if last < start:
        raise CliError("cli.reversed_range", start=args.start, end=args.end)
    return start, last


@command("chart")
def cmd_chart(args: argparse.Namespace) -> int:
    """Write the status chart as a PNG file (mode 0600)."""
    from bot.reports.chart import render_chart

    catalogue = require_table(args)
    if catalogue is None:
        return 1
    lang = cli_lang(args, catalogue)
    now = _as_of(args.at, "--at", catalogue) or dt.datetime.now(dt.UTC)
    out = output_file(args.out, f"duban-chart-{now.astimezone(catalogue.tz):%Y%m%d}.png")
    with read_store(args) as store:
        history = store.history().as_of(now)
        catalogue = with_extensions(catalogue, store.extensions(as_of=now))
    write_private(out, render_chart(catalogue, history, now, lang=lang))
    print(t(lang, "cli.exported", path=out))
    return 0


def _document(args: argparse.Namespace, catalogue: Catalogue) -> Document | None:
    """export --document: the document named (id, short name, 文号 or title), else CliError."""
    from bot.reports.scope import document_choices, pick_document

    if args.document is None:
        return None
    doc = pick_document(catalogue, args.document)
    if doc is None:
        choices = document_choices(catalogue, cli_lang(args, catalogue))
        raise CliError("cli.unknown_document", value=args.document, choices=choices)
    return doc


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    """Write the division table with progress as an .xlsx file (mode 0600)."""
    from bot.reports.excel import build_workbook

    catalogue = require_table(args)
    if catalogue is None:
        return 1
    lang = cli_lang(args, catalogue)
    now = dt.datetime.now(dt.UTC)
    as_of = _as_of(args.as_of, "--as-of", catalogue)
    document = _document(args, catalogue)
    day = (as_of or now).astimezone(catalogue.tz)
    name = f"duban-{document.id}-{day:%Y%m%d}.xlsx" if document else f"duban-{day:%Y%m%d}.xlsx"
    out = output_file(args.out, name)
    with read_store(args) as store:
        catalogue = with_extensions(catalogue, store.extensions(as_of=as_of or now))
        data = build_workbook(
            catalogue,
            store.history(),
            as_of or now,
            archived=store.entities("task", archived=True),
            lang=lang,
            as_of=as_of,
            extensions=store.extensions(as_of=as_of),
            evidence=store.evidence(as_of=as_of),
            period=_period(args, catalogue, as_of or now),
            document=document.id if document else None,
        )
    write_private(out, data)
    print(t(lang, "cli.exported", path=out))
    return 0


__all__ = ["Role", "add_parsers"]
