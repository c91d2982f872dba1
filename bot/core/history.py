"""What has happened: answers given, readings reported, messages sent; and the current state
that answers and the status rules need, folded from it.

Two views of one record:

* `History`: every status update, reading and sent message (exports, `--as-of`, rebuilds).
* `Record`: the current state only: per task and sub-item the latest update, report,
  progress, closure and open claim; per indicator the latest reading; per prompt (reminder,
  check-in, indicator check-in, overdue notice) and recipient the latest one sent and whether
  it was answered; the keys already in the outbox. Storage keeps it current on every write
  and can rebuild it from the history (`History.record()` is the definition: a property
  test holds the two equal). No answer reads the whole history.

"Latest" is by the order answers were recorded (their ids), never by their timestamps: a
clock moved back does not hide a newer answer.

Pure data: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
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
#: Reports that set the light (a claim keeps the light it had; a note changes nothing).
LIGHT_KINDS = frozenset({UpdateKind.ON_TRACK, UpdateKind.AT_RISK, UpdateKind.BLOCKED})
#: Message kinds that ask a bureau for an answer (and so can be followed up).
PROMPT_KINDS = frozenset({"reminder", "checkin", "reading", "overdue"})
#: Outbox states in which a message counts as delivered for follow-ups.
DELIVERED = frozenset({"sent", "unknown"})


@dataclass(frozen=True)
class StatusUpdate:
    """One recorded answer: who said what about which task (or sub-item), when."""

    id: int
    task_id: str
    kind: UpdateKind
    at: dt.datetime
    by: str  # contact or person id
    bureau_id: str | None = None
    subtask_id: str | None = None
    progress: int | None = None  # percent
    note: str = ""
    message_key: str | None = None  # the outbox key of the prompt it answers
    corrects: int | None = None  # id of the update this one corrects (an edited reply)


@dataclass(frozen=True)
class Reading:
    """An indicator value reported by a bureau; `value` None means 暂无数据 (see the note)."""

    id: int
    indicator_id: str
    value: float | None
    at: dt.datetime
    by: str
    bureau_id: str | None = None
    note: str = ""
    message_key: str | None = None


@dataclass(frozen=True)
class Sent:
    """A message in the outbox (sent, in flight, failed or of unknown fate)."""

    key: str
    kind: str
    recipient: str
    at: dt.datetime  # when it was sent (or planned, while not yet sent)
    task_id: str | None = None
    indicator_id: str | None = None
    bureau_id: str | None = None
    state: str = "sent"
    subtask_id: str | None = None

    @property
    def subject(self) -> str | None:
        """What a prompt asks about: its indicator, else its task."""
        return self.indicator_id or self.task_id


@dataclass(frozen=True)
class Prompt:
    """The latest prompt about a subject sent to one recipient, and whether it was answered."""

    key: str
    kind: str
    subject: str
    recipient: str
    at: dt.datetime
    bureau_id: str | None = None
    task_id: str | None = None
    subtask_id: str | None = None
    indicator_id: str | None = None
    answered_at: dt.datetime | None = None


@dataclass(frozen=True)
class ItemState:
    """The current state of a task (sub-item None) or a sub-item, from its own updates."""

    last: StatusUpdate | None = None
    report: StatusUpdate | None = None  # latest 正常推进 / 存在风险 / 遇到困难
    progress: int | None = None
    closure: StatusUpdate | None = None  # 办结 in force
    claim: StatusUpdate | None = None  # 申请办结 awaiting a decision

    def fold(self, u: StatusUpdate) -> ItemState:
        """This state after one more update (of this very item)."""
        report = u if u.kind in LIGHT_KINDS else self.report
        progress = u.progress if u.progress is not None else self.progress
        closure, claim = self.closure, self.claim
        if u.kind is UpdateKind.DONE_CLAIMED:
            claim = u
        elif u.kind is UpdateKind.CLOSED:
            closure, claim = u, None
        elif u.kind is UpdateKind.RETURNED:
            claim = None
        elif u.kind is UpdateKind.REOPENED:
            closure, claim = None, None
        return ItemState(u, report, progress, closure, claim)


ItemKey = tuple[str, str | None]
PromptKey = tuple[str, str]
EMPTY = ItemState()


def answered_by(prompt: Prompt, at: dt.datetime, bureau_id: str | None) -> bool:
    """Whether an answer from `bureau_id` at `at` answers `prompt` (its subject matched)."""
    return at >= prompt.at and (prompt.bureau_id is None or bureau_id == prompt.bureau_id)


@dataclass
class Record:
    """The current state (see the module docstring). Mutable: storage applies each write."""

    items: dict[ItemKey, ItemState] = field(default_factory=dict)
    readings: dict[str, Reading] = field(default_factory=dict)  # latest with a value
    last_readings: dict[str, Reading] = field(default_factory=dict)  # latest of any kind
    prompts: dict[PromptKey, Prompt] = field(default_factory=dict)
    sent: set[str] = field(default_factory=set)  # every key in the outbox

    def __post_init__(self) -> None:
        self._by_subject: dict[str, set[PromptKey]] = defaultdict(set)
        for key in self.prompts:
            self._by_subject[key[0]].add(key)
        self._versions: dict[str, int] = {}
        #: Results derived from one subject's state, kept while its `version` stands
        #: (`bot.core.status.task_status` keeps a task's light here).
        self.memo: dict[str, tuple[object, ...]] = {}

    def version(self, subject: str) -> int:
        """How many times the items of a task (or the prompts about a task or indicator)
        changed in this record: a result derived from them stays valid while it stands."""
        return self._versions.get(subject, 0)

    def _changed(self, subject: str) -> None:
        self._versions[subject] = self._versions.get(subject, 0) + 1

    # -- tasks

    def item(self, task_id: str, subtask_id: str | None = None) -> ItemState:
        """A task's (or sub-item's) own state."""
        return self.items.get((task_id, subtask_id), EMPTY)

    def closure(self, task_id: str, subtask_id: str | None = None) -> StatusUpdate | None:
        """The 办结 in force: the task's, or for a sub-item its own."""
        own = self.item(task_id).closure
        if own is not None or subtask_id is None:
            return own
        return self.item(task_id, subtask_id).closure

    def closed(self, task_id: str, subtask_id: str | None = None) -> bool:
        """Whether a coordinator confirmed the task (or the sub-item) as completed."""
        return self.closure(task_id, subtask_id) is not None

    def claims(self, task_id: str) -> list[StatusUpdate]:
        """Open completion claims of a task and its sub-items."""
        return [
            s.claim for (tid, _), s in self.items.items() if tid == task_id and s.claim is not None
        ]

    # -- indicators

    def latest_reading(self, indicator_id: str) -> Reading | None:
        """The latest reading with a value."""
        return self.readings.get(indicator_id)

    def last_reading(self, indicator_id: str) -> Reading | None:
        """The latest reading of any kind (a 暂无数据 answer included)."""
        return self.last_readings.get(indicator_id)

    # -- prompts

    def prompts_about(self, subject: str) -> list[Prompt]:
        """The latest prompt about a subject to each recipient."""
        return [self.prompts[k] for k in self._by_subject.get(subject, ())]

    def last_prompt(self, subject: str, bureau_ids: Iterable[str] | None = None) -> Prompt | None:
        """The latest prompt about a subject (to any of the bureaus)."""
        wanted = set(bureau_ids) if bureau_ids is not None else None
        best: Prompt | None = None
        for p in self.prompts_about(subject):
            if wanted is not None and p.bureau_id not in wanted:
                continue
            if best is None or (p.at, p.key) > (best.at, best.key):
                best = p
        return best

    # -- applying writes (storage calls these after each commit)

    def set_item(self, key: ItemKey, state: ItemState) -> None:
        """Replace one item's state."""
        self.items[key] = state
        self._changed(key[0])

    def set_prompt(self, prompt: Prompt) -> None:
        """Replace the latest prompt of a (subject, recipient)."""
        key = (prompt.subject, prompt.recipient)
        self.prompts[key] = prompt
        self._by_subject[prompt.subject].add(key)
        self._changed(prompt.subject)

    def answer(self, subject: str, bureau_id: str | None, at: dt.datetime) -> list[Prompt]:
        """An answer about a subject arrived: the prompts it answers, now marked answered."""
        changed = []
        for p in self.prompts_about(subject):
            if answered_by(p, at, bureau_id) and (p.answered_at is None or at < p.answered_at):
                q = replace(p, answered_at=at)
                self.set_prompt(q)
                changed.append(q)
        return changed

    def add_reading(self, reading: Reading) -> None:
        """A reading was recorded."""
        self.last_readings[reading.indicator_id] = reading
        if reading.value is not None:
            self.readings[reading.indicator_id] = reading

    def copy(self) -> Record:
        """An independent copy (for a worker thread)."""
        return Record(
            dict(self.items),
            dict(self.readings),
            dict(self.last_readings),
            dict(self.prompts),
            set(self.sent),
        )

    def same_as(self, other: Record) -> bool:
        """Equal contents (the rebuild check)."""
        return (
            {k: v for k, v in self.items.items() if v != EMPTY}
            == {k: v for k, v in other.items.items() if v != EMPTY}
            and self.readings == other.readings
            and self.last_readings == other.last_readings
            and self.prompts == other.prompts
            and self.sent == other.sent
        )


