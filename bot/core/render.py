"""Pure rendering helpers: HTML-escaped text and button specs, no telegram imports.

The chat layer turns `Button` rows into an inline keyboard. Callback data is packed by
`bot.core.protocol` (a short code and ids, never a title: Telegram allows 64 bytes).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.i18n import join, paren, t
from bot.core.model import Catalogue, Deadline, Indicator, SubTask, Task
from bot.core.status import ItemStatus, Light, counts

MAX_MESSAGE = 4096
PAGE_BUDGET = 3800  # leave room for a page header and footer

LIGHT_ICON = {"done": "⚪", "green": "🟢", "yellow": "🟡", "red": "🔴"}


@dataclass(frozen=True)
class Button:
    """An inline button: a label and its callback data (≤ 64 bytes)."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.data.encode("utf-8")) <= 64:
            raise ValueError(f"callback data must be 1-64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: HTML text and rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


#: Bidirectional embeddings, overrides and isolates: invisible, they reverse what follows on
#: screen (a note's `进度80%` shown as `%08度进`). The record keeps what was sent; what is shown
#: leaves them out.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """Text as it may be shown: without bidirectional controls."""
    return BIDI_CONTROLS.sub("", text)


def esc(text: object) -> str:
    """Escape catalogue or user text for Telegram's HTML parse mode."""
    return html.escape(shown(str(text)), quote=False)


def local(instant: dt.datetime, catalogue: Catalogue) -> dt.datetime:
    """An instant in the office's time zone."""
    return instant.astimezone(catalogue.tz)


def fmt_time(instant: dt.datetime, catalogue: Catalogue) -> str:
    """`2022-12-30 09:00` in Asia/Shanghai."""
    return local(instant, catalogue).strftime("%Y-%m-%d %H:%M")


def days_left(deadline: Deadline | None, now: dt.datetime, catalogue: Catalogue) -> int | None:
    """Whole days from today (office time) to the deadline's day; negative when overdue."""
    if deadline is None or deadline.due is None:
        return None
    return (deadline.due - local(now, catalogue).date()).days


def deadline_line(deadline: Deadline, now: dt.datetime, catalogue: Catalogue, lang: str) -> str:
    """`2025年底（2025-12-31，还有 30 天）` as the document words it and as a date."""
    text = esc(deadline.text)
    if deadline.due is None:
        return text
    left = days_left(deadline, now, catalogue)
    assert left is not None
    if left > 0:
        when = t(lang, "render.days_left", days=left)
    elif left == 0:
        when = t(lang, "render.due_today")
    else:
        when = t(lang, "render.days_overdue", days=-left)
    return t(lang, "render.deadline_full", text=text, date=deadline.due.isoformat(), when=when)


def bureau_names(catalogue: Catalogue, ids: tuple[str, ...], lang: str) -> str:
    """Bureau names joined with 、 (or 'none')."""
    return join(lang, (esc(catalogue.bureau(b).name) for b in ids)) or t(lang, "word.none")


def task_heading(task: Task, lang: str) -> str:
    """`任务 7：打好蓝天保卫战` in bold."""
    return "<b>" + t(lang, "render.task_heading", number=task.label, title=esc(task.title)) + "</b>"


def document_counts(catalogue: Catalogue, statuses: Iterable[ItemStatus], lang: str) -> list[str]:
    """One line per document: its tasks counted by light (`节水｜…：3 项 🔴0 🟡0 🟢3 ✅0`)."""
    by_task = {s.task_id: s for s in statuses}
    lines = []
    for doc in catalogue.docs:
        mine = [by_task[x.id] for x in catalogue.tasks_in(doc.id) if x.id in by_task]
        c = counts(mine)
        lines.append(
            t(lang, "doc.counts", label=esc(doc.label), title=esc(doc.title), total=len(mine),
              red=c[Light.RED], yellow=c[Light.YELLOW], green=c[Light.GREEN], done=c[Light.DONE])
        )  # fmt: skip
    return lines


def document_line(catalogue: Catalogue, item: Task | Indicator, lang: str) -> str:
    """`📄 节水｜…实施方案（〔2024〕-样例1）`: which document a task or indicator is of."""
    doc = catalogue.document_of(item)
    number = paren(lang, esc(doc.number)) if doc.number else ""
    return t(lang, "doc.line", label=esc(doc.label), title=esc(doc.title), number=number)


def task_card(
    catalogue: Catalogue,
    task: Task,
    subtask: SubTask | None,
    now: dt.datetime,
    lang: str,
    light: str | None = None,
    document: bool = False,
) -> list[str]:
    """What is due: task, sub-item, lead and cooperating units, deadline, days left, light;
    with `document`, first the document it is of."""
    lead = (subtask.lead if subtask and subtask.lead else None) or task.lead
    cooperating = subtask.cooperating if subtask and subtask.lead else task.cooperating
    deadline = (subtask.deadline if subtask else None) or task.deadline
    lines = [document_line(catalogue, task, lang)] if document else []
    lines.append(task_heading(task, lang))
    if subtask is not None:
        lines.append(t(lang, "render.subtask", text=esc(subtask.text)))
    lines.append(t(lang, "render.lead", names=esc(catalogue.bureau(lead).name)))
    if cooperating:
        lines.append(
            t(lang, "render.cooperating", names=bureau_names(catalogue, cooperating, lang))
        )
    lines.append(t(lang, "render.deadline", value=deadline_line(deadline, now, catalogue, lang)))
    if light is not None:
        lines.append(
            t(lang, "render.light", icon=LIGHT_ICON[light], name=t(lang, f"light.{light}"))
        )
    return lines


def paginate(lines: list[str], budget: int = PAGE_BUDGET) -> list[str]:
    """Split lines into pages that fit one message, never cutting a line in two."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if len(line) > budget:  # a single overlong line: cut it at the budget
            line = line[: budget - 1] + "…"
        if current and size + len(line) + 1 > budget:
            pages.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        pages.append("\n".join(current))
    return pages or [""]
