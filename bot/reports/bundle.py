"""The digest, its attachments and /export's workbook, each built in a process of its own
from the database (a connection of its own): each reads only what it shows.

* `chart`: the current state and the indicators' readings.
* `workbook` (/export): the current state and every answer (as of a date: the history up to
  it, folded).
* `digest` (the weekly digest): its text, the chart and every answer as CSV in one process,
  a workbook of the week (its 反馈记录 sheet holds the week's answers) in another, side by
  side.

Why processes: building them is pure Python for seconds (styling cells, drawing, writing
XML). In a thread of the bot's own process it holds the interpreter's lock long enough that
answers to button presses waited up to 0.7 s meanwhile; a process of its own (started fresh,
`spawn`: nothing of the bot's threads or connections is inherited) leaves the bot alone. The
callers await it from a thread, which only waits.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from bot.core.history import Reading, Record
from bot.service.base import World
from storage.repo import Store

#: The period of the digest's workbook.
WEEK = dt.timedelta(days=7)
#: Before anything duban records (the export's answer ranking covers everything).
EPOCH = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)

T = TypeVar("T")


@dataclass(frozen=True)
class DigestFiles:
    """What goes with the weekly digest."""

    png: bytes
    xlsx: bytes
    csv: bytes
    answers: int  # rows of the CSV


#: Build in processes of their own (what the bot does). The in-process tests of chat
#: behaviour build in their own process instead, to save three interpreter starts per digest
#: (tests/conftest.py); the end-to-end tests and tests/reports keep the processes.
SEPARATE_PROCESSES = True


def _start(fn: Callable[..., T], *args: Any) -> tuple[ProcessPoolExecutor | None, Future[T]]:
    if not SEPARATE_PROCESSES:
        done: Future[T] = Future()
        done.set_result(fn(*args))
        return None, done
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return pool, pool.submit(fn, *args)


def in_process(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in a fresh process (`fn` and the arguments are pickled: a World's chats
    and leaves go as plain dicts); this thread waits for it."""
    pool, future = _start(fn, *args)
    try:
        return future.result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)


def _portable(world: World) -> World:
    """The world as a spawned process can receive it (read-only views become dicts)."""
    return replace(
        world, chats=dict(world.chats), leaves=dict(world.leaves), deputies=dict(world.deputies)
    )


def _readings(store: Store) -> dict[str, list[Reading]]:
    return _by_indicator(store.readings())


def _by_indicator(readings: Iterable[Reading]) -> dict[str, list[Reading]]:
    out: dict[str, list[Reading]] = defaultdict(list)
    for r in readings:
        out[r.indicator_id].append(r)
    return out


def _values(readings: dict[str, list[Reading]]) -> dict[str, list[float]]:
    return {k: [r.value for r in rs if r.value is not None] for k, rs in readings.items()}


def workbook(
    db_path: Path | str,
    world: World,
    as_of: dt.datetime | None = None,
    document: str | None = None,
) -> bytes:
    """The division table with progress and every answer, as .xlsx bytes (`document`, an id:
    that document's alone, among several)."""
    return in_process(make_workbook, str(db_path), _portable(world), as_of, document)


def make_workbook(
    db_path: str, world: World, as_of: dt.datetime | None = None, document: str | None = None
) -> bytes:
    """`workbook`, in this process."""
    from bot.reports.excel import (
        WorkbookData,
        build_workbook,
        in_document,
        ranking_of,
        write_workbook,
    )
    from bot.reports.scope import only

    store = Store.open(db_path, create=False)
    try:
        archived = store.entities("task", archived=True)
        extensions = store.extensions(as_of=as_of)
        evidence = store.evidence(as_of=as_of)
        if as_of is not None:
            history = store.history()
        else:
            record = store.record()
            everything = store.history_since(EPOCH)  # every answer, reading and message, once
            answers = Counter(u.task_id for u in everything.updates)
            data = WorkbookData(
                record,
                everything.updates,
                _values(_by_indicator(everything.readings)),
                archived,
                {e.id: answers[e.id] for e in archived},
                extensions=extensions,
                evidence=evidence,
                ranking=ranking_of(
                    world.catalogue,
                    everything,
                    record,
                    world.now,
                    lang=world.lang,
                    document=document,
                ),
            )
    finally:
        store.close()
    if as_of is not None:
        return build_workbook(
            world.catalogue, history, as_of, archived=archived, lang=world.lang, as_of=as_of,
            extensions=extensions, evidence=evidence, document=document,
        )  # fmt: skip
    catalogue = world.catalogue
    if document is not None:
        catalogue, data = only(catalogue, document), in_document(catalogue, document, data)
    return write_workbook(catalogue, data, world.now, lang=world.lang)


