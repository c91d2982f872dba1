"""The domain: the division table (分工表) as frozen dataclasses.

Plain data only: no telegram, sqlite or scheduler imports (a test holds that line).
Bureau references inside the catalogue are bureau ids; the loader resolves the
names and aliases an admin writes in `tasks.yaml` to ids.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo


class DeadlineKind(StrEnum):
    """How a 完成时限 is meant: a fixed due date, or ongoing work (持续推进)."""

    FIXED = "fixed"
    ONGOING = "ongoing"


@dataclass(frozen=True)
class Deadline:
    """A 完成时限 as the document words it, with its structured reading.

    `due` is the last day: for FIXED the due date ("2022年底" -> 2022-12-31); for
    ONGOING the staged milestone ("持续推进，2025年底取得阶段成效" -> 2025-12-31),
    or None when the work is ongoing without a milestone.
    """

    text: str
    kind: DeadlineKind
    due: dt.date | None
    milestone: str = ""
    original: str = ""  # an approved extension's deadline: the YAML's wording (`text` shows both)

    @property
    def yaml_text(self) -> str:
        """The deadline as the table words it (before any approved extension)."""
        return self.original or self.text

    def due_at(self, tz: ZoneInfo) -> dt.datetime | None:
        """The instant the deadline passes: the end of the due day in `tz`."""
        if self.due is None:
            return None
        return dt.datetime.combine(self.due, dt.time(23, 59, 59), tzinfo=tz)

    @property
    def is_ongoing(self) -> bool:
        """True for 持续推进 work."""
        return self.kind is DeadlineKind.ONGOING


class Role(StrEnum):
    """Who someone is to the bot."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CONTACT = "contact"


@dataclass(frozen=True)
class Contact:
    """A bureau's contact person (联络员), who gets the reminders and answers them."""

    id: str
    name: str
    bureau_id: str
    title: str = ""
    telegram_id: int | None = None
    phone: str = ""
    placeholder: bool = False
    deputy: str | None = None  # a colleague of the bureau who receives while this one is away


@dataclass(frozen=True)
class Person:
    """An admin (管理员) or coordinator (督办员) of the district office."""

    id: str
    name: str
    roles: frozenset[Role]
    telegram_id: int | None = None
    title: str = ""
    placeholder: bool = False


@dataclass(frozen=True)
class Bureau:
    """A responsible unit (责任单位) with its canonical name and spelling variants."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    contacts: tuple[Contact, ...] = ()
    every_task: bool = False  # 各街道、镇: implements every task without being listed

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by every alias."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Section:
    """A heading of the attachment (一、优化国土空间开发保护格局)."""

    id: str
    number: str
    title: str
    document: str = ""  # the document's id in a config of several documents


class Cadence(StrEnum):
    """How often an ongoing task or an indicator is checked in on."""

    NONE = "none"
    WEEKLY = "weekly"
    BIWEEKLY = "biweekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    HALF_YEARLY = "half_yearly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class PolicyOverride:
    """Per-task changes to the reminder policy; None keeps the catalogue default."""

    reminder_offsets_days: tuple[int, ...] | None = None
    remind_cooperating: bool | None = None
    checkin: Cadence | None = None
    followup_after_workdays: int | None = None
    max_followups: int | None = None
    overdue_every_days: int | None = None
    overdue_slowdown_after: int | None = None
    yellow_window_days: int | None = None
    require_evidence_for_done: bool | None = None


@dataclass(frozen=True)
class Policy:
    """The reminder policy (提醒规则): when and whom the bot chases."""

    send_time: dt.time = dt.time(9, 0)
    working_hours: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(18, 0))
    reminder_offsets_days: tuple[int, ...] = (90, 30, 14, 7, 3, 1)
    remind_cooperating: bool = True
    checkin: Cadence = Cadence.MONTHLY
    followup_after_workdays: int = 3
    max_followups: int = 2
    overdue_every_days: int = 7
    overdue_slowdown_after: int = 4  # then monthly; 0 = never slow down
    digest_weekday: int = 1  # ISO weekday, 1 = Monday
    yellow_window_days: int = 30
    catch_up_grace_hours: int = 24
    #: A completion claim asks for evidence (佐证材料); None: yes for items with a milestone.
    require_evidence_for_done: bool | None = None

    def for_task(self, override: PolicyOverride | None) -> Policy:
        """This policy with a task's overrides applied."""
        if override is None:
            return self
        changes = {k: v for k, v in vars(override).items() if v is not None}
        return replace(self, **changes)


