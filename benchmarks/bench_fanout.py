"""A fan-out of 2,000 reminders against the emulator with Telegram's limits on (30 messages a
second overall, 1 a second per chat with bursts of 5, 20 a minute per group): the bot's own
pacing, and beside it a naive client (python-telegram-bot without a rate limiter, `pace=False`,
429s waited out by the engine's retry) in the same run.

The 2,000 go to the 200 contacts whose Telegram ids the table names, 10 each, put in the
outbox at once (as a tick puts them) and sent by the engine (`Engine.flush`, again whenever
something is pending and may go); the clock runs in real time. What counts is what the
emulator accepted (its send log, `bot.emulator.pacing`): the rate from the first message to
the last, the 429 answers, messages never delivered (lost) and delivered twice (doubled).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import ROUNDS, Figure
from benchmarks.data import NOW, Deployment
from benchmarks.rig import Rig
from bot.core.clock import SimulatedClock
from bot.emulator import pacing
from storage.repo import NewMessage, Store

MESSAGES = 2_000
PER_CHAT = 10
TIMEOUT = 600.0


def _messages(rig: Rig) -> list[NewMessage]:
    rt = rig.runtime
    cat = rt.catalogue
    contacts = [c for c in cat.contacts() if c.telegram_id][: MESSAGES // PER_CHAT]
    tasks = {c.id: [t for t in cat.tasks_of(c.bureau_id)] for c in contacts}
    out = []
    for i in range(PER_CHAT):
        for c in contacts:
            task = tasks[c.id][i % len(tasks[c.id])]
            key = f"reminder:{task.id}:fanout:{i}:{c.id}"
            out.append(
                NewMessage(
                    key=key, kind="reminder", recipient=c.id, chat_id=c.telegram_id, slot=rt.now(),
                    text=f"⏰ 节点提醒 #{key}\n\n任务 {task.number}：{task.title}",
                    task_id=task.id, bureau_id=c.bureau_id,
                )
            )  # fmt: skip
    return out


async def _fan_out(rig: Rig) -> dict[str, Any]:
    rt = rig.runtime
    messages = _messages(rig)
    await rt.write(Store.outbox_add, messages, rt.now())
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < TIMEOUT:
        await rig.duban.engine.flush()
        counts = rt.reader.outbox_counts()
        if not counts.get("pending") and not counts.get("sending"):
            break
        await asyncio.sleep(0.05)
    took = time.perf_counter() - t0
    keys = {m.key for m in messages}
    delivered: Counter[str] = Counter()
    for chat in {m.chat_id for m in messages}:
        assert chat is not None
        for sent in rig.emu.bot_messages(chat):
            text = sent.get("text", "")
            if "#" in text:
                delivered[text.split("#", 1)[1].split("\n", 1)[0]] += 1
    summary = pacing.summary(s for s in rig.emu.sends if s["method"] == "sendMessage")
    refused = sum(1 for s in rig.emu.sends if not s["ok"])
    return {
        "rate": summary["rate"],
        "max_per_second": summary["max_per_second"],
        "refused_429": refused,
        "lost": len(keys - set(delivered)),
        "doubled": sum(n - 1 for k, n in delivered.items() if k in keys and n > 1),
        "seconds": took,
        "outbox": rt.reader.outbox_counts(),
        "chat_max_per_second": max(c["max_per_second"] for c in summary["chats"].values()),
    }


def _round(dep: Deployment, work: Path, pace: bool) -> dict[str, Any]:
    rig = Rig(dep.copy(work), SimulatedClock(NOW), pace=pace)

    async def body() -> dict[str, Any]:
        await rig.start()
        try:
            result = await _fan_out(rig)
            limiter = rig.app.bot.rate_limiter
            if limiter is not None and hasattr(limiter, "stats"):
                result["limiter"] = limiter.stats()
            return result
        finally:
            await rig.stop()

    return asyncio.run(body())


def fan_out(dep: Deployment, naive_rounds: int = ROUNDS) -> list[Figure]:
    """The bot's pacing and the naive client's, each `ROUNDS` times."""
    paced = Figure("fan-out of 2,000 reminders: achieved rate", "msg/s", 28.5, better="higher")
    naive = Figure("fan-out of 2,000 reminders, naive client: achieved rate", "msg/s", None)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        for fig, pace, rounds in ((paced, True, ROUNDS), (naive, False, naive_rounds)):
            for n in range(rounds):
                r = _round(dep, Path(tmp) / f"{pace}{n}", pace)
                fig.add(r["rate"])
                for key in (
                    "refused_429",
                    "lost",
                    "doubled",
                    "max_per_second",
                    "chat_max_per_second",
                ):
                    fig.extra.setdefault(key, []).append(r[key])
                fig.extra.setdefault("seconds", []).append(round(r["seconds"], 1))
                if "limiter" in r:
                    fig.extra.setdefault("limiter", []).append(r["limiter"])
    paced.note = "mark: 95% of 30 msg/s, with 0 answers 429, 0 lost, 0 doubled"
    if naive.rounds and paced.rounds:
        paced.extra["ratio_to_naive"] = round(paced.median / naive.median, 2)
    return [paced, naive]
