"""The digest's attachments and /export's workbook, built from the database in a worker
thread with a connection of its own (they read the whole history)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.service.base import World
from storage.repo import Store


def workbook(db_path: Path | str, world: World, as_of: dt.datetime | None = None) -> bytes:
    """The division table with progress as .xlsx bytes."""
    from bot.reports.excel import build_workbook

    store = Store.open(db_path, create=False)
    try:
        history = store.history()
        archived = store.entities("task", archived=True)
        extensions = store.extensions(as_of=as_of)
        evidence = store.evidence(as_of=as_of)
    finally:
        store.close()
    return build_workbook(
        world.catalogue,
        history,
        as_of or world.now,
        archived=archived,
        lang=world.lang,
        as_of=as_of,
        extensions=extensions,
        evidence=evidence,
    )


def chart(db_path: Path | str, world: World) -> bytes:
    """The status chart as PNG bytes."""
    from bot.reports.chart import render_chart

    store = Store.open(db_path, create=False)
    try:
        history = store.history()
    finally:
        store.close()
    return render_chart(world.catalogue, history, world.now, lang=world.lang)


def chart_and_workbook(db_path: Path | str, world: World) -> tuple[bytes, bytes]:
    """Both, for the weekly digest."""
    return chart(db_path, world), workbook(db_path, world)
