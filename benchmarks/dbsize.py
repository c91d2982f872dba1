"""How big the database grows in a year: `python benchmarks/dbsize.py [--tasks 1000]`.

Writes a year of a large deployment through the project's own storage API
(`storage.repo.Store`), so the schema, indexes and stored texts are the real ones:

- every task has `--contacts` contacts (lead and cooperating) who get a monthly check-in
  (定期调度) and, before the task's one milestone of the year, reminders at six offsets
  (90, 30, 14, 7, 3, 1 days); a fifth of those prompts is followed up once (催办);
- each prompt gets `--answers` answers (a button press, then a note), each from its own
  Telegram update (so `processed_updates` grows too);
- `--indicators` indicators get a quarterly reading;
- the table itself (a YAML at the shipped table's bytes per task) is saved `--edits` times,
  each save a full stored version, as the live reload does.

Then `VACUUM`, and prints the file size, the rows and the bytes of each table (SQLite's
dbstat), what an online backup (`VACUUM INTO`) takes and what it weighs gzip'd, and how many
write transactions one writer commits a second (each status update its own transaction,
as the bot writes them: WAL, synchronous=FULL). docs/scaling.md quotes its output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.core.history import UpdateKind
from storage.repo import NewMessage, Store

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
OFFSETS = (90, 30, 14, 7, 3, 1)
# The reminder screen of the README, as stored in the outbox (the text is kept per message).
REMINDER = (
    "⏰ 节点提醒：距完成时限还有 {days} 天\n\n任务 {n}：{title}\n牵头单位：生态环境局\n"
    "配合单位：发展改革局、工业和信息化局、各街道、镇\n完成时限：{year}年底（{year}-12-31，还有 {days} 天）\n"
    "当前状态：🟢 正常推进\n\n请点击下方按钮反馈，或回复本消息说明情况（可写“进度60%”）。"
)
CHECKIN = (
    "📋 定期调度：{month} 月\n\n任务 {n}：{title}\n牵头单位：生态环境局\n完成时限：持续推进\n"
    "当前状态：🟢 正常推进\n\n请点击下方按钮反馈本月进展，或回复本消息说明情况。"
)
TITLE = "深入推进大气污染综合治理，持续改善区域环境空气质量"
NOTE = "已完成年度目标的{p}%，资金已到位，下一步加快推进项目验收，预计按期完成。"


def at(month: int, day: int, hour: int = 1) -> dt.datetime:
    """An instant of the year in UTC (01:00 UTC is 09:00 in Shanghai)."""
    return dt.datetime(YEAR, month, day, hour, tzinfo=dt.UTC)


def prompts(tasks: int, contacts: int) -> Iterator[tuple[str, str, int, dt.datetime, str]]:
    """(key, kind, task number, slot, text) of every prompt of the year, by slot."""
    out = []
    for n in range(1, tasks + 1):
        for month in range(1, 13):
            text = CHECKIN.format(month=month, n=n, title=TITLE)
            for c in range(contacts):
                out.append(
                    (f"checkin:t{n}:{YEAR}-{month:02d}:c{n}-{c}", "checkin", n, at(month, 1), text)
                )
        due = dt.datetime(YEAR, 12, 31, 1, tzinfo=dt.UTC) - dt.timedelta(days=(n % 300))
        for offset in OFFSETS:
            slot = due - dt.timedelta(days=offset)
            text = REMINDER.format(days=offset, n=n, title=TITLE, year=YEAR)
            for c in range(contacts):
                key = f"reminder:t{n}:{due.date()}:{offset}d:c{n}-{c}"
                out.append((key, "reminder", n, slot, text))
    out.sort(key=lambda p: p[3])
    yield from out


def write_year(store: Store, tasks: int, contacts: int, answers: int, indicators: int) -> int:
    """Write the year's outbox, answers and readings; returns the number of prompts."""
    update_id = 0
    count = 0
    with store.transaction():
        for key, kind, n, slot, text in prompts(tasks, contacts):
            count += 1
            chat = 10_000 + n * 10 + int(key.rsplit("-", 1)[1])
            recipient = key.rsplit(":", 1)[1]
            store.outbox_add(
                [NewMessage(key, kind, recipient, chat, slot, text, task_id=f"t{n}")], slot
            )
            store.outbox_sent([key], message_id=count, at=slot + dt.timedelta(seconds=1))
            if count % 5 == 0:  # a fifth is followed up once
                follow = f"followup:{key}:1"
                later = slot + dt.timedelta(days=3)
                followup = NewMessage(
                    follow, "followup", recipient, chat, later, "🔔 催办：" + text, task_id=f"t{n}"
                )
                store.outbox_add([followup], later)
                store.outbox_sent([follow], message_id=count, at=later)
            for a in range(answers):
                update_id += 1
                store.add_update(
                    task_id=f"t{n}",
                    kind=UpdateKind.ON_TRACK if a == 0 else UpdateKind.NOTE,
                    by=f"c{n}-0",
                    at=slot + dt.timedelta(hours=2, minutes=a),
                    bureau_id="eco",
                    progress=(count % 10) * 10 if a else None,
                    note=NOTE.format(p=(count % 10) * 10) if a else "",
                    message_key=key,
                    telegram_user_id=chat,
                    telegram_message_id=count * 10 + a,
                    update_id=update_id,
                )
        for i in range(indicators):
            for quarter in range(4):
                update_id += 1
                store.add_reading(
                    indicator_id=f"ind{i}",
                    value=40.0 + i + quarter,
                    by="c1-0",
                    at=at(quarter * 3 + 1, 10),
                    bureau_id="eco",
                    message_key=f"reading:ind{i}:{YEAR}-Q{quarter + 1}:c1-0",
                    telegram_user_id=10_001,
                    update_id=update_id,
                )
    return count