@dataclass(frozen=True)
class SubTask:
    """A sub-item of a task (the table's second column), optionally with its own units."""

    id: str
    text: str
    lead: str | None = None  # bureau id; None = the task's lead
    cooperating: tuple[str, ...] = ()
    deadline: Deadline | None = None  # None = the task's deadline


@dataclass(frozen=True)
class Task:
    """A numbered task (工作任务) of the division table."""

    id: str
    number: int
    section: str  # section id
    title: str
    lead: str  # bureau id of the 牵头单位
    cooperating: tuple[str, ...]  # bureau ids of the 配合单位
    deadline: Deadline
    description: str = ""
    subtasks: tuple[SubTask, ...] = ()
    policy: PolicyOverride | None = None
    cooperating_open: bool = False  # the table adds 等有关部门 after the 配合单位
    source: str = ""  # where the wording comes from (the body's paragraph)
    #: In a config of several documents: the document's id; tasks of the first (primary)
    #: document keep their ids as written, the others' are `<document>.<id>`.
    document: str = ""
    prefix: str = ""  # written before the number: `水-` for the others' tasks (`水-7`)

    @property
    def label(self) -> str:
        """The task's number as people read it: `7`, or `水-7` in another document."""
        return f"{self.prefix}{self.number}"

    @property
    def order(self) -> tuple[bool, str, int]:
        """Table order across documents: the primary document's tasks first, by number."""
        return (bool(self.prefix), self.document if self.prefix else "", self.number)

    def subtask(self, subtask_id: str) -> SubTask | None:
        """The sub-item with this id, if any."""
        return next((s for s in self.subtasks if s.id == subtask_id), None)


class Direction(StrEnum):
    """Which way an indicator's target points."""

    AT_MOST = "at_most"  # 降至 49 微克/立方米
    AT_LEAST = "at_least"  # 达到 65%
    REDUCE_BY_PCT = "reduce_by_pct"  # 比 2020 年下降 10% 以上


@dataclass(frozen=True)
class Indicator:
    """A quantitative target (指标) with its owner bureau and due date."""

    id: str
    name: str
    unit: str
    direction: Direction
    target: float
    due: Deadline
    owner: str  # bureau id
    task: str | None = None  # task id
    baseline: float | None = None
    baseline_year: int | None = None
    checkin: Cadence = Cadence.QUARTERLY
    source: str = ""  # the sentence of the document that states it
    range: tuple[float, float] | None = None  # plausible readings [min, max]
    document: str = ""  # the document's id in a config of several documents

    def plausible(self, value: float) -> bool:
        """Whether a reading can be real: finite and within `range`; without a range,
        finite, below 1e9 in size and not negative (a reduce_by_pct rate may be)."""
        if isinstance(value, bool) or not math.isfinite(value):
            return False
        if self.range is not None:
            return self.range[0] <= value <= self.range[1]
        if value < 0 and self.direction is not Direction.REDUCE_BY_PCT:
            return False
        return abs(value) < 1e9

    def target_value(self) -> float | None:
        """The value a reading must reach; for REDUCE_BY_PCT it needs the baseline."""
        if self.direction is Direction.REDUCE_BY_PCT:
            if self.baseline is None:
                return None
            return self.baseline * (1 - self.target / 100)
        return self.target

    def meets(self, value: float) -> bool | None:
        """Whether a reading meets the target; None when that can't be known yet."""
        goal = self.target_value()
        if goal is None:
            return None
        if self.direction is Direction.AT_LEAST:
            return value >= goal
        return value <= goal


@dataclass(frozen=True)
class Document:
    """The policy document the table belongs to."""

    title: str
    issuer: str
    number: str
    date: dt.date
    timezone: str = "Asia/Shanghai"
    #: A short id (`document.id`, ascii): the key of a document among several (`/status ID`,
    #: `export --document ID`); the file's name without `.yaml` when not given.
    id: str = ""
    #: How task numbers of this document are written when there are several: `{short}-7`.
    short: str = ""
    file: str = ""  # the file it was read from (its name)

    @property
    def label(self) -> str:
        """How people tell the documents apart: `short`, else the 文号, else the id."""
        return self.short or self.number or self.id


