"""`duban demo`: the shipped table, the real bot, the local Bot API emulator, a
simulated clock, and scripted contacts answering. No token and no network needed.

What it does:
1. starts the emulator in this process (a background thread);
2. creates one invite per contact and person of the table in a fresh demo database;
3. starts `duban run` as a subprocess against the emulator, with a simulated clock that
   starts just before the 30-day reminders of the "2022年底" tasks;
4. every contact starts the bot with their invite code, then answers what arrives:
   buttons, notes, progress, numbers; one bureau stays silent to show the follow-up;
5. the coordinator confirms a completion claim and asks `/status` at the end.
The terminal shows the conversation as it unfolds; the database stays for inspection.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bot.core.clock import SimulatedClock
from bot.core.documents import load_config
from bot.core.model import Catalogue, Role

TOKEN = "123456:DUBAN-LOCAL-EMULATOR"


class Clock:
    """The bot's simulated clock, as the demo sees it (same start and speed), paused and
    resumed together with the bot's (SIGUSR1 / SIGUSR2 to the bot process)."""

    def __init__(self, start: dt.datetime, speed: float) -> None:
        self.inner = SimulatedClock(start, speed)
        self.tz = start.tzinfo  # the office's zone: the transcript shows its times
        self.bot: subprocess.Popen[bytes] | None = None

    def now(self) -> dt.datetime:
        return self.inner.now().astimezone(self.tz)

    def pause(self) -> None:
        """Stop both clocks while a person types."""
        if self.bot is not None and self.bot.poll() is None:
            self.bot.send_signal(signal.SIGUSR1)
        self.inner.pause()

    def resume(self) -> None:
        """Let both clocks run on."""
        if self.bot is not None and self.bot.poll() is None:
            self.bot.send_signal(signal.SIGUSR2)
        self.inner.resume()


def _first_line(text: str, width: int = 60) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return _plain(line)[:width]


