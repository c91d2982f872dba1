"""The office's own workflow: extension requests (延期申请), leave and deputies (请假与代收),
evidence (佐证材料), as plain data; and the effective table (the YAML with approved
extensions applied).

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.core.deadline import DeadlineError, deadline_window, in_window, parse_deadline
from bot.core.i18n import t
from bot.core.model import Catalogue, Deadline, DeadlineKind, SubTask, Task
from bot.core.parse import normalise


class ExtensionState(StrEnum):
    """Where an extension request stands."""

    REQUESTED = "requested"  # 待审批
    APPROVED = "approved"  # 经批准: the item's effective deadline
    REFUSED = "refused"  # 驳回
    CLOSED = "closed"  # the admin edited the item's deadline in the YAML: the edit wins


@dataclass(frozen=True)
class Extension:
    """An extension request and what became of it (the request and each decision are kept;
    this is their fold)."""

    id: int
    task_id: str
    subtask_id: str | None
    requested_by: str
    bureau_id: str | None
    requested_at: dt.datetime
    old_text: str  # the deadline in force when asked, as the YAML words it
    new_text: str  # as the contact wrote it (2026年6月底)
    new_due: dt.date
    reason: str
    state: ExtensionState = ExtensionState.REQUESTED
    decided_by: str | None = None
    decided_at: dt.datetime | None = None
    note: str = ""  # the reason of a refusal, or why it was closed

    @property
    def active(self) -> bool:
        """Approved and not closed: the item's effective deadline."""
        return self.state is ExtensionState.APPROVED


def parse_new_deadline(text: str) -> tuple[Deadline, str] | None:
    """`2026年6月底 资金下达推迟` -> the new deadline and the reason (None when the text does
    not start with a date the document's wording allows)."""
    words = normalise(text).split(maxsplit=1)
    if not words:
        return None
    try:
        deadline = parse_deadline(words[0])
    except DeadlineError:
        return None
    if deadline.kind is not DeadlineKind.FIXED or deadline.due is None:
        return None
    return deadline, (words[1].strip() if len(words) > 1 else "")


def item_deadline(task: Task, sub: SubTask | None) -> Deadline:
    """The deadline in force for a task or a sub-item (its own, else the task's)."""
    return (sub.deadline if sub is not None else None) or task.deadline


def extended_text(lang: str, original: str, new_text: str, approver: str, day: dt.date) -> str:
    """原定 2025年底，经批准延期至 2026年6月底（王管理，2025-11-20）."""
    return t(
        lang,
        "ext.display",
        original=original,
        new=new_text,
        approver=approver,
        date=day.isoformat(),
    )


def _extend(deadline: Deadline, ext: Extension, catalogue: Catalogue, tz_day: dt.date) -> Deadline:
    approver = catalogue.member_name(ext.decided_by or "")
    original = deadline.yaml_text
    text = extended_text(catalogue.language, original, ext.new_text, approver, tz_day)
    kind = deadline.kind if deadline.kind is DeadlineKind.ONGOING else DeadlineKind.FIXED
    return Deadline(text, kind, ext.new_due, deadline.milestone, original)


def with_extensions(catalogue: Catalogue, extensions: Iterable[Extension]) -> Catalogue:
    """The table with each approved extension as its item's deadline (the original wording
    kept in the text: 原定 …，经批准延期至 …). The planner and the status rules see the
    effective deadline; the YAML stays the admin's. An extension to a day no table could
    name (beyond `deadline_window`) is left out: the plan cannot be built around it."""
    window = deadline_window(catalogue.document.date)
    active = {
        (e.task_id, e.subtask_id): e
        for e in extensions
        if e.active and in_window(e.new_due, window)
    }
    if not active:
        return catalogue
    tasks = []
    for task in catalogue.tasks:
        ext = active.get((task.id, None))
        new_task = task
        if ext is not None:
            day = (ext.decided_at or ext.requested_at).astimezone(catalogue.tz).date()
            new_task = replace(task, deadline=_extend(task.deadline, ext, catalogue, day))
        subs = []
        for sub in task.subtasks:
            sext = active.get((task.id, sub.id))
            if sext is None:
                subs.append(sub)
                continue
            day = (sext.decided_at or sext.requested_at).astimezone(catalogue.tz).date()
            base = item_deadline(task, sub)
            subs.append(replace(sub, deadline=_extend(base, sext, catalogue, day)))
        if subs != list(task.subtasks):
            new_task = replace(new_task, subtasks=tuple(subs))
        tasks.append(new_task)
    return replace(catalogue, tasks=tuple(tasks))


def stale_extensions(catalogue: Catalogue, extensions: Iterable[Extension]) -> list[Extension]:
    """Active extensions whose item's deadline the admin changed in the YAML since (the edit
    wins), or whose item is gone."""
    out = []
    for e in extensions:
        if not e.active:
            continue
        if e.task_id not in catalogue.task_ids:
            out.append(e)
            continue
        task = catalogue.task(e.task_id)
        sub = task.subtask(e.subtask_id) if e.subtask_id else None
        if e.subtask_id and sub is None:
            out.append(e)
            continue
        if item_deadline(task, sub).yaml_text != e.old_text:
            out.append(e)
    return out


def requires_evidence(catalogue: Catalogue, task: Task, sub: SubTask | None) -> bool:
    """Whether a completion claim asks for evidence: `require_evidence_for_done`, by default
    on for items with a milestone (a date)."""
    wanted = catalogue.policy.for_task(task.policy).require_evidence_for_done
    if wanted is not None:
        return wanted
    return item_deadline(task, sub).due is not None


# -- leave and deputies ----------------------------------------------------------------------


@dataclass(frozen=True)
class Leave:
    """A contact's leave (请假), both days included."""

    id: int
    member_id: str
    start: dt.date
    end: dt.date
    created_at: dt.datetime
    cancelled_at: dt.datetime | None = None

    def covers(self, day: dt.date) -> bool:
        """Whether the contact is away that day."""
        return self.cancelled_at is None and self.start <= day <= self.end


_DAY = (
    re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?$"),
    re.compile(r"(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


def parse_day(text: str, today: dt.date) -> dt.date | None:
    """`12月1日`, `2025-12-01`, `2025年12月1日`, `12-01`; a day without a year is the next
    such day from about a month ago (a leave is rarely entered long after it began)."""
    clean = "".join(normalise(text).split())
    for pattern in _DAY:
        m = pattern.match(clean)
        if m is None:
            continue
        groups = m.groupdict()
        try:
            if groups.get("y"):
                return dt.date(int(groups["y"]), int(m["m"]), int(m["d"]))
            day = dt.date(today.year, int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        if day < today - dt.timedelta(days=31):
            try:
                day = day.replace(year=today.year + 1)
            except ValueError:
                return None
        return day
    return None


# -- evidence --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """A photo or document recorded as evidence (佐证材料) of an item."""

    id: int
    task_id: str
    subtask_id: str | None
    by: str
    at: dt.datetime
    file_name: str
    size: int
    sha256: str
    telegram_file_id: str
    path: str  # inside the data directory
    claim_id: int | None = None  # the completion claim it supports
