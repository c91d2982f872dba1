"""The division table with progress as an Excel workbook, in the layout the office uses.

Sheets: 分工表 (the attachment's columns plus status, progress, latest note, reporter,
time, days left), 指标, 反馈记录 (the full history), 未回复提醒 (by bureau), 已归档任务, and
when there are any 延期申请, 佐证材料 and 回复率排行.
With `as_of` the workbook shows the table as it stood then, from the append-only history.

A bot that follows several documents (issue #15) gets one 分工表 sheet per document
(`分工表-节水`, under that document's title and 文号), and every other sheet a first column
文件 naming the document of each row; the ranking is then the one over every document
followed by each document's own. A workbook of one document (`document=`, `in_document`,
`bot.reports.scope.only`) is laid out as a single table's.

The weekly digest's workbook is one of the period: its 反馈记录 sheet holds the last week's
answers (`WorkbookData.since`), and the full history goes beside it as CSV (`history_csv`),
which any spreadsheet opens: three years of answers (100,000 rows) take a second as CSV and
a minute as styled cells. Styles are registered with the workbook once and copied to each
cell (`_Styles`), and merges are added without openpyxl's check of every earlier merge.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.compose import fmt_value, target_text
from bot.core.history import History, Record, StatusUpdate, UpdateKind
from bot.core.i18n import paren, t
from bot.core.model import Catalogue, Deadline, SubTask, Task
from bot.core.ranking import BureauFigures, figures
from bot.core.series import still_asked
from bot.core.status import ItemStatus, Light, indicator_status, table_status
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Evidence, Extension
from bot.reports.scope import belongs, bureaus_named, history_in, only, owner

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
#: What an Excel sheet name may not hold, and its longest.
SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
SHEET_NAME_MAX = 31
#: The width of the 文件 column (several documents).
DOCUMENT_WIDTH = 12


class ArchivedTask(Protocol):
    """What the archive sheet needs of an archived entity."""

    id: str
    title: str
    archived_at: dt.datetime | None


@dataclass(frozen=True)
class WorkbookData:
    """What a workbook shows: the state (as of its date), the answers of the 反馈记录 sheet
    (all of them, or those after `since`), each indicator's values in order, the archived
    tasks and how many answers each has."""

    record: Record
    updates: Sequence[StatusUpdate]
    values: Mapping[str, Sequence[float]] = field(default_factory=dict)
    archived: Sequence[Any] = ()
    archived_counts: Mapping[str, int] = field(default_factory=dict)
    since: dt.datetime | None = None
    extensions: Sequence[Extension] = ()
    evidence: Sequence[Evidence] = ()
    ranking: Sequence[Sequence[Any]] | None = None  # 回复率排行 rows (`ranking_rows`)


class _Styles:
    """Cell styles registered with a workbook once, then copied to each cell: assigning a
    style object to a cell makes openpyxl look it up in the workbook's tables (hashing it),
    which took most of a large table's time."""

    def __init__(self, ws: Worksheet) -> None:
        self.ws = ws
        self._made: dict[str, StyleArray] = {}

    def get(self, name: str, **attrs: Any) -> StyleArray:
        """The style `name`, made from `attrs` (font, alignment, border, fill) the first time."""
        found = self._made.get(name)
        if found is None:
            cell = Cell(self.ws)
            for key, value in attrs.items():
                setattr(cell, key, value)
            found = self._made[name] = cell._style
        return found

    def put(self, row: int, col: int, value: Any, style: StyleArray) -> Cell:
        """Write a value with a style (characters a worksheet cannot hold, such as control
        characters someone typed in chat, become spaces: the database keeps them)."""
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
        cell = self.ws.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # what someone typed is text, never a formula
        cell._style = copy(style)
        return cell

    def cell(self) -> StyleArray:
        return self.get("cell", alignment=WRAP, border=BORDER)

    def centred(self) -> StyleArray:
        return self.get("centred", alignment=CENTER, border=BORDER)

    def light(self, light: Light) -> StyleArray:
        name = f"light.{light.value}"  # the fill made only the first time (a table asks 4,000)
        found = self._made.get(name)
        if found is not None:
            return found
        return self.get(name, alignment=CENTER, border=BORDER, fill=_fill(light))

    def wrapped(self, light: Light) -> StyleArray:
        name = f"wrapped.{light.value}"
        found = self._made.get(name)
        if found is not None:
            return found
        return self.get(name, alignment=WRAP, border=BORDER, fill=_fill(light))


