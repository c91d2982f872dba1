"""The division table with progress as an Excel workbook, in the layout the office uses.

Sheets: 分工表 (the attachment's columns plus status, progress, latest note, reporter,
time, days left), 指标, 反馈记录 (the full history), 未回复提醒 (by bureau), 已归档任务.
With `as_of` the workbook shows the table as it stood then, from the append-only history.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.compose import fmt_value, target_text
from bot.core.history import History, Record, StatusUpdate, UpdateKind
from bot.core.i18n import paren, t
from bot.core.model import Catalogue, Deadline, SubTask, Task
from bot.core.ranking import BureauFigures, figures
from bot.core.status import ItemStatus, Light, indicator_status, table_status
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Evidence, Extension

TABLE_WIDTHS = (6, 18, 48, 22, 18, 9, 7, 36, 12, 16, 12)

#: Cell fills of the status column (the office's usual red/yellow/green, grey for closed).
FILLS = {
    Light.RED: "FFC7CE",
    Light.YELLOW: "FFEB9C",
    Light.GREEN: "C6EFCE",
    Light.DONE: "D9D9D9",
    Light.NONE: "FFFFFF",
}
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")


class ArchivedTask(Protocol):
    """What the archive sheet needs of an archived entity."""

    id: str
    title: str
    archived_at: dt.datetime | None


def _text_width(text: str) -> int:
    """Width in Excel column units: a Chinese character is about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def fit_height(ws: Worksheet, row: int, values: Sequence[Any], widths: Sequence[float]) -> None:
    """Set a row's height so wrapped text shows whole (Excel and LibreOffice don't for us)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if value in (None, ""):
            continue
        usable = max(1.0, width - 1.5)
        need = sum(max(1, -(-_text_width(part) // int(usable))) for part in str(value).split("\n"))
        lines = max(lines, need)
    ws.row_dimensions[row].height = 15 * lines + 3


def _fill(light: Light) -> PatternFill:
    return PatternFill("solid", start_color=FILLS[light], end_color=FILLS[light])


def _light_name(light: Light, lang: str) -> str:
    return t(lang, "xlsx.light.none") if light is Light.NONE else t(lang, f"light.{light.value}")


def _status_name(kind: UpdateKind, lang: str) -> str:
    return t(lang, "update.confirmed" if kind is UpdateKind.CLOSED else f"update.{kind.value}")


def _local(when: dt.datetime, catalogue: Catalogue) -> str:
    return when.astimezone(catalogue.tz).strftime("%Y-%m-%d %H:%M")


def _units(catalogue: Catalogue, task: Task, sub: SubTask | None, lang: str) -> str:
    lead = (sub.lead if sub and sub.lead else None) or task.lead
    coop = list(sub.cooperating if sub and sub.lead else task.cooperating)
    names = [catalogue.bureau_name(lead) + t(lang, "xlsx.lead_mark")]
    names += [catalogue.bureau_name(b) for b in coop if b != lead]
    names += [catalogue.bureau_name(b) for b in catalogue.every_task_bureaus()]
    return "\n".join(names)


def _days(deadline: Deadline, light: Light, today: dt.date, lang: str) -> str:
    if light is Light.DONE:
        return t(lang, "xlsx.closed")
    if deadline.due is None:
        return t(lang, "xlsx.ongoing")
    left = (deadline.due - today).days
    if left < 0:
        return t(lang, "xlsx.days_overdue", days=-left)
    return t(lang, "xlsx.days_left", days=left)


def _header(ws: Worksheet, row: int, names: Sequence[str]) -> None:
    for col, name in enumerate(names, 1):
        cell = ws.cell(row=row, column=col, value=name)
        cell.font = Font(bold=True)
        cell.alignment = CENTER
        cell.border = BORDER
        cell.fill = PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7")


def _widths(ws: Worksheet, widths: Iterable[float]) -> None:
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _print_setup(ws: Worksheet, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def _latest(updates: list[StatusUpdate]) -> StatusUpdate | None:
    return updates[-1] if updates else None


def build_workbook(
    catalogue: Catalogue,
    history: History,
    now: dt.datetime,
    *,
    archived: Sequence[Any] = (),
    lang: str = "zh",
    as_of: dt.datetime | None = None,
    extensions: Sequence[Extension] = (),
    evidence: Sequence[Evidence] = (),
    period: tuple[dt.datetime, dt.datetime] | None = None,
) -> bytes:
    """The .xlsx file as bytes (with the sheets of extensions, evidence and the answer
    ranking when given)."""
    when = as_of or now
    hist = history.as_of(when) if as_of is not None else history
    calendar = WorkCalendar(catalogue.calendar)
    record = hist.record()
    statuses = {s.task_id: s for s in table_status(catalogue, record, when, calendar)}
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = t(lang, "xlsx.sheet.table")
    _table_sheet(ws, catalogue, hist, statuses, when, lang)
    _indicator_sheet(
        book.create_sheet(t(lang, "xlsx.sheet.indicators")), catalogue, hist, record, when, lang
    )
    _history_sheet(book.create_sheet(t(lang, "xlsx.sheet.history")), catalogue, hist, lang)
    _unanswered_sheet(
        book.create_sheet(t(lang, "xlsx.sheet.unanswered")), catalogue, record, when, calendar, lang
    )
    _archived_sheet(
        book.create_sheet(t(lang, "xlsx.sheet.archived")), catalogue, hist, archived, lang
    )
    start, end = period or (dt.datetime(1990, 1, 1, tzinfo=dt.UTC), when)
    ranked = figures(catalogue, hist, start, end, calendar, statuses.values())
    _workflow_sheets(book, catalogue, extensions, evidence, ranking_rows(catalogue, ranked), lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    hist: History,
    statuses: dict[str, ItemStatus],
    when: dt.datetime,
    lang: str,
) -> None:
    columns = t(lang, "xlsx.cols.table").split("|")
    width = len(columns)
    today = when.astimezone(catalogue.tz).date()
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    title = ws.cell(
        row=1,
        column=1,
        value=t(lang, "xlsx.title", title=catalogue.document.title, date=today.isoformat()),
    )
    title.font = Font(bold=True, size=14)
    title.alignment = CENTER
    ws.row_dimensions[1].height = 42
    _header(ws, 2, columns)
    row = 3
    for section in catalogue.sections:
        tasks = [x for x in catalogue.tasks if x.section == section.id]
        if not tasks:
            continue
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        cell = ws.cell(row=row, column=1, value=f"{section.number}、{section.title}")
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center")
        cell.fill = PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2")
        row += 1
        for task in sorted(tasks, key=lambda x: x.number):
            row = _task_rows(ws, row, catalogue, hist, task, statuses[task.id], today, lang)
    _widths(ws, TABLE_WIDTHS)
    _print_setup(ws, 2)


def _task_rows(
    ws: Worksheet,
    row: int,
    catalogue: Catalogue,
    hist: History,
    task: Task,
    status: ItemStatus,
    today: dt.date,
    lang: str,
) -> int:
    # A task with sub-items gets a row of its own (任务整体) above them: a task-level answer
    # is the task's, and each sub-item row shows only what was reported on that sub-item.
    items: list[tuple[SubTask | None, ItemStatus]] = [(None, status)]
    if task.subtasks:
        subs = status.subtasks or tuple(status for _ in task.subtasks)  # done: no sub statuses
        items += list(zip(task.subtasks, subs, strict=False))
    first = row
    for sub, st in items:
        light = Light.DONE if status.light is Light.DONE else st.light
        last = _latest(hist.updates_for(task.id, sub.id if sub else None, exact=True))
        light_name = _light_name(light, lang)
        if sub is not None and st.follows_task and light is not Light.DONE:
            light_name += paren(lang, t(lang, "answer.sub_follows_task"))
        deadline = (sub.deadline if sub and sub.deadline else None) or task.deadline
        values: list[Any] = [
            task.number,
            task.title,
            sub.text if sub else (t(lang, "xlsx.task_row") if task.subtasks else task.description),
            _units(catalogue, task, sub, lang),
            deadline.text,
            light_name,
            f"{st.progress}%" if st.progress is not None else "",
            last.note if last else "",
            catalogue.member_name(last.by) if last else "",
            _local(last.at, catalogue) if last else "",
            _days(deadline, light, today, lang),
        ]
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = CENTER if col in (1, 5, 6, 7, 10, 11) else WRAP
            cell.border = BORDER
        ws.cell(row=row, column=6).fill = _fill(light)
        fit_height(ws, row, values, TABLE_WIDTHS)
        row += 1
    if row - first > 1:
        for col in (1, 2):
            ws.merge_cells(start_row=first, start_column=col, end_row=row - 1, end_column=col)
    return row


def _indicator_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    hist: History,
    record: Record,
    when: dt.datetime,
    lang: str,
) -> None:
    _header(ws, 1, t(lang, "xlsx.cols.indicators").split("|"))
    for row, ind in enumerate(catalogue.indicators, 2):
        st = indicator_status(catalogue, ind, record, when)
        values_seen = [r.value for r in hist.readings_for(ind.id) if r.value is not None]
        trend = ""
        if len(values_seen) >= 2:
            a, b = values_seen[-2], values_seen[-1]
            trend = "↑" if b > a else ("↓" if b < a else "→")
        values: list[Any] = [
            ind.name,
            ind.unit,
            target_text(ind, lang),
            fmt_value(ind.baseline) if ind.baseline is not None else "",
            ind.baseline_year or "",
            ind.due.text,
            catalogue.bureau_name(ind.owner),
            st.latest if st.latest is not None else "",
            _local(st.latest_at, catalogue) if st.latest_at else "",
            trend,
            _light_name(st.light, lang),
        ]
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
        ws.cell(row=row, column=11).fill = _fill(st.light)
    _widths(ws, (28, 12, 26, 10, 10, 14, 18, 10, 16, 6, 10))
    _print_setup(ws, 1)


def _history_sheet(ws: Worksheet, catalogue: Catalogue, hist: History, lang: str) -> None:
    _header(ws, 1, t(lang, "xlsx.cols.history").split("|"))
    known = {x.id: x for x in catalogue.tasks}
    for row, u in enumerate(hist.updates, 2):
        task = known.get(u.task_id)
        sub = task.subtask(u.subtask_id) if task and u.subtask_id else None
        values: list[Any] = [
            _local(u.at, catalogue),
            task.number if task else u.task_id,
            task.title if task else u.task_id,
            sub.text if sub else "",
            _status_name(u.kind, lang),
            f"{u.progress}%" if u.progress is not None else "",
            u.note,
            catalogue.member_name(u.by),
            catalogue.bureau_name(u.bureau_id),
            t(lang, "xlsx.corrects", id=u.corrects) if u.corrects else "",
        ]
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
    _widths(ws, (16, 8, 18, 30, 10, 7, 40, 14, 16, 12))
    _print_setup(ws, 1)


def _unanswered_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    record: Record,
    when: dt.datetime,
    calendar: WorkCalendar,
    lang: str,
) -> None:
    _header(ws, 1, t(lang, "xlsx.cols.unanswered").split("|"))
    rows = []
    for p in record.prompts.values():
        if p.answered_at is not None:
            continue
        if p.indicator_id is not None:
            if p.indicator_id not in catalogue.indicator_ids:
                continue
            about = catalogue.indicator(p.indicator_id).name
        else:
            if p.task_id not in catalogue.task_ids or record.closed(p.task_id or "", p.subtask_id):
                continue
            task = catalogue.task(p.task_id or "")
            about = f"{task.number}. {task.title}"
        days = calendar.workdays_between(
            p.at.astimezone(catalogue.tz).date(), when.astimezone(catalogue.tz).date()
        )
        rows.append(
            (
                catalogue.bureau_name(p.bureau_id),
                catalogue.member_name(p.recipient),
                about,
                p.at,
                days,
            )
        )
    rows.sort(key=lambda r: (r[0], r[3]))
    for row, (bureau, contact, about, at, days) in enumerate(rows, 2):
        for col, value in enumerate((bureau, contact, about, _local(at, catalogue), days), 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
    _widths(ws, (20, 18, 40, 16, 12))
    _print_setup(ws, 1)


def _archived_sheet(
    ws: Worksheet, catalogue: Catalogue, hist: History, archived: Sequence[Any], lang: str
) -> None:
    _header(ws, 1, t(lang, "xlsx.cols.archived").split("|"))
    for row, e in enumerate(archived, 2):
        values: list[Any] = [
            e.id,
            e.title,
            _local(e.archived_at, catalogue) if e.archived_at else "",
            len(hist.updates_for(e.id)),
        ]
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
    _widths(ws, (12, 40, 16, 12))
    _print_setup(ws, 1)


def _plain_sheet(
    ws: Worksheet, columns: str, rows: Iterable[Sequence[Any]], widths: Sequence[float]
) -> None:
    _header(ws, 1, columns.split("|"))
    for row, values in enumerate(rows, 2):
        for col, value in enumerate(values, 1):
            cell = ws.cell(row=row, column=col, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
    _widths(ws, widths)
    _print_setup(ws, 1)


def _item(catalogue: Catalogue, task_id: str, subtask_id: str | None) -> tuple[Any, str, str]:
    task = catalogue.task(task_id) if task_id in catalogue.task_ids else None
    sub = task.subtask(subtask_id) if task and subtask_id else None
    return (task.number if task else task_id, task.title if task else "", sub.text if sub else "")


def ranking_rows(catalogue: Catalogue, ranked: Sequence[BureauFigures]) -> list[list[Any]]:
    """The 回复率排行 sheet's rows (rank, bureau, sent, answered, within a working day, rate,
    median hours, follow-ups, escalations, overdue items)."""
    return [
        [
            n, catalogue.bureau_name(f.bureau_id), f.sent, f.answered, f.within_day,
            f"{f.rate:.0%}" if f.rate is not None else "",
            round(f.median_hours, 1) if f.median_hours is not None else "",
            f.followups, f.escalations, f.overdue,
        ]
        for n, f in enumerate(ranked, 1)
    ]  # fmt: skip


def _workflow_sheets(
    book: Workbook,
    catalogue: Catalogue,
    extensions: Sequence[Extension],
    evidence: Sequence[Evidence],
    ranking: Sequence[Sequence[Any]] | None,
    lang: str,
) -> None:
    """延期申请, 佐证材料 and 回复率排行."""
    if extensions:
        rows = [
            [
                e.id, *_item(catalogue, e.task_id, e.subtask_id),
                catalogue.member_name(e.requested_by), catalogue.bureau_name(e.bureau_id),
                _local(e.requested_at, catalogue), e.old_text, e.new_text, e.reason,
                t(lang, f"xlsx.ext_state.{e.state.value}"),
                catalogue.member_name(e.decided_by) if e.decided_by else "",
                _local(e.decided_at, catalogue) if e.decided_at else "", e.note,
            ]
            for e in extensions
        ]  # fmt: skip
        ws = book.create_sheet(t(lang, "xlsx.sheet.extensions"))
        _plain_sheet(ws, t(lang, "xlsx.cols.extensions"), rows,
                     (6, 8, 18, 20, 10, 14, 16, 14, 14, 30, 10, 10, 16, 30))  # fmt: skip
    if evidence:
        rows = [
            [
                *_item(catalogue, v.task_id, v.subtask_id), v.file_name, v.size,
                catalogue.member_name(v.by), _local(v.at, catalogue), v.sha256,
            ]
            for v in evidence
        ]  # fmt: skip
        ws = book.create_sheet(t(lang, "xlsx.sheet.evidence"))
        _plain_sheet(ws, t(lang, "xlsx.cols.evidence"), rows, (8, 18, 20, 24, 10, 10, 16, 66))
    if ranking is not None:
        ws = book.create_sheet(t(lang, "xlsx.sheet.ranking"))
        _plain_sheet(ws, t(lang, "xlsx.cols.ranking"), ranking,
                     (6, 18, 10, 10, 12, 12, 14, 12, 10, 10))  # fmt: skip