def _plain(text: str) -> str:
    """A message's HTML as the chat shows it."""
    return html.unescape(re.sub(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>", "", text))


def _whole(message: dict[str, Any]) -> str:
    """A whole message as the chat shows it: its text or caption, the file it carries (a
    chart, a workbook) and its buttons, numbered as `press N` counts them."""
    parts = []
    document = message.get("document")
    if document:
        parts.append(f"📎 {document.get('file_name') or '文件'}")
    if message.get("photo"):
        parts.append("🖼 图片 / picture")
    text = _plain(message.get("text") or message.get("caption") or "")
    if text:
        parts.append(text)
    labels = [b.get("text", "") for row in _keyboard(message) for b in row]
    if labels:
        parts.append("  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)))
    body = "\n".join(parts)
    return body.replace("\n", "\n    ")


def _keyboard(message: dict[str, Any]) -> list[list[dict[str, Any]]]:
    rows: list[list[dict[str, Any]]] = (message.get("reply_markup") or {}).get(
        "inline_keyboard", []
    )
    return rows


def _members(cat: Catalogue) -> list[tuple[str, str, str]]:
    """(member id, display name, role/bureau) for every person and contact."""
    out = []
    for p in cat.people:
        role = "管理员" if Role.ADMIN in p.roles else "督办员"
        out.append((p.id, p.name.replace("（待填）", ""), role))
    for c in cat.contacts():
        out.append((c.id, c.name.replace("（待填）", ""), cat.bureau(c.bureau_id).name))
    return out


def run_demo(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit status."""
    from bot.emulator.client import EmulatorClient
    from bot.emulator.thread import EmulatorThread
    from storage.inbox import inbox_path
    from storage.repo import Store

    result = load_config(args.config)  # a table file or a directory of tables
    if result.catalogue is None:
        print(f"{args.config} 有错误，请先运行 duban check", file=sys.stderr)
        return 1
    cat = result.catalogue
    data = Path(args.db or "data/demo.db")
    for file in (data, inbox_path(data)):  # a new database: a new inbox (update ids restart)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{file}{suffix}").unlink(missing_ok=True)
    store = Store.open(data)
    members = _members(cat)
    ids = {mid: 900_000 + i for i, (mid, _, _) in enumerate(members, 1)}
    codes = {mid: store.create_invite(mid, dt.datetime.now(dt.UTC)) for mid, _, _ in members}
    store.close()

    emulator = EmulatorThread(TOKEN)
    base = emulator.start()
    client = EmulatorClient(base)
    # The clock runs thousands of times faster than real time; scale Telegram's ~1 message a
    # second per chat with it so the conversation stays readable (the other limits stay).
    client.set_limits(chat_per_second=50.0, chat_burst=20)
    names = {}
    for mid, name, where in members:
        client.add_user(ids[mid], first_name=name or mid, username=mid.replace("-", "_"))
        names[ids[mid]] = f"{name}（{where}）"

    start = dt.datetime.fromisoformat(args.start)
    if start.tzinfo is None:
        start = start.replace(tzinfo=cat.tz)
    speed = args.speed
    port = args.web_port or _free_port()
    log_path = data.with_suffix(".log")
    bot = _start_bot(args, data, base, start, port, log_path)
    clock = Clock(start, speed)
    clock.bot = bot
    # The bot's clock starts when its process does; line ours up with its first poll.
    deadline = time.monotonic() + 60
    while client.stats()["requests"].get("getUpdates", 0) == 0 and time.monotonic() < deadline:
        if bot.poll() is not None:
            break
        time.sleep(0.05)
    clock.inner.started_ago(1.0)
    print(f"督办 duban 演示：{cat.document.title}")
    print(f"本地 Bot API 模拟服务器 {base}，模拟时钟从 {start:%Y-%m-%d %H:%M} 起，{speed:g} 倍速")
    print(f"分工表看板 dashboard：http://127.0.0.1:{port}/app/（演示结束时给出登录链接）\n")
    try:
        code = _script(client, cat, clock, members, ids, codes, names, args, bot)
        if code == 0:
            _dashboard(client, cat, ids, port, keep=_keep_open(args))
        return code
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(20)
        except subprocess.TimeoutExpired:
            bot.kill()
        emulator.stop()
        print(f"\n演示数据库：{data}（日志：{log_path}）")


def _start_bot(
    args: argparse.Namespace,
    data: Path,
    base: str,
    start: dt.datetime,
    port: int,
    log_path: Path,
) -> subprocess.Popen[bytes]:
    """`duban run` against the emulator on the simulated clock, with its dashboard on `port`."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [
        sys.executable, "-m", "bot", "run", "--config", str(args.config), "--db", str(data),
        "--base-url", base, "--clock-start", start.isoformat(), "--clock-speed", str(args.speed),
        "--no-watch", "--log-level", "WARNING", "--web-port", str(port),
    ]  # fmt: skip
    with log_path.open("w", encoding="utf-8") as log_file:
        return subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env)


def _free_port() -> int:
    """A port nobody listens on now (the dashboard's, for this demo)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _keep_open(args: argparse.Namespace) -> bool:
    """Keep the bot (and so the dashboard) running after the script: asked for, or a person
    at a terminal who can press Enter."""
    return bool(args.keep_open) or (sys.stdin.isatty() and sys.stdout.isatty())


def _dashboard(client: Any, cat: Catalogue, ids: dict[str, int], port: int, keep: bool) -> None:
    """The coordinator asks for /dashboard; print the address and the one-time login link
    the bot answered with; with `keep`, wait (the page works) until Enter or end of input."""
    coordinator = next((ids[p.id] for p in cat.people if Role.COORDINATOR in p.roles), None)
    if coordinator is None:
        return
    before = len(client.bot_messages(coordinator))
    client.send(coordinator, "/dashboard")
    got = client.wait_for(coordinator, before + 1, timeout=20)
    text = (got[-1].get("text") or "") if len(got) > before else ""
    link = re.search(r"http://\S+/app/login\?t=[\w-]+", text)
    print(f"\n分工表看板 dashboard：http://127.0.0.1:{port}/app/")
    if link:
        print(f"一次性登录链接 one-time login link（10 分钟内有效，只能使用一次）：{link.group(0)}")
        print("（在 Telegram 中督办员发送 /dashboard 即可获得新链接 / /dashboard gives a new one）")
    if not keep:
        return
    print(
        "看板运行中，按回车结束演示 / the dashboard is up: press Enter to end the demo", flush=True
    )
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.readline()


def _script(
    client: Any,
    cat: Catalogue,
    clock: Clock,
    members: list[tuple[str, str, str]],
    ids: dict[str, int],
    codes: dict[str, str],
    names: dict[int, str],
    args: argparse.Namespace,
    bot: subprocess.Popen[bytes],
) -> int:
    seen: dict[int, int] = dict.fromkeys(ids.values(), 0)
    # What each scripted bureau does with a reminder: the others press 正常推进.
    plan_for: dict[str, str] = {
        "eco-1": "d",  # claims completion; the coordinator confirms
        "econ-1": "r",  # at risk, with a note
        "urban-1": "text",  # replies with progress
        "streets-1": "b",  # blocked, with a note
        "social-1": "silent",  # never answers: followed up
        "nrp-1": "silent",
    }
    actions = itertools.repeat("o")
    coordinator = next((ids[p.id] for p in cat.people if Role.COORDINATOR in p.roles), None)

    def say(user: int, what: str) -> None:
        print(f"[{clock.now():%m-%d %H:%M}] {names[user]} → 🤖：{what}")

    def new_messages(user: int) -> list[dict[str, Any]]:
        msgs = [m for m in client.chat(user) if m.get("from_bot")]
        fresh = msgs[seen[user] :]
        seen[user] = len(msgs)
        return fresh

    # 1. everyone starts the bot with their invite code
    for mid, _, _ in members:
        user = ids[mid]
        client.send(user, f"/start {codes[mid]}")
        say(user, "/start（邀请码）")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(
        len(client.bot_messages(u)) == 0 for u in ids.values()
    ):
        if bot.poll() is not None:
            print("机器人进程意外退出，请查看日志", file=sys.stderr)
            return 1
        time.sleep(0.2)
    for user in ids.values():
        for m in new_messages(user):
            print(f"[{clock.now():%m-%d %H:%M}] 🤖 → {names[user]}：{_whole(m)}")

    # 2. the simulated days go by; contacts answer what arrives
    end = clock.inner.start + dt.timedelta(days=args.days)
    while clock.now() < end:
        if bot.poll() is not None:
            print("机器人进程意外退出，请查看日志", file=sys.stderr)
            return 1
        for mid, _, _ in members:
            user = ids[mid]
            for m in new_messages(user):
                text = m.get("text") or m.get("caption") or ""
                print(f"[{clock.now():%m-%d %H:%M}] 🤖 → {names[user]}：{_whole(m)}")
                _answer(client, cat, user, mid, m, text, actions, plan_for, say, coordinator)
        time.sleep(0.15)

    # 3. the coordinator looks at the whole table
    if coordinator is None:
        return 0
    if args.interactive:
        _interactive(client, clock, members, ids, names, seen)
    before = len(client.bot_messages(coordinator))
    client.send(coordinator, "/status")
    say(coordinator, "/status")
    got = client.wait_for(coordinator, before + 1, timeout=20)
    status = got[-1]["text"] if got else ""
    print("\n" + "─" * 60)
    print(status.replace("<b>", "").replace("</b>", ""))
    print("─" * 60)
    return 0 if "分工表总览" in status or "Division table" in status else 1


def _answer(
    client: Any,
    cat: Catalogue,
    user: int,
    member_id: str,
    message: dict[str, Any],
    text: str,
    actions: Any,
    plan_for: dict[str, str],
    say: Any,
    coordinator: int | None,
) -> None:
    """What a scripted person does with a message from the bot."""
    buttons = [
        b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
    ]
    data = {b.get("callback_data", ""): b.get("text", "") for b in buttons}
    if user == coordinator and "c:ok:" in " ".join(data):
        key = next(k for k in data if k.startswith("c:ok:"))
        client.press(user, message["message_id"], data=key)
        say(user, f"点击「{data[key]}」")
        return
    if "指标" in text and "请回复本消息" in text:
        # the figure the prompt gives as its example (each indicator has its own)
        example = re.search(r"例如：([0-9.]+)", text)
        value = example.group(1) if example else "47.5"
        client.send(user, value, reply_to=message["message_id"])
        say(user, f"回复数值 {value}")
        return
    action = plan_for.get(member_id, "o")
    if "待办汇总" in text:  # several items at once: open each task to report on it
        if action == "silent":
            return
        for key in [k for k in data if k.count(":") == 1 and k.startswith("u:")][:3]:
            client.press(user, message["message_id"], data=key)
            say(user, f"点击「{data[key]}」")
        return
    prefix = "a"
    if "a:o" not in data:
        picks = [k for k in data if k.startswith("u:") and k.endswith(":o")]
        if not picks:
            return
        prefix = picks[0][: -len(":o")]
    action = plan_for.setdefault(member_id, next(actions))
    if action == "d" and "已完成" in " ".join(data.values()) and member_id in plan_for:
        plan_for[member_id] = "o"  # one claim is enough for the story
    if action == "silent":
        return
    if action == "text" and prefix == "a":
        client.send(user, "进度60%，已完成方案编制，正在组织实施", reply_to=message["message_id"])
        say(user, "回复：进度60%，已完成方案编制，正在组织实施")
        return
    if action == "text":
        action = "o"
    key = f"{prefix}:{action}"
    client.press(user, message["message_id"], data=key)
    say(user, f"点击「{data.get(key, action)}」")
    if action in ("r", "b"):
        client.send(user, "资金尚未到位，已向区财政局申请")
        say(user, "补充说明：资金尚未到位，已向区财政局申请")


INTERACTIVE_HELP = """
交互模式 / interactive mode：
  as ID          以某人身份操作（如 as eco-1、as coord-1）/ act as a member
  TEXT 或 /CMD   以当前身份发送 / send as the current member
  reply TEXT     回复机器人最近一条消息 / reply to the bot's latest message
  press N        点击最近一条带按钮消息的第 N 个按钮 / press button N of the latest message
                 with buttons (the message is named before the press)
  who            列出可用身份 / list members
  quit           结束 / end
每条命令前先显示上次以来收到的全部消息 / before each prompt, every message that arrived since
the last command is shown. 模拟时钟继续走 / the simulated clock keeps running.
"""


def _show_new(
    client: Any, clock: Clock, names: dict[int, str], seen: dict[int, int], user: int
) -> None:
    """Print every message the bot sent this user since the last look."""
    msgs = client.bot_messages(user)
    for m in msgs[seen.get(user, 0) :]:
        print(f"[{clock.now():%m-%d %H:%M}] 🤖 → {names[user]}：{_whole(m)}")
    seen[user] = len(msgs)


def _press(client: Any, user: int, msgs: list[dict[str, Any]], arg: str) -> bool:
    """`press N`: button N of the latest message with buttons, saying which message it is."""
    target = next((m for m in reversed(msgs) if _keyboard(m)), None)
    buttons = [b for row in _keyboard(target) for b in row] if target else []
    try:
        button = buttons[int(arg) - 1]
    except (ValueError, IndexError):
        print("没有这个按钮 / no such button")
        return False
    assert target is not None
    about = _first_line(target.get("text") or target.get("caption") or "", 40)
    print(f"→ 点击「{button.get('text', '')}」，消息：{about} / pressing it under that message")
    if "callback_data" not in button:
        print("（此按钮在 Telegram 中打开网页 / this button opens a web page in Telegram）")
        return False
    client.press(user, target["message_id"], data=button["callback_data"])
    return True


def _interactive(
    client: Any,
    clock: Clock,
    members: list[tuple[str, str, str]],
    ids: dict[str, int],
    names: dict[int, str],
    seen: dict[int, int],
) -> None:
    """Type as a contact or coordinator against the running bot."""
    print(INTERACTIVE_HELP)
    current = next(iter(ids))
    while True:
        user = ids[current]
        _show_new(client, clock, names, seen, user)
        clock.pause()  # the simulated clock waits while a person types
        try:
            line = input(f"{current}> ").strip()
        except EOFError:
            return
        finally:
            clock.resume()
        if not line:
            continue
        if line in ("quit", "exit", "q"):
            return
        if line == "who":
            for mid, name, where in members:
                print(f"  {mid:<14} {name}（{where}）")
            continue
        if line.startswith("as "):
            wanted = line[3:].strip()
            if wanted in ids:
                current = wanted
            else:
                print("未知身份 / unknown member; try: who")
            continue
        latest = client.bot_messages(user)
        before = len(latest)
        if line.startswith("press "):
            if not _press(client, user, latest, line[6:].strip()):
                continue
        elif line.startswith("reply ") and latest:
            client.send(user, line[6:], reply_to=latest[-1]["message_id"])
        else:
            client.send(user, line)
        client.wait_for(user, before + 1, timeout=3 if line.startswith("press ") else 10)
