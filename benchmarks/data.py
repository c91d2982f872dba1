"""The large deployment `make bench` measures, generated here (seeded: the same every run).

`big_deployment(dir)` writes a 1,000-task table (`tests/support_big.py`: 200 bureaus with two
contacts each, 50 indicators) and three years of its life through the project's own storage
API (`storage.repo.Store`, the same calls the bot makes):

* the table applied as the bot applies it (`bot.reload.apply`);
* every contact bound to a Telegram account (the table names one contact per bureau; the
  other is bound as an invite code would bind them), so every planned message has a chat;
* every message the planner planned from 2022-04-01 to `NOW` (reminders, check-ins,
  indicator check-ins, overdue notices, digests), claimed and marked sent at its slot, each
  with its own Telegram message id;
* 100,000 status updates spread over the three years (on track, at risk, blocked, notes,
  progress, claims and closures of about 8% of the tasks, corrections), each with its
  Telegram update id, and 600 indicator readings;
* at `NOW` the plan is empty: whatever was due (follow-ups included) is marked sent, so a
  tick at `NOW` has nothing to do, as in a bot that has kept up.

The result is cached under `benchmarks/.cache/` by a digest of the generator's inputs and the
storage code (a change of either makes a new one); `fresh=True` ignores the cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import random
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support_big import big_table_yaml  # noqa: E402

from bot.core.catalogue import parse_catalogue  # noqa: E402
from bot.core.history import Record, UpdateKind  # noqa: E402
from bot.core.model import Catalogue  # noqa: E402
from bot.core.planner import Due, plan, upcoming  # noqa: E402
from bot.core.workdays import WorkCalendar  # noqa: E402
from bot.reload import apply, validate  # noqa: E402
from storage.repo import NewMessage, Store  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2022, 4, 1, 9, 0, tzinfo=SH)
#: The bench's "now": a Monday morning three years on, after the messages of 09:00 went out.
NOW = dt.datetime(2025, 3, 31, 10, 0, tzinfo=SH)
TASKS = 1_000
UPDATES = 100_000
READINGS = 600
SEED = 1
CACHE = Path(__file__).resolve().parent / ".cache"
#: Telegram ids of the contacts the table gives none (bound as an invite code binds them).
BOUND_BASE = 300_000

KINDS = (
    [UpdateKind.ON_TRACK] * 55
    + [UpdateKind.NOTE] * 20
    + [UpdateKind.AT_RISK] * 12
    + [UpdateKind.BLOCKED] * 5
)
NOTES = (
    "已完成年度目标的{p}%，资金已到位，下一步加快推进项目验收。",
    "本月召开专题会议，协调解决用地问题，预计按期完成。",
    "受天气影响施工进度略有滞后，正在加班追赶。",
    "已报送阶段性成果材料，请督办室审核。",
)


@dataclass(frozen=True)
class Deployment:
    """Where the generated deployment lives and what it holds."""

    config: Path
    db: Path
    tasks: int
    updates: int
    messages: int
    contacts: int
    seconds: float  # how long generating it took (0 when it came from the cache)

    def copy(self, to: Path) -> Deployment:
        """A private copy (a benchmark that writes must not change the next one's data)."""
        to.mkdir(parents=True, exist_ok=True)
        config = to / "tasks.yaml"
        shutil.copy(self.config, config)
        db = to / "duban.db"
        shutil.copy(self.db, db)
        return Deployment(
            config, db, self.tasks, self.updates, self.messages, self.contacts, self.seconds
        )


def chat_ids(catalogue: Catalogue) -> dict[str, int]:
    """Contact id -> the Telegram account (and private chat) the deployment gives it."""
    out: dict[str, int] = {}
    for n, c in enumerate(catalogue.contacts()):
        out[c.id] = c.telegram_id or BOUND_BASE + n
    for p in catalogue.people:
        if p.telegram_id:
            out[p.id] = p.telegram_id
    return out


def _fingerprint(tasks: int, updates: int) -> str:
    h = hashlib.sha256(f"{tasks}:{updates}:{SEED}:{NOW.isoformat()}".encode())
    for part in (
        "benchmarks/data.py",
        "tests/support_big.py",
        "storage/db.py",
        "storage/state.py",
        "storage/repo.py",
        "bot/core/planner.py",
        "bot/core/history.py",
    ):
        h.update((ROOT / part).read_bytes())
    return h.hexdigest()[:16]


def big_deployment(
    tasks: int = TASKS, updates: int = UPDATES, *, fresh: bool = False
) -> Deployment:
    """The generated deployment (from the cache when its inputs did not change)."""
    where = CACHE / f"deployment-{tasks}-{updates}-{_fingerprint(tasks, updates)}"
    meta = where / "meta.json"
    if meta.is_file() and not fresh:
        info = json.loads(meta.read_text())
        return Deployment(where / "tasks.yaml", where / "duban.db", **info, seconds=0.0)
    if where.exists():
        shutil.rmtree(where)
    where.mkdir(parents=True)
    t0 = time.perf_counter()
    info = generate(where / "tasks.yaml", where / "duban.db", tasks, updates)
    seconds = time.perf_counter() - t0
    meta.write_text(json.dumps(info))
    return Deployment(where / "tasks.yaml", where / "duban.db", **info, seconds=seconds)


def generate(config: Path, db: Path, tasks: int, updates: int) -> dict[str, int]:
    """Write the table and its three years (see the module docstring)."""
    config.write_text(big_table_yaml(tasks), encoding="utf-8")
    store = Store.open(db)
    try:
        outcome = apply(store, validate(config), None, 0, Record(), START, confirmed=True)
        cat = outcome.catalogue
        assert cat is not None, outcome.errors
        chats = chat_ids(cat)
        with store.transaction():
            for member, user in chats.items():
                if cat.contact_or_none(member) and not cat.contact(member).telegram_id:
                    store.bind(member, user, START, "invite")
        cal = WorkCalendar(cat.calendar)
        rng = random.Random(SEED)
        messages = upcoming(cat, START - dt.timedelta(seconds=1), Record(), NOW, cal)
        _deliver(store, messages, chats, itertools.count(1))
        _answers(store, cat, rng, updates)
        _readings(store, cat, rng)
        _catch_up(store, cat, cal, chats)
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sent = store.outbox_counts().get("sent", 0)
    finally:
        store.close()
    return {
        "tasks": tasks,
        "updates": updates,
        "messages": sent,
        "contacts": len(cat.contacts()),
    }


def _deliver(
    store: Store, due: list[Due], chats: dict[str, int], message_ids: Iterator[int]
) -> None:
    """Put planned messages in the outbox and mark each sent at its slot, as the engine does."""
    for i in range(0, len(due), 5_000):
        part = due[i : i + 5_000]
        with store.transaction():
            store.outbox_add(
                [
                    NewMessage(
                        key=d.key, kind=d.kind.value, recipient=d.recipient,
                        chat_id=chats.get(d.recipient), slot=d.slot, text=f"[bench] {d.key}",
                        task_id=d.task_id, subtask_id=d.subtask_id, indicator_id=d.indicator_id,
                        bureau_id=d.bureau_id, ref_at=d.ref_at,
                    )
                    for d in part
                ],
                part[0].slot,
            )  # fmt: skip
            for d in part:
                store.outbox_claim([d.key])
                store.outbox_sent([d.key], next(message_ids), d.slot)


def _when(rng: random.Random) -> dt.datetime:
    """A working-hours instant between START and NOW."""
    span = (NOW - START).total_seconds()
    t = START + dt.timedelta(seconds=rng.random() * span)
    return t.replace(hour=9 + rng.randrange(9), minute=rng.randrange(60))


def _answers(store: Store, cat: Catalogue, rng: random.Random, count: int) -> None:
    """`count` status updates in time order: contacts' reports, claims and closures."""
    events = sorted((_when(rng), rng.randrange(len(cat.tasks))) for _ in range(count))
    events = [(at, n) for at, n in events if at < NOW]
    closing = set(rng.sample(range(len(cat.tasks)), len(cat.tasks) * 8 // 100))
    claimed: set[int] = set()
    admin = cat.people[0]
    update_id = 0
    for i in range(0, len(events), 5_000):
        with store.transaction():
            for at, n in events[i : i + 5_000]:
                update_id += 1
                task = cat.tasks[n]
                bureaus = cat.bureaus_of(task)
                bureau = task.lead if rng.random() < 0.7 else rng.choice(bureaus)
                contact = rng.choice(cat.bureau(bureau).contacts)
                sub = rng.choice(task.subtasks).id if task.subtasks and rng.random() < 0.3 else None
                kind = rng.choice(KINDS)
                if n in closing and at > NOW - dt.timedelta(days=400) and n not in claimed:
                    kind, sub = UpdateKind.DONE_CLAIMED, None
                    claimed.add(n)
                elif n in claimed and n in closing and rng.random() < 0.5:
                    kind, sub, contact = UpdateKind.CLOSED, None, admin
                    bureau = ""
                    closing.discard(n)
                progress = rng.randrange(5, 100, 5) if rng.random() < 0.4 else None
                note = rng.choice(NOTES).format(p=progress or 50) if rng.random() < 0.5 else ""
                store.add_update(
                    task_id=task.id, kind=kind, by=contact.id, at=at,
                    bureau_id=bureau or None, subtask_id=sub, progress=progress, note=note,
                    telegram_user_id=contact.telegram_id, update_id=update_id,
                )  # fmt: skip


def _readings(store: Store, cat: Catalogue, rng: random.Random) -> None:
    with store.transaction():
        for at in sorted(_when(rng) for _ in range(READINGS)):
            ind = rng.choice(cat.indicators)
            contact = cat.bureau(ind.owner).contacts[0]
            store.add_reading(
                indicator_id=ind.id, value=round(rng.uniform(20, 99), 1), by=contact.id, at=at,
                bureau_id=ind.owner,
            )  # fmt: skip


def _catch_up(store: Store, cat: Catalogue, cal: WorkCalendar, chats: dict[str, int]) -> None:
    """Send (in the record) whatever is due at NOW, until nothing is: a bot that kept up."""
    ids = itertools.count(10_000_000)
    while True:
        due = plan(cat, NOW, store.record(), cal)
        if not due:
            return
        _deliver(store, due, chats, ids)


def table_text(tasks: int) -> str:
    """The YAML of a generated table (the planner curve's sizes)."""
    return big_table_yaml(tasks)


def catalogue(tasks: int) -> Catalogue:
    """A generated table, validated."""
    result = parse_catalogue(big_table_yaml(tasks), f"big-{tasks}.yaml")
    assert result.catalogue is not None
    return result.catalogue
