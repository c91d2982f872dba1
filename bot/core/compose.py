"""The text and buttons of each planned message. Pure: no Telegram imports.

A task's reminder, check-in, overdue notice and their follow-ups show the task card and the
five answer buttons; an indicator's check-in and its follow-ups ask for the reading (name,
unit, target, the last value) and carry only 暂无数据/说明: an indicator prompt never records
a task's status.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.history import Record
from bot.core.i18n import colon, join, paren, t
from bot.core.model import Catalogue, Indicator
from bot.core.planner import Due, Kind
from bot.core.protocol import (
    Answer,
    AnswerReading,
    AnswerReminder,
    AskExtension,
    PickStatus,
    PickTask,
    ReadingAction,
    pack,
)
from bot.core.render import (
    PAGE_BUDGET,
    Button,
    Rendered,
    document_line,
    esc,
    fmt_time,
    task_card,
)
from bot.core.status import Light, task_status

#: A recipient with this many messages due at once gets them as one summary.
BUNDLE_AT = 4
#: Items per summary message (each task gets a button; Telegram allows 100 buttons).
BUNDLE_ITEMS = 20


def fmt_value(value: float) -> str:
    """47.5 -> '47.5', 49.0 -> '49', -0.0 -> '0'."""
    return f"{value + 0.0:g}"


def target_text(ind: Indicator, lang: str) -> str:
    """不高于 49 微克/立方米 / 不低于 65 % / 比 2020 年下降 10% 以上."""
    if ind.direction.value == "reduce_by_pct":
        return t(
            lang, "target.reduce_by_pct", year=ind.baseline_year or "", value=fmt_value(ind.target)
        )
    return t(lang, f"target.{ind.direction.value}", value=fmt_value(ind.target), unit=esc(ind.unit))


def example_value(ind: Indicator) -> str:
    """A plausible example number for the indicator's check-in."""
    if ind.direction.value == "reduce_by_pct":
        return "8.5"
    return fmt_value(round(ind.target * 0.97, 1)) if ind.target else "12"


def answer_buttons(lang: str, extend: bool = False) -> tuple[tuple[Button, ...], ...]:
    """已完成 / 正常推进 / 存在风险 / 遇到困难 / 补充说明 under a reminder, two to a row; with
    `extend`, 申请延期 beside 补充说明 (an item with a deadline)."""

    def b(answer: Answer) -> Button:
        name = answer.kind.value if answer.kind else "note"
        return Button(t(lang, f"button.{name}"), pack(AnswerReminder(answer)))

    last: tuple[Button, ...] = (b(Answer.NOTE),)
    if extend:
        last += (Button(t(lang, "button.extend"), pack(AskExtension())),)
    return (
        (b(Answer.DONE), b(Answer.ON_TRACK)),
        (b(Answer.AT_RISK), b(Answer.BLOCKED)),
        last,
    )


def status_buttons(lang: str, task_id: str) -> tuple[tuple[Button, ...], ...]:
    """The same five answers for a task picked with /update."""

    def b(answer: Answer) -> Button:
        name = answer.kind.value if answer.kind else "note"
        return Button(t(lang, f"button.{name}"), pack(PickStatus(task_id, answer)))

    return (
        (b(Answer.DONE), b(Answer.ON_TRACK)),
        (b(Answer.AT_RISK), b(Answer.BLOCKED)),
        (b(Answer.NOTE),),
    )


def reading_buttons(lang: str) -> tuple[tuple[Button, ...], ...]:
    """暂无数据/说明 under an indicator prompt."""
    return ((Button(t(lang, "button.no_data"), pack(AnswerReading(ReadingAction.NO_DATA))),),)


def compose(
    catalogue: Catalogue, record: Record, due: Due, now: dt.datetime, lang: str
) -> Rendered:
    """The message for a planned item, in the table's language."""
    if due.kind is Kind.ESCALATION:
        return Rendered(_escalation(catalogue, due, lang))
    if due.indicator_id is not None:
        return _reading(catalogue, record, due, lang)
    assert due.task_id is not None
    task = catalogue.task(due.task_id)
    sub = task.subtask(due.subtask_id) if due.subtask_id else None
    status = task_status(catalogue, task, record, now)
    if due.kind is Kind.REMINDER:
        head = t(lang, "msg.reminder", days=due.offset_days)
    elif due.kind is Kind.CHECKIN:
        head = t(lang, "msg.checkin")
    elif due.kind is Kind.OVERDUE:
        head = t(lang, "msg.overdue")
    else:  # follow-up
        date = fmt_time(due.ref_at, catalogue)[:10] if due.ref_at else ""
        head = t(lang, "msg.followup", date=date)
    light = status.light.value if status.light is not Light.NONE else None
    named = catalogue.spans_documents(due.bureau_id)  # a bureau in several documents
    lines = [head, "", *task_card(catalogue, task, sub, now, lang, light, named)]
    if status.progress is not None:
        lines.append(t(lang, "status.progress", progress=status.progress))
    lines += ["", t(lang, "msg.answer_hint")]
    if due.late:
        lines.append(t(lang, "msg.late", slot=fmt_time(due.slot, catalogue)))
    deadline = (sub.deadline if sub else None) or task.deadline
    return Rendered("\n".join(lines), answer_buttons(lang, extend=deadline.due is not None))