def _merge(
    ws: Worksheet, ranges: Iterable[tuple[int, int, int, int]], style: StyleArray | None = None
) -> None:
    """Merge cell ranges (min_row, min_col, max_row, max_col) that do not overlap, as
    `ws.merge_cells` does (every cell but the top left one becomes a `MergedCell`), without
    comparing each range with every earlier one (quadratic: three seconds for a 1,000-task
    table) and giving the covered cells the top left cell's `style` (its border) outright."""
    merged = []
    for r1, c1, r2, c2 in ranges:
        merged.append(CellRange(min_col=c1, min_row=r1, max_col=c2, max_row=r2))
        for row in range(r1, r2 + 1):
            for col in range(c1 + (row == r1), c2 + 1):
                cell = MergedCell(ws, row=row, column=col)
                if style is not None:
                    cell._style = copy(style)
                ws._cells[(row, col)] = cell
    ws.merged_cells = MultiCellRange([*ws.merged_cells.ranges, *merged])


def _text_width(text: str) -> int:
    """Width in Excel column units: a Chinese character is about two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


@lru_cache(maxsize=8192)
def _lines(text: str, width: float) -> int:
    """Lines a text wraps to in a column (a table repeats its titles, units and dates)."""
    usable = max(1.0, width - 1.5)
    return sum(max(1, -(-_text_width(part) // int(usable))) for part in text.split("\n"))


def fit_height(ws: Worksheet, row: int, values: Sequence[Any], widths: Sequence[float]) -> None:
    """Set a row's height so wrapped text shows whole (Excel and LibreOffice don't for us)."""
    lines = 1
    for value, width in zip(values, widths, strict=False):
        if value in (None, ""):
            continue
        lines = max(lines, _lines(str(value), width))
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


def _header(styles: _Styles, row: int, names: Sequence[str]) -> None:
    style = styles.get(
        "header", font=Font(bold=True), alignment=CENTER, border=BORDER,
        fill=PatternFill("solid", start_color="DDEBF7", end_color="DDEBF7"),
    )  # fmt: skip
    for col, name in enumerate(names, 1):
        styles.put(row, col, name, style)


def _widths(ws: Worksheet, widths: Iterable[float]) -> None:
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def sheet_name(text: str, taken: Collection[str] = ()) -> str:
    """A worksheet name Excel accepts: none of []:*?/\\, no apostrophe first or last, at most
    31 characters, unlike every name in `taken` (Excel ignores case)."""
    base = SHEET_NAME_BAD.sub("_", text).strip("'")[:SHEET_NAME_MAX] or "_"
    used = {n.lower() for n in taken}
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = base[: SHEET_NAME_MAX - len(f"~{n}")] + f"~{n}"
    return name


def _number(task: Task) -> int | str:
    """The 序号 cell: `7`, or `节水-2` for another document's task (several documents)."""
    return task.label if task.prefix else task.number


def _columns(catalogue: Catalogue, key: str, lang: str) -> list[str]:
    """A sheet's column names; with several documents, 文件 first."""
    names = t(lang, key).split("|")
    return [t(lang, "xlsx.col.document"), *names] if catalogue.several else names


def _of(catalogue: Catalogue, item_id: str | None) -> list[Any]:
    """The 文件 cell of a row about this task or indicator (none for a single document)."""
    return [owner(catalogue, item_id).label] if catalogue.several else []


def _sized(catalogue: Catalogue, widths: Sequence[float]) -> tuple[float, ...]:
    """Column widths, with the 文件 column's first when there are several documents."""
    return (DOCUMENT_WIDTH, *widths) if catalogue.several else tuple(widths)


def _print_setup(ws: Worksheet, header_row: int) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)