@dataclass(frozen=True)
class CalendarOverrides:
    """Holidays and make-up working days (调休) the admins list for years the
    chinesecalendar package does not know yet."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()


@dataclass(frozen=True)
class Catalogue:
    """The whole validated table: what the bot runs on."""

    document: Document
    sections: tuple[Section, ...]
    bureaus: tuple[Bureau, ...]
    tasks: tuple[Task, ...]
    indicators: tuple[Indicator, ...] = ()
    people: tuple[Person, ...] = ()
    policy: Policy = field(default_factory=Policy)
    calendar: CalendarOverrides = field(default_factory=CalendarOverrides)
    language: str = "zh"
    #: Every document of the config, the primary (`document`) first; () for a single table.
    documents: tuple[Document, ...] = ()

    @property
    def docs(self) -> tuple[Document, ...]:
        """The documents the bot follows (one for a single table)."""
        return self.documents or (self.document,)

    @property
    def several(self) -> bool:
        """Whether the bot follows more than one document."""
        return len(self.documents) > 1

    def document_of(self, item: Task | Indicator | Section | str) -> Document:
        """The document a task, indicator or section (or a document id) belongs to."""
        doc_id = item if isinstance(item, str) else item.document
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        return self.document

    def find_document(self, text: str) -> Document | None:
        """A document by id, short name, 文号 or title (exact, spaces ignored)."""
        key = "".join(text.split()).lower()
        if not key or not self.several:
            return None
        for doc in self.documents:
            names = (doc.id, doc.short, doc.number, doc.title)
            if key in ("".join(n.split()).lower() for n in names if n):
                return doc
        return None

    @cached_property
    def _documents_of(self) -> dict[str, frozenset[str]]:
        """Bureau id -> the documents it has tasks in."""
        out: dict[str, set[str]] = {}
        for task in self.tasks:
            for b in self.bureaus_of(task):
                out.setdefault(b, set()).add(task.document)
        for ind in self.indicators:
            out.setdefault(ind.owner, set()).add(ind.document)
        return {b: frozenset(docs) for b, docs in out.items()}

    def spans_documents(self, bureau_id: str | None) -> bool:
        """Whether a bureau has tasks (or indicators) in more than one document: its
        messages then name the document."""
        return self.several and len(self._documents_of.get(bureau_id or "", ())) > 1

    def tasks_in(self, document_id: str) -> tuple[Task, ...]:
        """The tasks of one document (every task for a single table)."""
        if not self.several:
            return self.tasks
        primary = self.document.id
        return tuple(t for t in self.tasks if (t.document or primary) == document_id)

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone (Asia/Shanghai)."""
        return ZoneInfo(self.document.timezone)

    def __getstate__(self) -> dict[str, object]:
        """Pickled as its fields only: the indexes below are added to the instance as they are
        first used, possibly while a report process gets the table pickled on another thread
        (they are rebuilt there)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    # Indexes, built once per catalogue on first use (the dataclass is frozen and has no
    # __slots__, so cached_property can store them); lookups are dict reads.

    @cached_property
    def _bureaus(self) -> dict[str, Bureau]:
        return _first_by_id(self.bureaus)

    @cached_property
    def _tasks(self) -> dict[str, Task]:
        return _first_by_id(self.tasks)

    @cached_property
    def _sections(self) -> dict[str, Section]:
        return _first_by_id(self.sections)

    @cached_property
    def _indicators(self) -> dict[str, Indicator]:
        return _first_by_id(self.indicators)

    @cached_property
    def _contacts(self) -> tuple[Contact, ...]:
        return tuple(c for b in self.bureaus for c in b.contacts)

    @cached_property
    def _contact_index(self) -> dict[str, Contact]:
        return _first_by_id(self._contacts)

    @cached_property
    def _people(self) -> dict[str, Person]:
        return _first_by_id(self.people)

    @cached_property
    def _every_task(self) -> tuple[str, ...]:
        return tuple(b.id for b in self.bureaus if b.every_task)

    @cached_property
    def _bureaus_of(self) -> dict[str, tuple[str, ...]]:
        """Task id -> its bureaus (the first task with an id wins, as `task()` finds it)."""
        out: dict[str, tuple[str, ...]] = {}
        for t in self.tasks:
            if t.id not in out:
                out[t.id] = self._compute_bureaus_of(t)
        return out

    @cached_property
    def _tasks_of(self) -> dict[str, tuple[Task, ...]]:
        """Bureau id -> the tasks it leads or cooperates on, in table order."""
        out: dict[str, list[Task]] = {}
        for t in self.tasks:
            for b in self.bureaus_of(t):
                out.setdefault(b, []).append(t)
        return {b: tuple(ts) for b, ts in out.items()}

    @cached_property
    def _resolve(self) -> dict[str, Bureau]:
        """Id, name or alias -> bureau; the first bureau in table order that has it wins."""
        out: dict[str, Bureau] = {}
        for b in self.bureaus:
            for key in (b.id, *b.names):
                out.setdefault(key, b)
        return out

    @cached_property
    def task_ids(self) -> frozenset[str]:
        """The ids of the table's tasks."""
        return frozenset(self._tasks)

    @cached_property
    def bureau_ids(self) -> frozenset[str]:
        """The ids of the table's bureaus."""
        return frozenset(self._bureaus)

    @cached_property
    def _members_by_telegram(self) -> dict[int, list[Contact | Person]]:
        out: dict[int, list[Contact | Person]] = {}
        members: list[Contact | Person] = [c for b in self.bureaus for c in b.contacts]
        members += self.people
        for m in members:
            if m.telegram_id:
                out.setdefault(m.telegram_id, []).append(m)
        return out

    def contact_or_none(self, member_id: str) -> Contact | None:
        """The contact with this id, if any."""
        return self._contact_index.get(member_id)

    def person_or_none(self, member_id: str) -> Person | None:
        """The admin or coordinator with this id, if any."""
        return self._people.get(member_id)

    def contact_by_telegram(self, user_id: int) -> Contact | None:
        """The contact the table gives this Telegram id."""
        return next(
            (m for m in self._members_by_telegram.get(user_id, ()) if isinstance(m, Contact)), None
        )

    def person_by_telegram(self, user_id: int) -> Person | None:
        """The admin or coordinator the table gives this Telegram id."""
        return next(
            (m for m in self._members_by_telegram.get(user_id, ()) if isinstance(m, Person)), None
        )

    @cached_property
    def indicator_ids(self) -> frozenset[str]:
        """The ids of the table's indicators."""
        return frozenset(self._indicators)

    def bureau(self, bureau_id: str) -> Bureau:
        """The bureau with this id (KeyError if unknown)."""
        return self._bureaus[bureau_id]

    def task(self, task_id: str) -> Task:
        """The task with this id (KeyError if unknown)."""
        return self._tasks[task_id]

    def section(self, section_id: str) -> Section:
        """The section with this id (KeyError if unknown)."""
        return self._sections[section_id]

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id (KeyError if unknown)."""
        return self._indicators[indicator_id]

    def contacts(self) -> tuple[Contact, ...]:
        """Every bureau contact, in catalogue order."""
        return self._contacts

    def contact(self, contact_id: str) -> Contact:
        """The contact with this id (KeyError if unknown)."""
        return self._contact_index[contact_id]

    def person(self, person_id: str) -> Person:
        """The admin or coordinator with this id (KeyError if unknown)."""
        return self._people[person_id]

    def member_name(self, member_id: str) -> str:
        """A contact's or person's name; the id itself when the table no longer has them."""
        contact = self._contact_index.get(member_id)
        if contact is not None:
            return contact.name
        person = self._people.get(member_id)
        return person.name if person is not None else member_id

    def bureau_name(self, bureau_id: str | None) -> str:
        """A bureau's name; the id itself when the table no longer has it."""
        if not bureau_id:
            return ""
        bureau = self._bureaus.get(bureau_id)
        return bureau.name if bureau is not None else bureau_id

    def with_role(self, role: Role) -> tuple[Person, ...]:
        """The admins or the coordinators."""
        return tuple(p for p in self.people if role in p.roles)

    def every_task_bureaus(self) -> tuple[str, ...]:
        """Bureaus bound to every task (各街道、镇)."""
        return self._every_task

    def bureaus_of(self, task: Task) -> tuple[str, ...]:
        """Lead, cooperating (task and sub-items) and every-task bureaus of a task."""
        known = self._bureaus_of.get(task.id)
        if known is not None and self._tasks.get(task.id) is task:
            return known
        return self._compute_bureaus_of(task)

    def _compute_bureaus_of(self, task: Task) -> tuple[str, ...]:
        ids: list[str] = [task.lead, *task.cooperating]
        for s in task.subtasks:
            ids.extend([s.lead] if s.lead else [])
            ids.extend(s.cooperating)
        ids.extend(self._every_task)
        return tuple(dict.fromkeys(ids))

    def tasks_of(self, bureau_id: str) -> tuple[Task, ...]:
        """Tasks a bureau leads or cooperates on, sub-items included."""
        return self._tasks_of.get(bureau_id, ())

    def resolve_bureau(self, name: str) -> Bureau | None:
        """The bureau whose id, name or alias is `name`."""
        return self._resolve.get(name.strip())


_Item = TypeVar("_Item", Bureau, Task, Section, Indicator, Contact, Person)


def _first_by_id(items: tuple[_Item, ...]) -> dict[str, _Item]:
    """id -> the first item with that id (a linear search would find the first)."""
    out: dict[str, _Item] = {}
    for item in items:
        out.setdefault(item.id, item)
    return out