def chart(db_path: Path | str, world: World) -> bytes:
    """The status chart as PNG bytes."""
    return in_process(make_chart, str(db_path), _portable(world))


def make_chart(db_path: str, world: World) -> bytes:
    """`chart`, in this process."""
    store = Store.open(db_path, create=False)
    try:
        return _chart_from(store, world, store.record())
    finally:
        store.close()


def _chart_from(store: Store, world: World, record: Record) -> bytes:
    from bot.reports.chart import render_chart_of

    readings = _readings(store)
    return render_chart_of(world.catalogue, record, readings, world.now, lang=world.lang)


def digest(db_path: Path | str, world: World) -> tuple[str, DigestFiles]:
    """The weekly digest's text and files: two processes side by side (the text, the chart
    and the CSV; the workbook of the week), about the same work each. (Three, one per file,
    took longer on two cores: each process's start and imports cost most of a second.)"""
    portable, path = _portable(world), str(db_path)
    text_pool, text_job = _start(make_digest_text_and_csv, path, portable)
    book_pool, book_job = _start(make_digest_workbook, path, portable)
    try:
        text, png, data, count = text_job.result()
        xlsx = book_job.result()
    finally:
        for pool in (text_pool, book_pool):
            if pool is not None:
                pool.shutdown(wait=True)
    return text, DigestFiles(png, xlsx, data, count)


def make_digest_text_and_csv(db_path: str, world: World) -> tuple[str, bytes, bytes, int]:
    """The digest's text, its chart and every answer as CSV, in this process."""
    text, png = make_digest_text(db_path, world)
    data, count = make_digest_csv(db_path, world)
    return text, png, data, count


def make_digest_text(db_path: str, world: World) -> tuple[str, bytes]:
    """The digest's text and chart, in this process (one connection, the state read once)."""
    from bot.reports.digest import digest_from

    store = Store.open(db_path, create=False)
    try:
        record = store.record()
        return digest_from(store, world, record), _chart_from(store, world, record)
    finally:
        store.close()


def make_digest_workbook(db_path: str, world: World) -> bytes:
    """The workbook of the week, in this process."""
    from bot.reports.excel import WorkbookData, ranking_of, write_workbook

    since = world.now - WEEK
    store = Store.open(db_path, create=False)
    try:
        record: Record = store.record()
        readings = _readings(store)
        archived = store.entities("task", archived=True)
        counts = {e.id: len(store.updates(e.id)) for e in archived}
        extensions, evidence = store.extensions(), store.evidence()
        period = store.history_since(since)  # the week's answers and messages
    finally:
        store.close()
    week = [u for u in period.updates if u.at > since]
    ranking = ranking_of(
        world.catalogue, period, record, world.now, (since, world.now), lang=world.lang
    )
    data = WorkbookData(
        record, week, _values(readings), archived, counts, since, extensions, evidence, ranking
    )
    return write_workbook(world.catalogue, data, world.now, lang=world.lang)


def make_digest_csv(db_path: str, world: World) -> tuple[bytes, int]:
    """Every answer as CSV, and how many, in this process."""
    from bot.core.gcpause import paused_gc
    from bot.reports.excel import history_csv

    store = Store.open(db_path, create=False)
    try:
        with paused_gc():  # 100,000 answers that all stay alive until written
            answers = store.updates()
    finally:
        store.close()
    return history_csv(world.catalogue, answers, world.lang), len(answers)
