"""What the dashboard shows, as plain data: the table's rows with their lights, filtered and
sorted; a task's timeline; per-bureau figures. Built from the catalogue, the current state
(`Record`) and the clock, with the same light rules as chat (`bot.core.status`).

With several documents the overview also counts each document's tasks by light, can be
narrowed to one document (`?doc=`), and groups the rows by document, then by section.

Pure: no aiohttp, Telegram or SQLite imports (the server passes in what it read).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from bot.core.history import Reading, Record, StatusUpdate
from bot.core.model import Catalogue, Document, Section, SubTask, Task
from bot.core.series import still_asked
from bot.core.status import ItemStatus, Light, counts, is_overdue, table_status
from bot.core.workdays import WorkCalendar

#: The lights a task can have, worst first (the filter's choices and the counts' order).
TASK_LIGHTS = (Light.RED, Light.YELLOW, Light.GREEN, Light.DONE)
MAX_QUERY = 100


@dataclass(frozen=True)
class Filters:
    """The overview's filters, from the page's query string (unknown values are dropped)."""

    bureau: str = ""  # a bureau id: tasks it leads or cooperates on
    doc: str = ""  # a document's id (several documents only): its tasks
    light: str = ""  # red, yellow, green, done
    section: str = ""  # a section id
    overdue: bool = False  # 逾期 only
    q: str = ""  # a task number or words
    red_first: bool = False  # sort each section red first (else by number, as the table)

    @classmethod
    def parse(cls, query: Mapping[str, str], catalogue: Catalogue) -> Filters:
        """Filters from a query string; anything not in the table is ignored."""
        bureau = catalogue.resolve_bureau(query.get("bureau", "")[:MAX_QUERY])
        light = query.get("light", "")
        doc = catalogue.find_document(query.get("doc", "")[:MAX_QUERY])
        # a section of another document than the one picked is dropped with the rest
        sections = {s.id for s in catalogue.sections if doc is None or _in(catalogue, s, doc)}
        section = query.get("section", "")
        return cls(
            bureau=bureau.id if bureau else "",
            doc=doc.id if doc else "",
            light=light if light in {x.value for x in TASK_LIGHTS} else "",
            section=section if section in sections else "",
            overdue=query.get("overdue", "") in ("1", "on", "true"),
            q=" ".join(query.get("q", "").split())[:MAX_QUERY],
            red_first=query.get("sort", "") == "red",
        )

    @property
    def active(self) -> bool:
        """Whether anything is filtered out (sorting alone filters nothing)."""
        return bool(self.doc or self.bureau or self.light or self.section or self.overdue or self.q)

    def query(self, **changes: object) -> str:
        """The query string of these filters with some changed (`?…`, or '' when empty)."""
        f = replace(self, **changes)  # type: ignore[arg-type]
        pairs = [
            ("doc", f.doc),
            ("bureau", f.bureau),
            ("light", f.light),
            ("section", f.section),
            ("overdue", "1" if f.overdue else ""),
            ("q", f.q),
            ("sort", "red" if f.red_first else ""),
        ]
        text = urlencode([(k, v) for k, v in pairs if v])
        return "?" + text if text else ""


@dataclass(frozen=True)
class SubRow:
    """A sub-item under its task."""

    sub: SubTask
    status: ItemStatus
    lead: str  # bureau id (the task's lead when the sub-item names none)
    cooperating: tuple[str, ...]


@dataclass(frozen=True)
class TaskRow:
    """A task as the overview shows it."""

    task: Task
    status: ItemStatus
    overdue: bool
    last: StatusUpdate | None  # the latest answer about the task or any of its sub-items
    subs: tuple[SubRow, ...] = ()


@dataclass(frozen=True)
class DocumentFigures:
    """One document's tasks by light (several documents: the cards atop the overview)."""

    document: Document
    counts: dict[Light, int]
    total: int
    overdue: int = 0


Groups = list[tuple[Section, list[TaskRow]]]


@dataclass(frozen=True)
class Overview:
    """The table at a glance: counts of the whole table (of the document picked, if one is),
    the rows the filters keep under their sections; with several documents, each document's
    counts, and the rows under each document when none is picked (`by_document`)."""

    counts: dict[Light, int]
    total: int
    groups: Groups
    filters: Filters
    shown: int = 0
    now: dt.datetime | None = None
    overdue: int = 0
    claims: int = 0
    documents: tuple[DocumentFigures, ...] = ()
    by_document: list[tuple[Document, Groups]] = field(default_factory=list)


def _last(status: ItemStatus) -> StatusUpdate | None:
    found = [u for u in (status.last, *(s.last for s in status.subtasks)) if u is not None]
    return max(found, key=lambda u: u.id) if found else None


def task_row(catalogue: Catalogue, task: Task, status: ItemStatus) -> TaskRow:
    """One task with its sub-items (each with its own light and units)."""
    subs = []
    for sub, st in zip(task.subtasks, status.subtasks, strict=False):
        lead = sub.lead or task.lead
        cooperating = sub.cooperating if sub.lead else ()
        subs.append(SubRow(sub, st, lead, cooperating))
    return TaskRow(task, status, is_overdue(status), _last(status), tuple(subs))


def _words(catalogue: Catalogue, task: Task) -> str:
    parts = [task.title, task.description, task.source, *(s.text for s in task.subtasks)]
    parts += [catalogue.bureau_name(b) for b in (task.lead, *task.cooperating)]
    return " ".join(parts).casefold()


def _in(catalogue: Catalogue, item: Task | Section, doc: Document) -> bool:
    """Whether a task or section belongs to a document."""
    return catalogue.document_of(item).id == doc.id


