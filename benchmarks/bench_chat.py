"""What users wait for on the large deployment: answers to presses and replies, /status, a tick,
and answers while the weekly digest is built.

Each round gets a fresh copy of the deployment and a started bot (`Rig`): the real PTB
application, engine and writer thread on the copy, against the emulator in the same event loop,
on a clock standing at `data.NOW`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROUNDS, Figure, percentile
from benchmarks.data import NOW, Deployment
from benchmarks.rig import EmulatorServer, Rig, Stamps, TimingHttpRequest, prompts, start_runtime
from bot.core.clock import FixedClock
from bot.core.history import UpdateKind
from bot.core.i18n import t
from bot.core.planner import plan
from bot.core.render import paginate
from bot.engine import compose_messages
from bot.service import views
from storage.repo import Store

PRESSES = 100
REPLY = "进度60%，已完成主体工程，正在组织验收"
REPLY_GAP = 0.1  # seconds between replies: ten a second


def _label(rig: Rig, key: str) -> str:
    return t(rig.runtime.lang, key)


async def _answers_round(rig: Rig, tag: str) -> tuple[list[float], list[float], list[float]]:
    """Check-ins to PRESSES contacts; each presses 正常推进, then replies with a note: first
    ten replies a second (a check-in's answers coming in), then back to back (faster than
    Telegram lets a bot answer: 30 messages a second overall, so each acknowledgement waits
    its turn in the sending limiter)."""
    contacts = sorted(rig.chats, key=lambda m: rig.chats[m])
    contacts = [c for c in contacts if rig.runtime.catalogue.contact_or_none(c)][:PRESSES]
    messages = await rig.send_prompts(contacts, tag)
    presses: list[float] = []
    replies: list[float] = []
    on_track = _label(rig, "button.on_track")
    for member in contacts:
        m = messages[member]
        rig.emu.press(m["chat"]["id"], m["message_id"], text=on_track, chat_id=m["chat"]["id"])
        presses += await rig.pump()
    for member in contacts:
        m = messages[member]
        rig.emu.user_message(m["chat"]["id"], REPLY, reply_to=m["message_id"])
        replies += await rig.pump()
        await asyncio.sleep(REPLY_GAP)
    rushed: list[float] = []
    for member in contacts:
        m = messages[member]
        rig.emu.user_message(m["chat"]["id"], REPLY + "。补充", reply_to=m["message_id"])
        rushed += await rig.pump()
    return presses, replies, rushed


def answers(dep: Deployment, work: Path) -> list[Figure]:
    """Press and reply, recorded and acknowledged: p99 inside the bot."""
    press = Figure("press → recorded and acknowledged, in the bot, p99", "ms", 50)
    reply = Figure("reply → recorded and acknowledged, in the bot, p99 (10 a second)", "ms", 50)
    rushed = Figure(
        "replies back to back → acknowledged, in the bot, p99", "ms", None,
        note="faster than Telegram accepts a bot's messages: the answers wait their turn at "
        "30 messages a second overall (the sending limiter)",
    )  # fmt: skip
    for n in range(ROUNDS):
        rig = Rig(dep.copy(work / f"answers{n}"), FixedClock(NOW))

        async def body(rig: Rig = rig, n: int = n) -> tuple[list[float], list[float], list[float]]:
            await rig.start()
            try:
                return await _answers_round(rig, f"bench{n}")
            finally:
                await rig.stop()

        p, r, b = asyncio.run(body())
        press.add(percentile(p, 99) * 1000)
        reply.add(percentile(r, 99) * 1000)
        rushed.add(percentile(b, 99) * 1000)
        rushed.extra.setdefault("p50_ms", []).append(round(percentile(b, 50) * 1000, 2))
        press.extra.setdefault("p50_ms", []).append(round(percentile(p, 50) * 1000, 2))
        reply.extra.setdefault("p50_ms", []).append(round(percentile(r, 50) * 1000, 2))
        press.extra["samples_per_round"] = len(p)
        reply.extra["samples_per_round"] = len(r)
    return [press, reply, rushed]


async def _answers_between(rig: Rig, rng: random.Random, count: int) -> None:
    """A few answers recorded as the bot records them (each task's light changes only with
    its own answers, and /status recomputes the lights of the tasks that changed)."""
    rt = rig.runtime
    for _ in range(count):
        task = rng.choice(rt.catalogue.tasks)
        kind = rng.choice([UpdateKind.ON_TRACK, UpdateKind.AT_RISK, UpdateKind.BLOCKED])
        await rt.write(
            Store.add_update, task_id=task.id, kind=kind, by="bench", at=rt.now(),
            bureau_id=task.lead, note="进度正常",
        )  # fmt: skip


async def _views_round(
    rig: Rig, rng: random.Random, calls: int = 30, between: int = 5
) -> dict[str, list[float]]:
    """/status overview and drill-downs, with `between` answers recorded before each."""
    rt = rig.runtime
    cat = rt.catalogue
    out: dict[str, list[float]] = {"overview": [], "task": [], "bureau": []}
    for _ in range(calls):
        await _answers_between(rig, rng, between)
        world = rt.world()
        t0 = time.perf_counter()
        paginate(views.overview_lines(world, rt.record, rt.reader))
        out["overview"].append(time.perf_counter() - t0)
        task = rng.choice(cat.tasks)
        t0 = time.perf_counter()
        paginate(views.task_lines(world, rt.record, rt.reader, task))
        out["task"].append(time.perf_counter() - t0)
        bureau = rng.choice(cat.bureaus)
        t0 = time.perf_counter()
        paginate(views.bureau_lines(world, rt.record, bureau.id))
        out["bureau"].append(time.perf_counter() - t0)
    return out


def status_and_tick(dep: Deployment, work: Path) -> list[Figure]:
    """/status views (p95), a tick with nothing due, planning with many messages due."""
    figs = {
        "overview": Figure("/status overview, p95 (5 answers recorded before each)", "ms", 100),
        "task": Figure("/status task drill-down, p95", "ms", 100),
        "bureau": Figure("/status bureau drill-down, p95", "ms", 100),
    }
    tick = Figure("scheduler tick, nothing due (median of 10)", "ms", 20)
    planning = Figure("planning with messages due", "ms", 100)
    rng = random.Random(7)
    for n in range(ROUNDS):
        rig = Rig(dep.copy(work / f"status{n}"), FixedClock(NOW))

        async def body(rig: Rig = rig) -> tuple[dict[str, list[float]], list[float], float, int]:
            await rig.start()
            try:
                v = await _views_round(rig, rng)
                ticks = []
                for _ in range(10):
                    t0 = time.perf_counter()
                    sent = await rig.duban.engine.tick()
                    ticks.append(time.perf_counter() - t0)
                    assert sent == 0
                rt = rig.runtime
                later = rt.world(NOW + dt.timedelta(days=1))
                t0 = time.perf_counter()
                due = plan(later.catalogue, later.now, rt.record, later.calendar)
                took = time.perf_counter() - t0
                t0 = time.perf_counter()
                compose_messages(later, rt.record, [d for d in due if d.recipient in later.chats])
                planning.extra["compose_ms"] = round((time.perf_counter() - t0) * 1000, 1)
                return v, ticks, took, len(due)
            finally:
                await rig.stop()

        v, ticks, took, count = asyncio.run(body())
        for key, fig in figs.items():
            fig.add(percentile(v[key], 95) * 1000)
        tick.add(sorted(ticks)[len(ticks) // 2] * 1000)
        tick.extra.setdefault("max_ms", []).append(round(max(ticks) * 1000, 2))
        planning.add(took * 1000)
        planning.extra["due"] = count
    planning.name = f"planning with {planning.extra['due']:,} messages due"
    return [*figs.values(), tick, planning]


async def _presses_meanwhile(
    rig: Rig, task: asyncio.Task[Any], messages: dict[str, dict[str, Any]]
) -> list[float]:
    """Presses, one every 25 ms, for as long as `task` runs (or the prompts last)."""
    on_track = _label(rig, "button.on_track")
    out: list[float] = []
    for m in messages.values():
        if task.done():
            break
        rig.emu.press(m["chat"]["id"], m["message_id"], text=on_track, chat_id=m["chat"]["id"])
        out += await rig.pump()
        await asyncio.sleep(0.025)
    return out


def answers_during_digest(dep: Deployment, work: Path) -> list[Figure]:
    """Presses while the weekly digest (text, chart, workbook) is built, as the engine builds
    it (worker threads reading their own connection)."""
    fig = Figure("press while the weekly digest is built, in the bot, p99", "ms", 50)
    for n in range(ROUNDS):
        rig = Rig(dep.copy(work / f"digest-press{n}"), FixedClock(NOW))

        async def body(rig: Rig = rig) -> tuple[list[float], float]:
            await rig.start()
            try:
                rt = rig.runtime
                contacts = [c.id for c in rt.catalogue.contacts()]
                # the prompts first: sending them is not what is measured
                messages = await rig.send_prompts(contacts, "digest")
                from benchmarks.bench_digest import build

                t0 = time.perf_counter()
                task = asyncio.create_task(build(rig))
                await asyncio.sleep(0)
                samples = await _presses_meanwhile(rig, task, messages)
                await task
                return samples, time.perf_counter() - t0
            finally:
                await rig.stop()

        samples, took = asyncio.run(body())
        fig.add(percentile(samples, 99) * 1000)
        fig.extra.setdefault("presses", []).append(len(samples))
        fig.extra.setdefault("digest_s", []).append(round(took, 2))
    return [fig]


async def _http_round(dep: Deployment, presses: int) -> tuple[list[float], list[float]]:
    """The bot polling the emulator over HTTP; (end-to-end, in-bot) seconds per press."""
    server = EmulatorServer()
    base = server.start()
    emu = server.emu
    assert emu is not None
    stamps = Stamps()
    runtime = start_runtime(dep, FixedClock(NOW))
    from benchmarks.data import chat_ids
    from bot.app import Duban

    chats = chat_ids(runtime.catalogue)

    def users() -> None:
        for member, user in chats.items():
            emu.add_user(user, runtime.member_name(member)).started = True

    await server.call(users)
    duban = Duban(
        runtime,
        "123456:BENCH",
        base_url=base,
        tick_seconds=3600,
        watch=False,
        request=TimingHttpRequest(stamps, connection_pool_size=16),
    )
    return await _http_presses(server, duban, runtime, chats, stamps, presses)


async def _http_presses(
    server: EmulatorServer,
    duban: Any,
    runtime: Any,
    chats: dict[str, int],
    stamps: Stamps,
    count: int,
) -> tuple[list[float], list[float]]:
    from benchmarks.rig import _timed_process_update

    emu = server.emu
    assert emu is not None
    _timed_process_update(duban, stamps)
    app = duban.app
    loop = asyncio.get_running_loop()
    answered = asyncio.Event()
    emu.on_answer = lambda: loop.call_soon_threadsafe(answered.set)
    await app.initialize()
    await duban._post_init(app)
    await app.updater.start_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)
    await app.start()
    e2e: list[float] = []
    inside: list[float] = []
    try:
        contacts = [c.id for c in runtime.catalogue.contacts()][:count]
        due = prompts(runtime, contacts, "http")
        await runtime.write(
            _outbox_add, compose_messages(runtime.world(), runtime.record, due), runtime.now()
        )
        await duban.engine.flush()
        label = t(runtime.lang, "button.on_track")
        for d in due:
            chat = chats[d.recipient]
            mids = await server.call(lambda chat=chat: emu.bot_messages(chat))
            m = next(x for x in reversed(mids) if "reply_markup" in x)
            qid = await server.call(
                lambda m=m, chat=chat: emu.press(chat, m["message_id"], text=label, chat_id=chat)
            )
            while qid not in emu.answered:
                answered.clear()
                await asyncio.wait_for(answered.wait(), 10)
            e2e.append(emu.answered[qid] - emu.acted[qid])
            t0 = stamps.updates[-1]
            inside.append(stamps.first_request_after(t0))
    finally:
        await app.updater.stop()
        await app.stop()
        await duban._post_shutdown(app)
        await app.shutdown()
        runtime.close()
        duban.inbox.close()
        server.stop()
    return e2e, inside


def _outbox_add(store: Any, messages: Any, at: Any) -> Any:
    return store.outbox_add(messages, at)


def end_to_end(dep: Deployment, work: Path) -> list[Figure]:
    """A press through the emulator over HTTP: from the user's press at the emulator to the
    bot's answer arriving there (long polling, the production transport)."""
    e2e = Figure("press end to end over HTTP (emulator → bot → emulator), p99", "ms", None)
    for n in range(ROUNDS):
        copy = dep.copy(work / f"http{n}")
        outside, inside = asyncio.run(_http_round(copy, PRESSES))
        e2e.add(percentile(outside, 99) * 1000)
        e2e.extra.setdefault("p50_ms", []).append(round(percentile(outside, 50) * 1000, 2))
        e2e.extra.setdefault("in_bot_p99_ms", []).append(round(percentile(inside, 99) * 1000, 2))
    return [e2e]


def run_all(dep: Deployment) -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        work = Path(tmp)
        return [
            *answers(dep, work),
            *end_to_end(dep, work),
            *status_and_tick(dep, work),
            *answers_during_digest(dep, work),
        ]