def latest_text(catalogue: Catalogue, record: Record, ind: Indicator, lang: str) -> str:
    """The last value reported (with its time), or 暂无."""
    latest = record.latest_reading(ind.id)
    if latest is None or latest.value is None:
        return t(lang, "indicator.no_reading")
    when = fmt_time(latest.at, catalogue)
    return f"{fmt_value(latest.value)} {esc(ind.unit)}" + paren(lang, when)


def _reading(catalogue: Catalogue, record: Record, due: Due, lang: str) -> Rendered:
    assert due.indicator_id is not None
    ind = catalogue.indicator(due.indicator_id)
    text = t(
        lang,
        "indicator.checkin",
        name=esc(ind.name),
        unit=esc(ind.unit),
        target=target_text(ind, lang),
        due=esc(ind.due.text),
        latest=latest_text(catalogue, record, ind, lang),
        example=example_value(ind),
    )
    if catalogue.spans_documents(due.bureau_id):
        text = document_line(catalogue, ind, lang) + "\n" + text
    if due.kind is Kind.FOLLOWUP:
        date = fmt_time(due.ref_at, catalogue)[:10] if due.ref_at else ""
        text = t(lang, "msg.followup_reading", date=date) + "\n\n" + text
    if due.late:
        text += "\n" + t(lang, "msg.late", slot=fmt_time(due.slot, catalogue))
    return Rendered(text, reading_buttons(lang))


def _escalation(catalogue: Catalogue, due: Due, lang: str) -> str:
    bureau = catalogue.bureau_name(due.bureau_id)
    contacts = (
        join(lang, (esc(c.name) for c in catalogue.bureau(due.bureau_id).contacts))
        if due.bureau_id and due.bureau_id in catalogue.bureau_ids
        else ""
    )
    date = fmt_time(due.ref_at, catalogue)[:10] if due.ref_at else ""
    if due.indicator_id is not None:
        subject = t(
            lang, "msg.subject_indicator", name=esc(catalogue.indicator(due.indicator_id).name)
        )
    else:
        task = catalogue.task(due.task_id or "")
        subject = t(lang, "msg.subject_task", number=task.label, title=esc(task.title))
    return t(
        lang,
        "msg.escalation",
        bureau=esc(bureau),
        subject=subject,
        count=catalogue.policy.max_followups,
        date=date,
        contacts=contacts or t(lang, "word.none"),
    )


@dataclass(frozen=True)
class Chunk:
    """One message of a summary and the planned items it carries."""

    items: tuple[Due, ...]
    rendered: Rendered


def _bundle_row(catalogue: Catalogue, d: Due, lang: str) -> str:
    if d.indicator_id is not None:
        ind = catalogue.indicator(d.indicator_id)
        what = t(lang, "msg.what.reading", id=ind.id)
        return f"• {esc(ind.name)}{colon(lang)}{what}"
    assert d.task_id is not None
    task = catalogue.task(d.task_id)
    key = {
        Kind.REMINDER: "msg.what.reminder",
        Kind.CHECKIN: "msg.what.checkin",
        Kind.OVERDUE: "msg.what.overdue",
    }.get(d.kind, "msg.what.followup")
    what = t(lang, key, days=d.offset_days)
    if d.subtask_id:
        sub = task.subtask(d.subtask_id)
        if sub is not None:
            what += paren(lang, esc(sub.text[:20]) + "…")
    return t(lang, "msg.catch_up_row", number=task.label, title=esc(task.title), what=what)


def compose_bundle(catalogue: Catalogue, items: list[Due], lang: str) -> list[Chunk]:
    """Several due messages for one recipient as a summary: as many messages as it takes,
    each within Telegram's limit, each with a button per task it lists."""
    late = all(d.late for d in items)
    rows = [(d, _bundle_row(catalogue, d, lang)) for d in items]
    groups: list[list[tuple[Due, str]]] = [[]]
    size = 0
    for d, row in rows:
        if groups[-1] and (
            size + len(row) + 1 > PAGE_BUDGET - 400 or len(groups[-1]) >= BUNDLE_ITEMS
        ):
            groups.append([])
            size = 0
        groups[-1].append((d, row))
        size += len(row) + 1
    chunks = []
    for n, group in enumerate(groups, 1):
        head = t(lang, "msg.catch_up") if late else t(lang, "msg.bundle", count=len(items))
        if len(groups) > 1:
            head += " " + t(lang, "status.page", page=n, pages=len(groups))
        lines = [head, "", *(row for _, row in group), "", t(lang, "msg.bundle_hint")]
        buttons: list[tuple[Button, ...]] = []
        seen: set[str] = set()
        for d, _ in group:
            if d.task_id is None or d.indicator_id is not None or d.task_id in seen:
                continue
            seen.add(d.task_id)
            task = catalogue.task(d.task_id)
            buttons.append((Button(f"{task.label}. {task.title[:14]}", pack(PickTask(task.id))),))
        chunks.append(Chunk(tuple(d for d, _ in group), Rendered("\n".join(lines), tuple(buttons))))
    return chunks