def history_data(
    history: History, archived: Sequence[Any] = (), since: dt.datetime | None = None
) -> WorkbookData:
    """What a workbook shows, from a history (the state folded from it)."""
    return WorkbookData(
        record=history.record(),
        updates=[u for u in history.updates if since is None or u.at > since],
        values={
            ind: [r.value for r in history.readings_for(ind) if r.value is not None]
            for ind in {r.indicator_id for r in history.readings}
        },
        archived=archived,
        archived_counts={e.id: len(history.updates_for(e.id)) for e in archived},
        since=since,
    )


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
    document: str | None = None,
) -> bytes:
    """The .xlsx file as bytes from a history (`as_of`: the table as it stood then), with
    the sheets of extensions and evidence when given and the answer ranking over `period`
    (by default everything up to the workbook's date); `document` (an id): that document's
    alone, among several."""
    when = as_of or now
    hist = history.as_of(when) if as_of is not None else history
    data = history_data(hist, archived)
    ranking = ranking_of(catalogue, hist, data.record, when, period, lang=lang, document=document)
    data = replace(data, extensions=extensions, evidence=evidence, ranking=ranking)
    if document is not None:
        catalogue, data = only(catalogue, document), in_document(catalogue, document, data)
    return write_workbook(catalogue, data, when, lang=lang)


def in_document(catalogue: Catalogue, document_id: str, data: WorkbookData) -> WorkbookData:
    """What a workbook of one document shows of `data` (its ranking, made by `ranking_of`
    for the document, is kept as it is); a single table's: all of it."""
    if not catalogue.several:
        return data
    mine = belongs(catalogue, document_id)
    archived = [e for e in data.archived if mine(e.id)]
    return replace(
        data,
        updates=[u for u in data.updates if mine(u.task_id)],
        values={k: v for k, v in data.values.items() if mine(k)},
        archived=archived,
        archived_counts={k: n for k, n in data.archived_counts.items() if mine(k)},
        extensions=[e for e in data.extensions if mine(e.task_id)],
        evidence=[v for v in data.evidence if mine(v.task_id)],
    )


def ranking_of(
    catalogue: Catalogue,
    history: History,
    record: Record,
    when: dt.datetime,
    period: tuple[dt.datetime, dt.datetime] | None = None,
    *,
    lang: str = "zh",
    document: str | None = None,
) -> list[list[Any]]:
    """The 回复率排行 sheet's rows over `period` (by default everything up to `when`).

    Several documents: the ranking over all of them (文件 全部), then each document's over
    its own reminders, tasks and the bureaus it names, each row led by its 文件; with
    `document` (an id), that document's alone, without the 文件 column."""
    calendar = WorkCalendar(catalogue.calendar)
    start, end = period or (dt.datetime(1990, 1, 1, tzinfo=dt.UTC), when)
    statuses = table_status(catalogue, record, when, calendar)
    if not catalogue.several:
        return ranking_rows(catalogue, figures(catalogue, history, start, end, calendar, statuses))

    def of(doc_id: str) -> list[list[Any]]:
        one = only(catalogue, doc_id)
        named = bureaus_named(one)
        ranked = figures(one, history_in(catalogue, doc_id, history), start, end, calendar,
                         statuses)  # fmt: skip
        return ranking_rows(catalogue, [f for f in ranked if f.bureau_id in named])

    if document is not None:
        return of(document)
    everything = figures(catalogue, history, start, end, calendar, statuses)
    rows = [[t(lang, "xlsx.all_documents"), *r] for r in ranking_rows(catalogue, everything)]
    for doc in catalogue.docs:
        rows += [[doc.label, *r] for r in of(doc.id)]
    return rows