def matches(catalogue: Catalogue, row: TaskRow, f: Filters) -> bool:
    """Whether a task passes the filters."""
    task = row.task
    if f.doc and catalogue.document_of(task).id != f.doc:
        return False
    if f.section and task.section != f.section:
        return False
    if f.light and row.status.light.value != f.light:
        return False
    if f.overdue and not row.overdue:
        return False
    if f.bureau and task not in catalogue.tasks_of(f.bureau):
        return False
    if f.q:
        q = f.q.strip().lstrip("#").removeprefix("任务").strip()
        if q.casefold() == task.label.casefold():
            return True
        if q.isdigit():
            return task.number == int(q)
        text = _words(catalogue, task)
        return all(word.casefold() in text for word in f.q.split())
    return True


def overview(
    catalogue: Catalogue, record: Record, now: dt.datetime, calendar: WorkCalendar, f: Filters
) -> Overview:
    """Counts by light over the whole table (or the document picked); the tasks the filters
    keep, under their sections (table order, or red first on demand), and with several
    documents and none picked, under their documents."""
    statuses = table_status(catalogue, record, now, calendar)
    rows = [task_row(catalogue, t, s) for t, s in zip(catalogue.tasks, statuses, strict=True)]
    kept = [r for r in rows if matches(catalogue, r, f)]
    groups = _by_section(catalogue.sections, kept, f.red_first)
    by_document: list[tuple[Document, Groups]] = []
    if catalogue.several and not f.doc:
        for doc in catalogue.docs:
            sections = [s for s in catalogue.sections if _in(catalogue, s, doc)]
            mine = _by_section(sections, kept, f.red_first)
            if mine:
                by_document.append((doc, mine))
    scope = [r for r in rows if not f.doc or catalogue.document_of(r.task).id == f.doc]
    return Overview(
        counts=counts([r.status for r in scope]),
        total=len(scope),
        groups=groups,
        filters=f,
        shown=len(kept),
        now=now,
        overdue=sum(1 for r in scope if r.overdue),
        claims=sum(1 for r in scope if r.status.claim is not None),
        documents=document_figures(catalogue, rows),
        by_document=by_document,
    )


def _by_section(sections: Iterable[Section], rows: list[TaskRow], red_first: bool) -> Groups:
    groups: Groups = []
    for section in sections:
        mine = [r for r in rows if r.task.section == section.id]
        if red_first:
            mine.sort(key=lambda r: (r.status.light.rank, r.task.order))
        if mine:
            groups.append((section, mine))
    return groups


def document_figures(catalogue: Catalogue, rows: list[TaskRow]) -> tuple[DocumentFigures, ...]:
    """Each document's tasks by light, in the config's order (() for a single table)."""
    if not catalogue.several:
        return ()
    out = []
    for doc in catalogue.docs:
        mine = [r for r in rows if catalogue.document_of(r.task).id == doc.id]
        out.append(
            DocumentFigures(
                doc, counts([r.status for r in mine]), len(mine), sum(r.overdue for r in mine)
            )
        )
    return tuple(out)


@dataclass(frozen=True)
class Event:
    """One line of a task's history: an answer or decision, or an indicator reading."""

    at: dt.datetime
    by: str  # member id
    update: StatusUpdate | None = None
    reading: Reading | None = None
    order: tuple[int, int] = (0, 0)


def timeline(updates: list[StatusUpdate], readings: list[Reading]) -> list[Event]:
    """Every status update (claims and decisions included) and reading, newest first."""
    events = [Event(u.at, u.by, update=u, order=(0, u.id)) for u in updates]
    events += [Event(r.at, r.by, reading=r, order=(1, r.id)) for r in readings]
    events.sort(key=lambda e: (e.at, e.order), reverse=True)
    return events


@dataclass(frozen=True)
class BureauFigures:
    """A bureau's tasks by light (as lead and as cooperating unit) and what it owes."""

    bureau_id: str
    lead: dict[Light, int] = field(default_factory=dict)
    cooperating: dict[Light, int] = field(default_factory=dict)
    overdue_lead: int = 0
    unanswered: int = 0  # latest prompts to its contacts still unanswered
    claims: int = 0  # its completion claims awaiting a decision
    contacts: int = 0
    bound: int = 0


def bureau_figures(
    catalogue: Catalogue,
    record: Record,
    now: dt.datetime,
    calendar: WorkCalendar,
    bound: frozenset[str],
) -> list[BureauFigures]:
    """Per bureau, in table order."""
    statuses = {
        s.task_id: s for s in table_status(catalogue, record, now, calendar) if s is not None
    }
    unanswered: dict[str, int] = {}
    for p in record.prompts.values():
        if p.answered_at is None and p.bureau_id and still_asked(catalogue, record, p):
            unanswered[p.bureau_id] = unanswered.get(p.bureau_id, 0) + 1
    out = []
    for b in catalogue.bureaus:
        lead: dict[Light, int] = dict.fromkeys(TASK_LIGHTS, 0)
        coop: dict[Light, int] = dict.fromkeys(TASK_LIGHTS, 0)
        overdue = claims = 0
        for task in catalogue.tasks_of(b.id):
            st = statuses[task.id]
            if task.lead == b.id:
                lead[st.light] += 1
                overdue += is_overdue(st)
            else:
                coop[st.light] += 1
            claims += sum(1 for c in record.claims(task.id) if c.bureau_id == b.id)
        out.append(
            BureauFigures(
                b.id,
                lead,
                coop,
                overdue,
                unanswered.get(b.id, 0),
                claims,
                len(b.contacts),
                sum(1 for c in b.contacts if c.id in bound),
            )
        )
    return out