def write_versions(store: Store, tasks: int, edits: int) -> int:
    """`edits` stored versions of a table of `tasks` tasks; returns one version's bytes."""
    shipped = (ROOT / "config" / "tasks.yaml").read_text(encoding="utf-8")
    text = shipped * max(1, round(tasks / 16))  # the shipped table has 16 tasks
    for e in range(edits):
        body = f"# edit {e}\n{text}"
        store.add_version(
            sha256=hashlib.sha256(body.encode()).hexdigest(),
            source="tasks.yaml",
            text=body,
            summary={"edit": e},
            at=at(1 + e % 12, 15),
        )
    live: list[tuple[str, str, str, str | None, dict[str, Any]]] = [
        ("task", f"t{n}", TITLE, "s1", {"deadline": "2025年底", "lead": "eco"})
        for n in range(1, tasks + 1)
    ]
    store.sync_entities(live, version=1, at=at(1, 1))
    return len(text.encode())


def table_bytes(path: Path) -> list[tuple[str, int, int]]:
    """(table, rows, bytes with its indexes) from SQLite's dbstat, largest first."""
    conn = sqlite3.connect(path)
    try:
        pages = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"))
        owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master"))
        sizes: dict[str, int] = {}
        for name, size in pages.items():
            owner = owners.get(name, name)
            sizes[owner] = sizes.get(owner, 0) + size
        out = []
        for table, size in sizes.items():
            if table.startswith("sqlite_"):
                continue
            (rows,) = conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()
            out.append((table, rows, size))
    finally:
        conn.close()
    return sorted(out, key=lambda r: -r[2])


def commits_per_second(path: Path, count: int) -> float:
    """Status updates a second, each in its own transaction, on a fresh database."""
    store = Store.open(path)
    start = time.perf_counter()
    for i in range(count):
        store.add_update(
            task_id=f"t{i % 1000}",
            kind=UpdateKind.NOTE,
            by="c1-0",
            at=at(1, 2),
            note=NOTE.format(p=i % 100),
            update_id=i,
        )
    elapsed = time.perf_counter() - start
    store.close()
    return count / elapsed


def backup(path: Path, tmp: Path) -> tuple[float, int]:
    """(seconds of `VACUUM INTO`, bytes of the snapshot gzip'd)."""
    snapshot = tmp / "snapshot.db"
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    conn.execute("VACUUM INTO ?", [str(snapshot)])
    seconds = time.perf_counter() - start
    conn.close()
    packed = tmp / "snapshot.db.gz"
    with snapshot.open("rb") as raw, gzip.open(packed, "wb") as out:
        shutil.copyfileobj(raw, out)
    return seconds, packed.stat().st_size


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=3, help="contacts prompted per task")
    parser.add_argument("--answers", type=int, default=2, help="answers per prompt")
    parser.add_argument("--indicators", type=int, default=100)
    parser.add_argument("--edits", type=int, default=12, help="saves of the table a year")
    parser.add_argument("--commits", type=int, default=2000, help="transactions timed")
    parser.add_argument("--keep", type=Path, help="keep the database at this path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        path = tmp / "year.db"
        store = Store.open(path)
        prompts_sent = write_year(store, args.tasks, args.contacts, args.answers, args.indicators)
        one_version = write_versions(store, args.tasks, args.edits)
        store.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.conn.execute("VACUUM")
        store.close()
        size = path.stat().st_size
        seconds, packed = backup(path, tmp)
        rate = commits_per_second(tmp / "rate.db", args.commits)
        print(f"{args.tasks} tasks x {args.contacts} contacts, a year of {YEAR}:")
        print(
            f"  prompts sent: {prompts_sent} (+ {prompts_sent // 5} follow-ups), "
            f"answers: {prompts_sent * args.answers}, table versions: {args.edits} "
            f"of {mib(one_version)}"
        )
        print(
            f"  database after VACUUM: {mib(size)}; VACUUM INTO (online backup): {seconds:.1f} s; "
            f"the backup gzip'd: {mib(packed)}"
        )
        print(f"  one writer: {rate:.0f} status updates a second, one transaction each")
        for table, rows, nbytes in table_bytes(path):
            print(f"  {table:<20} {rows:>9} rows {mib(nbytes):>11}")
        if args.keep:
            shutil.copy2(path, args.keep)


if __name__ == "__main__":
    main()