def write_workbook(
    catalogue: Catalogue, data: WorkbookData, when: dt.datetime, *, lang: str = "zh"
) -> bytes:
    """The .xlsx file as bytes, showing `data` as of `when`."""
    calendar = WorkCalendar(catalogue.calendar)
    record = data.record
    statuses = {s.task_id: s for s in table_status(catalogue, record, when, calendar)}
    book = Workbook()
    ws = book.active
    assert ws is not None
    if catalogue.several:
        _table_sheets(book, ws, catalogue, record, statuses, when, lang)
    else:
        ws.title = t(lang, "xlsx.sheet.table")
        _table_sheet(ws, catalogue, record, statuses, when, lang)
    _indicator_sheet(
        book.create_sheet(t(lang, "xlsx.sheet.indicators")), catalogue, data, when, lang
    )
    history_title = (
        t(lang, "xlsx.sheet.history")
        if data.since is None
        else t(lang, "xlsx.sheet.history_since", days=max(1, (when - data.since).days))
    )
    _history_sheet(book.create_sheet(history_title), catalogue, data.updates, lang)
    _unanswered_sheet(
        book.create_sheet(t(lang, "xlsx.sheet.unanswered")), catalogue, record, when, calendar, lang
    )
    _archived_sheet(book.create_sheet(t(lang, "xlsx.sheet.archived")), catalogue, data, lang)
    _workflow_sheets(book, catalogue, data.extensions, data.evidence, data.ranking, lang)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _table_sheets(
    book: Workbook,
    first: Worksheet,
    catalogue: Catalogue,
    record: Record,
    statuses: dict[str, ItemStatus],
    when: dt.datetime,
    lang: str,
) -> None:
    """分工表 once per document (`分工表-节水`), each under its document's title and 文号."""
    names: list[str] = []
    for doc in catalogue.docs:
        names.append(sheet_name(f"{t(lang, 'xlsx.sheet.table')}-{doc.label}", names))
        ws = first if len(names) == 1 else book.create_sheet(names[-1])
        ws.title = names[-1]
        title = t(lang, "xlsx.doc_title", label=doc.label, title=doc.title)
        title += paren(lang, doc.number) if doc.number else ""
        _table_sheet(ws, only(catalogue, doc.id), record, statuses, when, lang, title)


def _table_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    record: Record,
    statuses: dict[str, ItemStatus],
    when: dt.datetime,
    lang: str,
    title: str | None = None,
) -> None:
    styles = _Styles(ws)
    columns = t(lang, "xlsx.cols.table").split("|")
    width = len(columns)
    today = when.astimezone(catalogue.tz).date()
    merges = [(1, 1, 1, width)]
    heading = t(lang, "xlsx.title", title=title or catalogue.document.title, date=today.isoformat())
    styles.put(
        1, 1, heading, styles.get("title", font=Font(bold=True, size=14), alignment=CENTER)
    )  # fmt: skip
    ws.row_dimensions[1].height = 42
    _header(styles, 2, columns)
    section_style = styles.get(
        "section", font=Font(bold=True), alignment=Alignment(vertical="center"),
        fill=PatternFill("solid", start_color="F2F2F2", end_color="F2F2F2"),
    )  # fmt: skip
    by_section: dict[str, list[Task]] = {}
    for task in catalogue.tasks:
        by_section.setdefault(task.section, []).append(task)
    row, blocks = 3, []
    for section in catalogue.sections:
        tasks = by_section.get(section.id, [])
        if not tasks:
            continue
        merges.append((row, 1, row, width))
        styles.put(row, 1, f"{section.number}、{section.title}", section_style)
        row += 1
        for task in sorted(tasks, key=lambda x: x.number):
            first = row
            row = _task_rows(styles, row, catalogue, record, task, statuses[task.id], today, lang)
            if row - first > 1:
                blocks += [(first, col, row - 1, col) for col in (1, 2)]
    _merge(ws, merges)
    _merge(ws, blocks, styles.centred())
    _widths(ws, TABLE_WIDTHS)
    _print_setup(ws, 2)


