"""The `duban` sub-commands that need the database or the bot: run, plan, contacts,
invite, health, history, diff, export. Registered into `bot.cli` at import."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from bot.cli import _lang, _print_problems, _require, command, default_db
from bot.core.catalogue import load_catalogue
from bot.core.clock import Clock, SimulatedClock, SystemClock
from bot.core.diff import diff_catalogues
from bot.core.i18n import register, t
from bot.core.model import Catalogue, Role
from storage.repo import Store

log = logging.getLogger("duban")

register(
    "zh",
    {
        "cli.no_token": "缺少 Telegram 机器人令牌：请设置环境变量 TELEGRAM_BOT_TOKEN，或用 --base-url "
        "连接本地模拟服务器（duban emulator）。",
        "cli.invite": "邀请 {name}（{where}）：\n  链接：{link}\n  或在机器人对话中发送：/start {code}\n"
        "该链接只能使用一次。",
        "cli.unknown_member": "分工表中没有联系人或人员「{value}」。",
        "cli.no_versions": "数据库中还没有应用过的分工表版本。",
        "cli.health_ok": "正常：数据库可用，最近心跳 {age} 秒前",
        "cli.health_stale": "异常：最近心跳 {age} 秒前（超过 {limit} 秒）",
        "cli.health_none": "异常：机器人尚未运行（没有心跳记录）",
        "cli.exported": "已导出到 {path}",
        "cli.startup_failed": "分工表有错误，且数据库中没有上一份有效的分工表，无法启动。",
        "cli.startup_last_good": "⚠️ {file} 有错误，机器人使用数据库中第 {version} 版（上一份有效的分工表）启动。",
        "cli.plan_header": "{start} 至 {end} 计划发送 {count} 条消息：",
    },
)
register(
    "en",
    {
        "cli.no_token": "No bot token: set TELEGRAM_BOT_TOKEN, or use --base-url to reach a local "
        "Bot API emulator (duban emulator).",
        "cli.invite": "Invite {name} ({where}):\n  link: {link}\n  or send the bot: /start {code}\n"
        "The link works once.",
        "cli.unknown_member": "No contact or person '{value}' in the table.",
        "cli.no_versions": "No table version has been applied to this database yet.",
        "cli.health_ok": "OK: database usable, last heartbeat {age}s ago",
        "cli.health_stale": "FAIL: last heartbeat {age}s ago (more than {limit}s)",
        "cli.health_none": "FAIL: the bot has not run yet (no heartbeat)",
        "cli.exported": "Exported to {path}",
        "cli.startup_failed": "The table has errors and the database holds no earlier good table: "
        "cannot start.",
        "cli.startup_last_good": "⚠️ {file} has errors: the bot started on version {version} from "
        "the database (the last good table).",
        "cli.plan_header": "{count} messages planned from {start} to {end}:",
    },
)


def add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """The sub-commands of this module."""
    p = sub.add_parser("run", parents=[common], help="运行机器人 / run the bot")
    p.add_argument("--token", default=None, help="bot token (default: $TELEGRAM_BOT_TOKEN)")
    p.add_argument(
        "--base-url",
        default=os.environ.get("DUBAN_BASE_URL"),
        help="Bot API server, e.g. http://127.0.0.1:8081 for `duban emulator` "
        "(default: $DUBAN_BASE_URL, else Telegram)",
    )
    p.add_argument("--clock-start", default=None, help="simulated clock start (ISO 8601)")
    p.add_argument("--clock-speed", type=float, default=1.0, help="simulated clock speed factor")
    p.add_argument("--tick", type=float, default=None, help="seconds between plan runs")
    p.add_argument("--no-watch", action="store_true", help="do not watch tasks.yaml for edits")
    p.add_argument("--log-level", default=os.environ.get("DUBAN_LOG_LEVEL", "INFO"))

    p = sub.add_parser("plan", parents=[common], help="计划发送的消息 / upcoming messages")
    p.add_argument(
        "--from", dest="start", default=None, help="from this date or instant (default: now)"
    )
    p.add_argument(
        "--to", dest="end", default=None, help="to this date (default: --days after --from)"
    )
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--bureau", default=None, help="only messages to this bureau's contacts")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("contacts", parents=[common], help="联系人绑定情况 / who is bound")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("invite", parents=[common], help="生成邀请链接 / one-use invite link")
    p.add_argument("member", help="contact or person id from tasks.yaml")
    p.add_argument("--bot-username", default=None)

    p = sub.add_parser("health", parents=[common], help="健康检查 / health check")
    p.add_argument("--max-age", type=int, default=300, help="seconds since the last heartbeat")

    sub.add_parser("history", parents=[common], help="分工表版本记录 / applied versions")

    p = sub.add_parser("diff", parents=[common], help="比较两份分工表 / change report")
    p.add_argument("old")
    p.add_argument("new")

    p = sub.add_parser("chart", parents=[common], help="状态图表 / the status chart (PNG)")
    p.add_argument("--out", default=None)
    p.add_argument("--at", default=None, help="the chart as of this instant (ISO 8601)")

    p = sub.add_parser("export", parents=[common], help="导出 Excel / export the table")
    p.add_argument("--out", default=None)
    p.add_argument("--as-of", default=None, help="the table as it stood on this date")


def _store(args: argparse.Namespace) -> Store:
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

    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    token = args.token or os.environ.get("TELEGRAM_BOT_TOKEN")
    if not token and args.base_url:
        token = "123456:DUBAN-LOCAL-EMULATOR"
    if not token:
        print(t(_lang(args), "cli.no_token"), file=sys.stderr)
        return 2
    db_path = Path(args.db or default_db())
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
    )
    try:
        bot.run()
    finally:
        runtime.close()
    return 0


def _startup(
    args: argparse.Namespace, db_path: Path
) -> tuple[Clock, Catalogue, int, list[str]] | None:
    """The table to start on: the file if it is good, else the last good version stored in the
    database (the admins are told why); None when there is neither."""
    from bot.reload import apply, last_good, validate

    store = Store.open(db_path)
    try:
        version, good = last_good(store, Path(args.config))
        clock: Clock
        if args.clock_start:
            clock = SimulatedClock(parse_instant(args.clock_start, good), args.clock_speed)
        else:
            clock = SystemClock()
        result = validate(Path(args.config))
        outcome = apply(
            store, result, good, version, store.record(), clock.now(), actor="start", confirmed=True
        )
        store.set_meta("config", str(Path(args.config).resolve()))
    finally:
        store.close()
    if outcome.applied and outcome.catalogue is not None:
        return clock, outcome.catalogue, outcome.version, []
    if good is not None:
        errors: list[str] = []
        if not outcome.unchanged:
            lang = _lang(args, good)
            errors = [
                t(lang, "cli.startup_last_good", file=args.config, version=version),
                *outcome.errors[:15],
            ]
            for line in errors:
                print(line, file=sys.stderr)
        return clock, good, version, errors
    _print_problems(result, _lang(args))
    for e in outcome.errors:
        print(e, file=sys.stderr)
    print(t(_lang(args), "cli.startup_failed"), file=sys.stderr)
    return None


@command("plan")
def cmd_plan(args: argparse.Namespace) -> int:
    """Print the messages the planner would send between two dates (the admin's preview).

    What was already sent (in the database) is left out; within the range each series
    is shown with every slot, as if every message before it went out.
    """
    from bot.core.planner import upcoming
    from bot.core.render import fmt_time

    catalogue = _require(args)
    if catalogue is None:
        return 1
    lang = _lang(args, catalogue)
    store = _store(args)
    start = parse_instant(args.start, catalogue) if args.start else dt.datetime.now(dt.UTC)
    if args.end:
        end = parse_instant(args.end, catalogue)
        if len(args.end) == 10:  # a date: through the end of that day
            end += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    else:
        end = start + dt.timedelta(days=args.days)
    items = upcoming(catalogue, start - dt.timedelta(microseconds=1), store.record(), end)
    if args.bureau:
        bureau = catalogue.resolve_bureau(args.bureau)
        if bureau is None:
            from bot.cli import render_unknown_bureau

            print(render_unknown_bureau(catalogue, args.bureau, lang), file=sys.stderr)
            return 1
        items = [d for d in items if d.bureau_id == bureau.id]
    if args.json:
        json.dump(
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
                }
                for d in items
            ],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        print()
        return 0
    print(
        t(
            lang,
            "cli.plan_header",
            start=fmt_time(start, catalogue),
            end=fmt_time(end, catalogue),
            count=len(items),
        )
    )
    for d in items:
        subject = ""
        if d.indicator_id:
            subject = catalogue.indicator(d.indicator_id).name
        elif d.task_id:
            number = catalogue.task(d.task_id).number
            subject = f"任务{number}" if lang == "zh" else f"task {number}"
        who = catalogue.member_name(d.recipient)
        print(f"  {fmt_time(d.slot, catalogue)}  {d.kind.value:<10} {subject:<8} {who}")
    return 0


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


@command("contacts")
def cmd_contacts(args: argparse.Namespace) -> int:
    """List every person of the table: id, role, bureau, bound or not."""
    catalogue = _require(args)
    if catalogue is None:
        return 1
    rows = _members(catalogue, _store(args))
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    lang = _lang(args, catalogue)
    bound = sum(r["bound"] for r in rows)
    print(
        t(lang, "contacts.header", bound=bound, total=len(rows))
        .replace("<b>", "")
        .replace("</b>", "")
    )
    for r in rows:
        mark = "✅" if r["bound"] else "⬜"
        where = r["bureau"] or r["role"]
        flags = " ".join(
            f
            for f, on in (("placeholder", r["placeholder"]), ("unreachable", r["unreachable"]))
            if on
        )
        tg = r["telegram_id"] or "-"
        print(f"{mark} {r['id']:<16} {r['name']:<12} {where:<16} tg={tg} {flags}".rstrip())
    return 0


@command("invite")
def cmd_invite(args: argparse.Namespace) -> int:
    """A one-use deep link and code binding a Telegram user to a contact."""
    catalogue = _require(args)
    if catalogue is None:
        return 1
    lang = _lang(args, catalogue)
    store = _store(args)
    member = next((r for r in _members(catalogue, store) if r["id"] == args.member), None)
    if member is None:
        print(t(lang, "cli.unknown_member", value=args.member), file=sys.stderr)
        return 1
    code = store.create_invite(args.member, dt.datetime.now(dt.UTC))
    username = args.bot_username or store.get_meta("bot_username") or "<bot>"
    print(
        t(
            lang,
            "cli.invite",
            name=member["name"],
            where=member["bureau"] or member["role"],
            link=f"https://t.me/{username}?start={code}",
            code=code,
        )
    )
    return 0


@command("health")
def cmd_health(args: argparse.Namespace) -> int:
    """Exit 0 when the database opens and the bot ticked recently."""
    lang = _lang(args)
    try:
        store = _store(args)
        beat = store.get_meta("heartbeat")
    except Exception as err:
        print(f"FAIL: {err}", file=sys.stderr)
        return 1
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
    store = _store(args)
    lang = _lang(args)
    versions = store.versions()
    if not versions:
        print(t(lang, "cli.no_versions"))
        return 0
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    for v in versions:
        changes = v.summary.get("changes", {})
        parts = [f"{k}×{n}" for k, n in changes.items()]
        sched = ""
        if v.summary.get("reminders_added") or v.summary.get("reminders_cancelled"):
            sched = (
                f"  reminders +{v.summary['reminders_added']} -{v.summary['reminders_cancelled']}"
            )
        print(
            f"v{v.id:<4} {v.applied_at.astimezone(tz):%Y-%m-%d %H:%M}  {v.sha256[:10]}  "
            f"{', '.join(parts) or ('初始版本' if v.id == 1 else '—')}{sched}"
        )
    return 0


@command("diff")
def cmd_diff(args: argparse.Namespace) -> int:
    """The change report between two table files, without a running bot."""
    old = load_catalogue(args.old)
    new = load_catalogue(args.new)
    lang = args.lang or (new.catalogue.language if new.catalogue else "zh")
    bad = False
    for result in (old, new):
        if result.catalogue is None:
            _print_problems(result, lang)
            bad = True
    if bad or old.catalogue is None or new.catalogue is None:
        return 1
    report = diff_catalogues(old.catalogue, new.catalogue, now=dt.datetime.now(dt.UTC))
    print(report.render(lang, escape=False))
    return 0


@command("chart")
def cmd_chart(args: argparse.Namespace) -> int:
    """Write the status chart as a PNG file."""
    from bot.reports.chart import render_chart

    catalogue = _require(args)
    if catalogue is None:
        return 1
    lang = _lang(args, catalogue)
    store = _store(args)
    history = store.history()
    now = parse_instant(args.at, catalogue) if args.at else dt.datetime.now(dt.UTC)
    history = history.as_of(now)
    out = Path(args.out or f"duban-chart-{now.astimezone(catalogue.tz):%Y%m%d}.png")
    out.write_bytes(render_chart(catalogue, history, now, lang=lang))
    print(t(lang, "cli.exported", path=out))
    return 0


@command("export")
def cmd_export(args: argparse.Namespace) -> int:
    """Write the division table with progress as an .xlsx file."""
    from bot.reports.excel import build_workbook

    catalogue = _require(args)
    if catalogue is None:
        return 1
    lang = _lang(args, catalogue)
    store = _store(args)
    now = dt.datetime.now(dt.UTC)
    as_of = None
    if args.as_of:
        as_of = parse_instant(args.as_of, catalogue)
        if len(args.as_of) == 10:  # a date: the end of that day
            as_of = as_of + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    data = build_workbook(
        catalogue,
        store.history(),
        as_of or now,
        archived=store.entities("task", archived=True),
        lang=lang,
        as_of=as_of,
    )
    day = (as_of or now).astimezone(catalogue.tz)
    out = Path(args.out or f"duban-{day:%Y%m%d}.xlsx")
    out.write_bytes(data)
    print(t(lang, "cli.exported", path=out))
    return 0


__all__ = ["Role", "add_parsers"]