@dataclass
class Delta:
    """What one committed write changed in the current state (applied to the running bot's
    `Record` after the commit)."""

    items: dict[ItemKey, ItemState] = field(default_factory=dict)
    prompts: list[Prompt] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    sent: set[str] = field(default_factory=set)
    unsent: set[str] = field(default_factory=set)  # outbox keys forgotten (to be planned anew)

    def apply(self, record: Record) -> None:
        """Bring `record` up to date with this change."""
        for key, state in self.items.items():
            record.set_item(key, state)
        for prompt in self.prompts:
            record.set_prompt(prompt)
        for reading in self.readings:
            record.add_reading(reading)
        record.sent -= self.unsent
        record.sent |= self.sent


class History:
    """Every update, reading and outbox message, in the order they were recorded."""

    def __init__(
        self,
        updates: Iterable[StatusUpdate] = (),
        readings: Iterable[Reading] = (),
        sent: Iterable[Sent] = (),
    ) -> None:
        self.updates = tuple(sorted(updates, key=lambda u: u.id))
        self.readings = tuple(sorted(readings, key=lambda r: r.id))
        self.sent: dict[str, Sent] = {s.key: s for s in sent}
        self._by_task: dict[str, list[StatusUpdate]] = defaultdict(list)
        for u in self.updates:
            self._by_task[u.task_id].append(u)
        self._by_indicator: dict[str, list[Reading]] = defaultdict(list)
        for r in self.readings:
            self._by_indicator[r.indicator_id].append(r)

    def updates_for(
        self, task_id: str, subtask_id: str | None = None, *, exact: bool = False
    ) -> list[StatusUpdate]:
        """A task's updates in recorded order; with a sub-item its own (and, unless `exact`,
        the task-level ones)."""
        rows = self._by_task.get(task_id, [])
        if subtask_id is None and not exact:
            return list(rows)
        if exact:
            return [u for u in rows if u.subtask_id == subtask_id]
        return [u for u in rows if u.subtask_id in (None, subtask_id)]

    def readings_for(self, indicator_id: str) -> list[Reading]:
        """An indicator's readings, in recorded order."""
        return list(self._by_indicator.get(indicator_id, []))

    def as_of(self, when: dt.datetime) -> History:
        """History as it stood at `when` (for exports of a past date)."""
        return History(
            [u for u in self.updates if u.at <= when],
            [r for r in self.readings if r.at <= when],
            [s for s in self.sent.values() if s.at <= when and s.state != "pending"],
        )

    def record(self) -> Record:
        """The current state, folded from the whole history (the rebuild)."""
        rec = Record()
        for u in self.updates:
            key = (u.task_id, u.subtask_id)
            rec.set_item(key, rec.item(*key).fold(u))
        for r in self.readings:
            rec.add_reading(r)
        rec.sent = set(self.sent)
        latest: dict[PromptKey, Sent] = {}
        for s in self.sent.values():
            subject = s.subject
            if s.kind not in PROMPT_KINDS or s.state not in DELIVERED or subject is None:
                continue
            k = (subject, s.recipient)
            if k not in latest or (s.at, s.key) > (latest[k].at, latest[k].key):
                latest[k] = s
        for (subject, _), s in latest.items():
            rec.set_prompt(self.prompt_of(s, subject))
        return rec

    def prompt_of(self, s: Sent, subject: str) -> Prompt:
        """A sent prompt with its first answer (by a bureau's update or reading at or after it)."""
        prompt = Prompt(
            s.key, s.kind, subject, s.recipient, s.at, s.bureau_id, s.task_id, s.subtask_id,
            s.indicator_id,
        )  # fmt: skip
        times = [
            u.at for u in self._by_task.get(subject, ()) if answered_by(prompt, u.at, u.bureau_id)
        ]
        times += [
            r.at
            for r in self._by_indicator.get(subject, ())
            if answered_by(prompt, r.at, r.bureau_id)
        ]
        return replace(prompt, answered_at=min(times)) if times else prompt
