"""What the planner's two paths share: the planned message (`Due`), its kinds, and the rules
that place a series' slots in time (cadence periods, milestones, overdue notices).

`bot.core.planner` defines the plan by enumerating every slot of every series;
`bot.core.nextdue` computes the same plan from a per-table index. Both build on this module.
Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from bot.core.history import Prompt, Record
from bot.core.model import Cadence, Catalogue, Deadline, Policy, Task
from bot.core.workdays import WorkCalendar


class Kind(StrEnum):
    """Message kinds."""

    REMINDER = "reminder"
    CHECKIN = "checkin"
    READING = "reading"
    FOLLOWUP = "followup"
    ESCALATION = "escalation"
    OVERDUE = "overdue"
    DIGEST = "digest"


#: Kinds that ask a bureau for an answer (and so can be followed up).
PROMPTS = frozenset({Kind.REMINDER, Kind.CHECKIN, Kind.READING, Kind.OVERDUE})

#: After `overdue_slowdown_after` notices, overdue notices come this often.
OVERDUE_LATER_DAYS = 30

#: The plan looks this far back and ahead of today for cadence periods and overdue notices.
LOOK_BACK = dt.timedelta(days=400)
LOOK_AHEAD = dt.timedelta(days=120)


@dataclass(frozen=True)
class Due:
    """One planned message."""

    key: str
    kind: Kind
    recipient: str  # contact or person id
    slot: dt.datetime  # when it is planned (aware, catalogue time zone)
    task_id: str | None = None
    subtask_id: str | None = None
    indicator_id: str | None = None
    bureau_id: str | None = None  # the recipient's bureau (contacts)
    milestone: dt.date | None = None
    offset_days: int | None = None
    ref: str | None = None  # the prompt a follow-up or escalation is about
    ref_at: dt.datetime | None = None  # when that prompt was sent
    seq: int = 0  # follow-up number, overdue period
    late: bool = False  # sent after the catch-up grace (补发)


def send_at(catalogue: Catalogue, day: dt.date, policy: Policy) -> dt.datetime:
    """The instant messages of `day` go out (the policy's send time, the office's zone)."""
    return dt.datetime.combine(day, policy.send_time, tzinfo=catalogue.tz)


def period_start(day: dt.date, cadence: Cadence) -> dt.date:
    """The first day of the cadence period that contains `day`."""
    if cadence is Cadence.WEEKLY:
        return day - dt.timedelta(days=day.weekday())
    if cadence is Cadence.BIWEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return monday - dt.timedelta(weeks=(monday.isocalendar().week - 1) % 2)
    if cadence is Cadence.MONTHLY:
        return day.replace(day=1)
    if cadence is Cadence.QUARTERLY:
        return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if cadence is Cadence.HALF_YEARLY:
        return dt.date(day.year, 1 if day.month <= 6 else 7, 1)
    return dt.date(day.year, 1, 1)


def next_period(start: dt.date, cadence: Cadence) -> dt.date:
    """The first day of the period after the one starting at `start`."""
    if cadence is Cadence.WEEKLY:
        return start + dt.timedelta(weeks=1)
    if cadence is Cadence.BIWEEKLY:
        return start + dt.timedelta(weeks=2)
    months = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.HALF_YEARLY: 6}.get(cadence, 12)
    m = start.month - 1 + months
    return dt.date(start.year + m // 12, m % 12 + 1, 1)


def period_label(start: dt.date, cadence: Cadence) -> str:
    """A period's name in message keys: 2025-W07, 2025-03, 2025."""
    if cadence in (Cadence.WEEKLY, Cadence.BIWEEKLY):
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if cadence is Cadence.YEARLY:
        return f"{start.year}"
    return f"{start.year}-{start.month:02d}"


def periods(
    start: dt.date, end: dt.date, cadence: Cadence, cal: WorkCalendar
) -> list[tuple[str, dt.date]]:
    """(label, first working day) for each period from start's period through end."""
    out = []
    p = period_start(start, cadence)
    while p <= end:
        out.append((period_label(p, cadence), cal.next_workday(p)))
        p = next_period(p, cadence)
    return out


def contacts_of(catalogue: Catalogue, bureau_ids: tuple[str, ...]) -> list[tuple[str, str]]:
    """(contact id, bureau id) for the bureaus, in order, without duplicates."""
    out: list[tuple[str, str]] = []
    for bid in dict.fromkeys(bureau_ids):
        try:
            bureau = catalogue.bureau(bid)
        except KeyError:
            continue
        out.extend((c.id, bid) for c in bureau.contacts)
    return out


def milestones(task: Task) -> list[tuple[str | None, Deadline, tuple[str, ...]]]:
    """(sub-item id, deadline, lead-first bureaus) for the task and sub-items with own dates."""
    out: list[tuple[str | None, Deadline, tuple[str, ...]]] = [
        (None, task.deadline, (task.lead, *task.cooperating))
    ]
    for s in task.subtasks:
        if s.deadline is not None and s.deadline.due != task.deadline.due:
            lead = s.lead or task.lead
            coop = s.cooperating if s.lead else (*task.cooperating, *s.cooperating)
            out.append((s.id, s.deadline, (lead, *coop)))
    return out


def reminder_targets(
    catalogue: Catalogue, policy: Policy, bureaus: tuple[str, ...]
) -> tuple[str, ...]:
    """The bureaus a milestone's reminders go to: the lead, and with `remind_cooperating` the
    cooperating ones and the every-task ones (各街道、镇)."""
    if policy.remind_cooperating:
        return (*bureaus, *catalogue.every_task_bureaus())
    return bureaus[:1]


def overdue_offset(policy: Policy, k: int) -> int:
    """Days after the deadline of the k-th overdue notice: every `overdue_every_days`, then,
    after `overdue_slowdown_after` notices, monthly (a notice a week for years is noise)."""
    n, every = policy.overdue_slowdown_after, policy.overdue_every_days
    if n == 0 or k < n:
        return k * every
    return n * every + (k - n) * OVERDUE_LATER_DAYS


def overdue_index(policy: Policy, days: int) -> int:
    """The last notice index whose offset is at or before `days` after the deadline (>= 0)."""
    if days <= 0:
        return 0
    n, every = policy.overdue_slowdown_after, policy.overdue_every_days
    if n == 0 or days < n * every:
        return days // every
    return n + (days - n * every) // OVERDUE_LATER_DAYS


def in_working_hours(catalogue: Catalogue, now: dt.datetime, calendar: WorkCalendar) -> bool:
    """Whether messages may go out now: a working day, within working hours."""
    local = now.astimezone(catalogue.tz)
    start, end = catalogue.policy.working_hours
    return calendar.is_workday(local.date()) and start <= local.time() < end


def still_asked(catalogue: Catalogue, record: Record, prompt: Prompt) -> bool:
    """A prompt whose subject is still in the table and, for a task, still open, asked of a
    bureau that still has it (a task or indicator moved to another bureau is not chased
    from the old one)."""
    if prompt.indicator_id is not None:
        if prompt.indicator_id not in catalogue.indicator_ids:
            return False
        owner = catalogue.indicator(prompt.indicator_id).owner
        return prompt.bureau_id is None or prompt.bureau_id == owner
    if prompt.task_id is None or prompt.task_id not in catalogue.task_ids:
        return False  # archived since: its reminders stop
    task = catalogue.task(prompt.task_id)
    if prompt.bureau_id is not None and prompt.bureau_id not in catalogue.bureaus_of(task):
        return False
    return not record.closed(prompt.task_id, prompt.subtask_id)
