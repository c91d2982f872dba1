"""What has happened so far: messages sent, answers given, readings reported.

The planner and the status rules read history through this module; storage builds
it from SQLite. Pure data: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class UpdateKind(StrEnum):
    """What a status update says."""

    DONE_CLAIMED = "done_claimed"  # 申请办结: the bureau says it is done
    ON_TRACK = "on_track"  # 正常推进
    AT_RISK = "at_risk"  # 存在风险
    BLOCKED = "blocked"  # 遇到困难
    NOTE = "note"  # 补充说明 / a free-text reply
    CLOSED = "closed"  # 办结: a coordinator confirmed the completion
    RETURNED = "returned"  # 退回: a coordinator sent the claim back
    REOPENED = "reopened"  # 重新打开: a coordinator reopened a closed task


#: Kinds a bureau contact reports (the others are coordinators' decisions).
REPORT_KINDS = frozenset(
    {
        UpdateKind.DONE_CLAIMED,
        UpdateKind.ON_TRACK,
        UpdateKind.AT_RISK,
        UpdateKind.BLOCKED,
        UpdateKind.NOTE,
    }
)


@dataclass(frozen=True)
class StatusUpdate:
    """One recorded answer: who said what about which task, when."""

    id: int
    task_id: str
    kind: UpdateKind
    at: dt.datetime
    by: str  # contact or person id
    bureau_id: str | None = None
    subtask_id: str | None = None
    progress: int | None = None  # percent
    note: str = ""
    message_key: str | None = None  # the outbox key of the reminder it answers
    corrects: int | None = None  # id of the update this one corrects (an edited reply)


@dataclass(frozen=True)
class Reading:
    """An indicator value reported by a bureau."""

    id: int
    indicator_id: str
    value: float
    at: dt.datetime
    by: str
    bureau_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Sent:
    """A message the outbox delivered (or is delivering)."""

    key: str
    kind: str
    recipient: str
    at: dt.datetime  # when it was sent (or planned, while pending)
    task_id: str | None = None
    indicator_id: str | None = None
    bureau_id: str | None = None
    state: str = "sent"


class History:
    """Indexed read-only view of updates, readings and sent messages."""

    def __init__(
        self,
        updates: Iterable[StatusUpdate] = (),
        readings: Iterable[Reading] = (),
        sent: Iterable[Sent] = (),
    ) -> None:
        self.updates = tuple(sorted(updates, key=lambda u: (u.at, u.id)))
        self.readings = tuple(sorted(readings, key=lambda r: (r.at, r.id)))
        self.sent: dict[str, Sent] = {s.key: s for s in sent}
        self._by_task: dict[str, list[StatusUpdate]] = defaultdict(list)
        for u in self.updates:
            self._by_task[u.task_id].append(u)
        self._by_indicator: dict[str, list[Reading]] = defaultdict(list)
        for r in self.readings:
            self._by_indicator[r.indicator_id].append(r)
        self._prompts: dict[tuple[str, str], list[Sent]] = defaultdict(list)
        for s in sorted(self.sent.values(), key=lambda s: s.at):
            subject = s.indicator_id or s.task_id
            if subject and s.kind in ("reminder", "checkin", "reading", "overdue"):
                self._prompts[(subject, s.recipient)].append(s)

    # -- tasks

    def updates_for(self, task_id: str, subtask_id: str | None = None) -> list[StatusUpdate]:
        """A task's updates, oldest first (with a sub-item: its own and the task's)."""
        rows = self._by_task.get(task_id, [])
        if subtask_id is None:
            return list(rows)
        return [u for u in rows if u.subtask_id in (None, subtask_id)]

    def latest_report(self, task_id: str, subtask_id: str | None = None) -> StatusUpdate | None:
        """The latest report that says how the work goes (notes don't change the light)."""
        for u in reversed(self.updates_for(task_id, subtask_id)):
            if u.kind in (
                UpdateKind.ON_TRACK,
                UpdateKind.AT_RISK,
                UpdateKind.BLOCKED,
                UpdateKind.DONE_CLAIMED,
            ):
                return u
        return None

    def latest(self, task_id: str, subtask_id: str | None = None) -> StatusUpdate | None:
        """The latest update of any kind."""
        rows = self.updates_for(task_id, subtask_id)
        return rows[-1] if rows else None

    def progress(self, task_id: str, subtask_id: str | None = None) -> int | None:
        """The latest progress percentage reported."""
        for u in reversed(self.updates_for(task_id, subtask_id)):
            if u.progress is not None:
                return u.progress
        return None

    def closure(self, task_id: str, subtask_id: str | None = None) -> StatusUpdate | None:
        """The confirmation (办结) in force, or None if the task is open."""
        state: StatusUpdate | None = None
        for u in self.updates_for(task_id, subtask_id):
            if u.subtask_id not in (None, subtask_id):
                continue
            if u.kind is UpdateKind.CLOSED:
                state = u
            elif u.kind is UpdateKind.REOPENED:
                state = None
        return state

    def closed(self, task_id: str, subtask_id: str | None = None) -> bool:
        """Whether a coordinator confirmed the task (or sub-item) as completed."""
        return self.closure(task_id, subtask_id) is not None

    def pending_claim(self, task_id: str) -> StatusUpdate | None:
        """A completion claim not yet confirmed or sent back."""
        claim: StatusUpdate | None = None
        for u in self.updates_for(task_id):
            if u.kind is UpdateKind.DONE_CLAIMED:
                claim = u
            elif u.kind in (UpdateKind.CLOSED, UpdateKind.RETURNED, UpdateKind.REOPENED):
                claim = None
        return claim if not self.closed(task_id) else None

    def answered(self, subject: str, bureau_id: str | None, since: dt.datetime) -> bool:
        """Whether the bureau said anything about a task or indicator after `since`."""
        for u in self._by_task.get(subject, ()):
            if u.at >= since and (bureau_id is None or u.bureau_id == bureau_id):
                return True
        return any(
            r.at >= since and (bureau_id is None or r.bureau_id == bureau_id)
            for r in self._by_indicator.get(subject, ())
        )

    def prompts(self, subject: str, recipient: str) -> list[Sent]:
        """Reminders, check-ins and overdue notices sent to a recipient about a subject."""
        return self._prompts.get((subject, recipient), [])

    def last_prompt(self, subject: str, bureau_ids: Iterable[str] | None = None) -> Sent | None:
        """The latest prompt about a subject (to any of the bureaus)."""
        wanted = set(bureau_ids) if bureau_ids is not None else None
        best: Sent | None = None
        for (subj, _), rows in self._prompts.items():
            if subj != subject:
                continue
            for s in rows:
                if wanted is not None and s.bureau_id not in wanted:
                    continue
                if best is None or s.at > best.at:
                    best = s
        return best

    # -- indicators

    def readings_for(self, indicator_id: str) -> list[Reading]:
        """An indicator's readings, oldest first."""
        return list(self._by_indicator.get(indicator_id, []))

    def latest_reading(self, indicator_id: str) -> Reading | None:
        """The latest reading."""
        rows = self._by_indicator.get(indicator_id)
        return rows[-1] if rows else None

    def as_of(self, when: dt.datetime) -> History:
        """History as it stood at `when` (for exports of a past date)."""
        return History(
            [u for u in self.updates if u.at <= when],
            [r for r in self.readings if r.at <= when],
            [s for s in self.sent.values() if s.at <= when],
        )