def _task_rows(
    styles: _Styles,
    row: int,
    catalogue: Catalogue,
    record: Record,
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
    cell, centred = styles.cell(), styles.centred()
    for sub, st in items:
        light = Light.DONE if status.light is Light.DONE else st.light
        last = record.item(task.id, sub.id if sub else None).last  # the item's own latest
        light_name = _light_name(light, lang)
        if sub is not None and st.follows_task and light is not Light.DONE:
            light_name += paren(lang, t(lang, "answer.sub_follows_task"))
        deadline = (sub.deadline if sub and sub.deadline else None) or task.deadline
        values: list[Any] = [
            _number(task),
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
            if col == 6:
                styles.put(row, col, value, styles.light(light))
            else:
                styles.put(row, col, value, centred if col in (1, 5, 7, 10, 11) else cell)
        fit_height(styles.ws, row, values, TABLE_WIDTHS)
        row += 1
    return row


def _indicator_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    data: WorkbookData,
    when: dt.datetime,
    lang: str,
) -> None:
    styles = _Styles(ws)
    _header(styles, 1, _columns(catalogue, "xlsx.cols.indicators", lang))
    cell = styles.cell()
    light_col = 11 + catalogue.several  # the 状态 column, after 文件 when there is one
    for row, ind in enumerate(catalogue.indicators, 2):
        st = indicator_status(catalogue, ind, data.record, when)
        values_seen = data.values.get(ind.id, ())
        trend = ""
        if len(values_seen) >= 2:
            a, b = values_seen[-2], values_seen[-1]
            trend = "↑" if b > a else ("↓" if b < a else "→")
        values: list[Any] = [
            *_of(catalogue, ind.id),
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
            styles.put(row, col, value, styles.wrapped(st.light) if col == light_col else cell)
    _widths(ws, _sized(catalogue, (28, 12, 26, 10, 10, 14, 18, 10, 16, 6, 10)))
    _print_setup(ws, 1)


def history_rows(
    catalogue: Catalogue, updates: Iterable[StatusUpdate], lang: str
) -> Iterable[list[Any]]:
    """The 反馈记录 columns of each answer (the sheet and the CSV)."""
    known = {x.id: x for x in catalogue.tasks}
    for u in updates:
        task = known.get(u.task_id)
        sub = task.subtask(u.subtask_id) if task and u.subtask_id else None
        yield [
            *_of(catalogue, u.task_id),
            _local(u.at, catalogue),
            _number(task) if task else u.task_id,
            task.title if task else u.task_id,
            sub.text if sub else "",
            _status_name(u.kind, lang),
            f"{u.progress}%" if u.progress is not None else "",
            u.note,
            catalogue.member_name(u.by),
            catalogue.bureau_name(u.bureau_id),
            t(lang, "xlsx.corrects", id=u.corrects) if u.corrects else "",
        ]


def history_csv(catalogue: Catalogue, updates: Iterable[StatusUpdate], lang: str = "zh") -> bytes:
    """Every answer as CSV (UTF-8 with a byte order mark, so Excel reads the Chinese), with
    the 反馈记录 sheet's columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_columns(catalogue, "xlsx.cols.history", lang))
    writer.writerows([_csv_safe(v) for v in r] for r in history_rows(catalogue, updates, lang))
    return out.getvalue().encode("utf-8-sig")


def _csv_safe(value: object) -> object:
    """A text Excel would read as a formula (=, +, -, @ first) is quoted with an apostrophe:
    what someone typed in chat stays text when the office opens the CSV."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def _history_sheet(
    ws: Worksheet, catalogue: Catalogue, updates: Sequence[StatusUpdate], lang: str
) -> None:
    styles = _Styles(ws)
    _header(styles, 1, _columns(catalogue, "xlsx.cols.history", lang))
    cell = styles.cell()
    for row, values in enumerate(history_rows(catalogue, updates, lang), 2):
        for col, value in enumerate(values, 1):
            styles.put(row, col, value, cell)
    _widths(ws, _sized(catalogue, (16, 8, 18, 30, 10, 7, 40, 14, 16, 12)))
    _print_setup(ws, 1)


def _unanswered_sheet(
    ws: Worksheet,
    catalogue: Catalogue,
    record: Record,
    when: dt.datetime,
    calendar: WorkCalendar,
    lang: str,
) -> None:
    styles = _Styles(ws)
    _header(styles, 1, _columns(catalogue, "xlsx.cols.unanswered", lang))
    rows = []
    for p in record.prompts.values():
        if p.answered_at is not None or not still_asked(catalogue, record, p):
            continue
        if p.indicator_id is not None:
            if p.indicator_id not in catalogue.indicator_ids:
                continue
            about = catalogue.indicator(p.indicator_id).name
        else:
            if p.task_id not in catalogue.task_ids or record.closed(p.task_id or "", p.subtask_id):
                continue
            task = catalogue.task(p.task_id or "")
            about = f"{task.label}. {task.title}"
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
                _of(catalogue, p.indicator_id or p.task_id),
            )
        )
    rows.sort(key=lambda r: (r[0], r[3]))
    cell = styles.cell()
    for row, (bureau, contact, about, at, days, doc) in enumerate(rows, 2):
        values = (*doc, bureau, contact, about, _local(at, catalogue), days)
        for col, value in enumerate(values, 1):
            styles.put(row, col, value, cell)
    _widths(ws, _sized(catalogue, (20, 18, 40, 16, 12)))
    _print_setup(ws, 1)


def _archived_sheet(ws: Worksheet, catalogue: Catalogue, data: WorkbookData, lang: str) -> None:
    styles = _Styles(ws)
    _header(styles, 1, _columns(catalogue, "xlsx.cols.archived", lang))
    cell = styles.cell()
    for row, e in enumerate(data.archived, 2):
        values: list[Any] = [
            *_of(catalogue, e.id),
            e.id,
            e.title,
            _local(e.archived_at, catalogue) if e.archived_at else "",
            data.archived_counts.get(e.id, 0),
        ]
        for col, value in enumerate(values, 1):
            styles.put(row, col, value, cell)
    _widths(ws, _sized(catalogue, (12, 40, 16, 12)))
    _print_setup(ws, 1)


def _plain_sheet(
    ws: Worksheet, columns: Sequence[str], rows: Iterable[Sequence[Any]], widths: Sequence[float]
) -> None:
    styles = _Styles(ws)
    _header(styles, 1, columns)
    for row, values in enumerate(rows, 2):
        for col, value in enumerate(values, 1):
            styles.put(row, col, value, styles.cell())
    _widths(ws, widths)
    _print_setup(ws, 1)


def _item(catalogue: Catalogue, task_id: str, subtask_id: str | None) -> tuple[Any, str, str]:
    task = catalogue.task(task_id) if task_id in catalogue.task_ids else None
    sub = task.subtask(subtask_id) if task and subtask_id else None
    return (_number(task) if task else task_id, task.title if task else "", sub.text if sub else "")


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
                *_of(catalogue, e.task_id), e.id, *_item(catalogue, e.task_id, e.subtask_id),
                catalogue.member_name(e.requested_by), catalogue.bureau_name(e.bureau_id),
                _local(e.requested_at, catalogue), e.old_text, e.new_text, e.reason,
                t(lang, f"xlsx.ext_state.{e.state.value}"),
                catalogue.member_name(e.decided_by) if e.decided_by else "",
                _local(e.decided_at, catalogue) if e.decided_at else "", e.note,
            ]
            for e in extensions
        ]  # fmt: skip
        ws = book.create_sheet(t(lang, "xlsx.sheet.extensions"))
        _plain_sheet(ws, _columns(catalogue, "xlsx.cols.extensions", lang), rows,
                     _sized(catalogue, (6, 8, 18, 20, 10, 14, 16, 14, 14, 30, 10, 10, 16, 30)))  # fmt: skip
    if evidence:
        rows = [
            [
                *_of(catalogue, v.task_id), *_item(catalogue, v.task_id, v.subtask_id),
                v.file_name, v.size,
                catalogue.member_name(v.by), _local(v.at, catalogue), v.sha256,
            ]
            for v in evidence
        ]  # fmt: skip
        ws = book.create_sheet(t(lang, "xlsx.sheet.evidence"))
        _plain_sheet(ws, _columns(catalogue, "xlsx.cols.evidence", lang), rows,
                     _sized(catalogue, (8, 18, 20, 24, 10, 10, 16, 66)))  # fmt: skip
    if ranking is not None:
        ws = book.create_sheet(t(lang, "xlsx.sheet.ranking"))
        _plain_sheet(ws, _columns(catalogue, "xlsx.cols.ranking", lang), ranking,
                     _sized(catalogue, (6, 18, 10, 10, 12, 12, 14, 12, 10, 10)))  # fmt: skip
