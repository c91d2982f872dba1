"""The plan: who gets which message when. A pure function of the table, the clock and the
record of what was sent and answered (`Record`).

``plan(catalogue, now, record)`` returns the messages due now that were not sent
yet; ``upcoming(catalogue, now, record, until)`` lists what will fall due later
(for ``duban plan`` and for the scheduler's next wake-up).

Every planned message has a unique key (kind, subject, milestone, recipient, slot);
the outbox records the key before sending, so a key is never sent twice, and re-planning
after a restart, a reload or a reply yields the same keys.

Series and their slots (all at the policy's send time, Asia/Shanghai, on working days):

* ``reminder``: N days before each deadline or milestone (offsets 90/30/14/7/3/1),
  to the lead bureau's contacts (and the cooperating ones if the policy says so); a slot
  on a weekend or holiday moves to the *previous* working day. Only the latest slot
  that has passed is due: after a downtime one reminder goes out, not a burst.
* ``checkin``: ongoing tasks (持续推进), each cadence period (monthly by default), on
  its first working day, to the lead bureau's contacts.
* ``reading``: indicator check-ins at the indicator's cadence, to the owner bureau.
* ``followup`` (催办): when a reminder, check-in or overdue notice got no answer
  within N working days; slots move to the *next* working day. Up to ``max_followups``.
* ``escalation``: to the coordinators, N working days after the last follow-up.
* ``overdue``: after a fixed deadline passes without confirmed completion, every
  ``overdue_every_days`` days, then monthly after ``overdue_slowdown_after`` notices, to the
  lead bureau's contacts.
* ``digest``: weekly, to coordinators, on ``digest_weekday`` (next working day if off).

Nothing is due outside working hours or on a day off; it waits for the next opening.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.core.history import Prompt, Record
from bot.core.model import Cadence, Catalogue, Deadline, Policy, Role, Task
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


@dataclass(frozen=True)
class _Ctx:
    catalogue: Catalogue
    record: Record
    calendar: WorkCalendar

    def at(self, day: dt.date, policy: Policy) -> dt.datetime:
        return dt.datetime.combine(day, policy.send_time, tzinfo=self.catalogue.tz)


def _period_start(day: dt.date, cadence: Cadence) -> dt.date:
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


def _next_period(start: dt.date, cadence: Cadence) -> dt.date:
    if cadence is Cadence.WEEKLY:
        return start + dt.timedelta(weeks=1)
    if cadence is Cadence.BIWEEKLY:
        return start + dt.timedelta(weeks=2)
    months = {Cadence.MONTHLY: 1, Cadence.QUARTERLY: 3, Cadence.HALF_YEARLY: 6}.get(cadence, 12)
    m = start.month - 1 + months
    return dt.date(start.year + m // 12, m % 12 + 1, 1)


def _period_label(start: dt.date, cadence: Cadence) -> str:
    if cadence in (Cadence.WEEKLY, Cadence.BIWEEKLY):
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if cadence is Cadence.YEARLY:
        return f"{start.year}"
    return f"{start.year}-{start.month:02d}"


def _contacts_of(catalogue: Catalogue, bureau_ids: tuple[str, ...]) -> list[tuple[str, str]]:
    """(contact id, bureau id) for the bureaus, in order, without duplicates."""
    out: list[tuple[str, str]] = []
    for bid in dict.fromkeys(bureau_ids):
        try:
            bureau = catalogue.bureau(bid)
        except KeyError:
            continue
        out.extend((c.id, bid) for c in bureau.contacts)
    return out


def _milestones(task: Task) -> list[tuple[str | None, Deadline, tuple[str, ...]]]:
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


def _reminders(ctx: _Ctx) -> Iterator[Due]:
    cat, cal = ctx.catalogue, ctx.calendar
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        for sub_id, deadline, bureaus in _milestones(task):
            if deadline.due is None:
                continue
            if ctx.record.closed(task.id) or (sub_id and ctx.record.closed(task.id, sub_id)):
                continue
            targets = bureaus if policy.remind_cooperating else bureaus[:1]
            if policy.remind_cooperating:
                targets = (*targets, *cat.every_task_bureaus())
            subject = f"{task.id}/{sub_id}" if sub_id else task.id
            for offset in sorted(set(policy.reminder_offsets_days), reverse=True):
                day = cal.previous_workday(deadline.due - dt.timedelta(days=offset))
                if day < cat.document.date:
                    continue
                slot = ctx.at(day, policy)
                for contact_id, bureau_id in _contacts_of(cat, targets):
                    yield Due(
                        key=f"reminder:{subject}:{deadline.due}:{offset}d:{contact_id}",
                        kind=Kind.REMINDER,
                        recipient=contact_id,
                        slot=slot,
                        task_id=task.id,
                        subtask_id=sub_id,
                        bureau_id=bureau_id,
                        milestone=deadline.due,
                        offset_days=offset,
                    )


def _periods(
    start: dt.date, end: dt.date, cadence: Cadence, cal: WorkCalendar
) -> Iterator[tuple[str, dt.date]]:
    """(label, first working day) for each period from start's period through end."""
    p = _period_start(start, cadence)
    while p <= end:
        yield _period_label(p, cadence), cal.next_workday(p)
        p = _next_period(p, cadence)


def _checkins(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        if not task.deadline.is_ongoing or policy.checkin is Cadence.NONE:
            continue
        if ctx.record.closed(task.id):
            continue
        first = max(lo, cat.document.date + dt.timedelta(days=1))
        for label, day in _periods(first, hi, policy.checkin, ctx.calendar):
            if day <= cat.document.date:
                continue
            for contact_id, bureau_id in _contacts_of(cat, (task.lead,)):
                yield Due(
                    key=f"checkin:{task.id}:{label}:{contact_id}",
                    kind=Kind.CHECKIN,
                    recipient=contact_id,
                    slot=ctx.at(day, policy),
                    task_id=task.id,
                    bureau_id=bureau_id,
                    milestone=task.deadline.due,
                )


def _readings(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    for ind in cat.indicators:
        if ind.checkin is Cadence.NONE:
            continue
        end = hi
        if ind.due.due is not None:
            # one last check-in after the due date, for the final figure
            end = min(hi, ind.due.due + dt.timedelta(days=100))
        first = max(lo, cat.document.date + dt.timedelta(days=1))
        for label, day in _periods(first, end, ind.checkin, ctx.calendar):
            if day <= cat.document.date:
                continue
            for contact_id, bureau_id in _contacts_of(cat, (ind.owner,)):
                yield Due(
                    key=f"reading:{ind.id}:{label}:{contact_id}",
                    kind=Kind.READING,
                    recipient=contact_id,
                    slot=ctx.at(day, cat.policy),
                    indicator_id=ind.id,
                    bureau_id=bureau_id,
                    milestone=ind.due.due,
                )


def _overdue(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        for sub_id, deadline, bureaus in _milestones(task):
            if deadline.is_ongoing or deadline.due is None:
                continue
            if ctx.record.closed(task.id) or (sub_id and ctx.record.closed(task.id, sub_id)):
                continue
            first = deadline.due + dt.timedelta(days=1)
            subject = f"{task.id}/{sub_id}" if sub_id else task.id
            k = _overdue_index(policy, (lo - first).days)
            while True:
                day = ctx.calendar.next_workday(
                    first + dt.timedelta(days=_overdue_offset(policy, k))
                )
                if day > hi:
                    break
                for contact_id, bureau_id in _contacts_of(cat, bureaus[:1]):
                    yield Due(
                        key=f"overdue:{subject}:{deadline.due}:{k}:{contact_id}",
                        kind=Kind.OVERDUE,
                        recipient=contact_id,
                        slot=ctx.at(day, policy),
                        task_id=task.id,
                        subtask_id=sub_id,
                        bureau_id=bureau_id,
                        milestone=deadline.due,
                        seq=k,
                    )
                k += 1


#: After `overdue_slowdown_after` notices, overdue notices come this often.
OVERDUE_LATER_DAYS = 30


def _overdue_offset(policy: Policy, k: int) -> int:
    """Days after the deadline of the k-th overdue notice: every `overdue_every_days`, then,
    after `overdue_slowdown_after` notices, monthly (a notice a week for years is noise)."""
    n, every = policy.overdue_slowdown_after, policy.overdue_every_days
    if n == 0 or k < n:
        return k * every
    return n * every + (k - n) * OVERDUE_LATER_DAYS


def _overdue_index(policy: Policy, days: int) -> int:
    """The last notice index whose offset is at or before `days` after the deadline (>= 0)."""
    if days <= 0:
        return 0
    n, every = policy.overdue_slowdown_after, policy.overdue_every_days
    if n == 0 or days < n * every:
        return days // every
    return n + (days - n * every) // OVERDUE_LATER_DAYS


def _digests(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    coordinators = cat.with_role(Role.COORDINATOR)
    monday = lo - dt.timedelta(days=lo.weekday())
    while monday <= hi:
        day = ctx.calendar.next_workday(monday + dt.timedelta(days=cat.policy.digest_weekday - 1))
        iso = monday.isocalendar()
        for person in coordinators:
            yield Due(
                key=f"digest:{iso.year}-W{iso.week:02d}:{person.id}",
                kind=Kind.DIGEST,
                recipient=person.id,
                slot=ctx.at(day, cat.policy),
            )
        monday += dt.timedelta(weeks=1)


def _series_key(d: Due) -> tuple[object, ...]:
    """Messages of one series: only the latest passed slot of a series is due."""
    if d.kind is Kind.REMINDER:
        return (d.kind, d.task_id, d.subtask_id, d.milestone, d.recipient)
    if d.kind in (Kind.CHECKIN, Kind.OVERDUE):
        return (d.kind, d.task_id, d.subtask_id, d.recipient)
    if d.kind is Kind.READING:
        return (d.kind, d.indicator_id, d.recipient)
    return (d.kind, d.recipient)


def _followups(ctx: _Ctx, now: dt.datetime) -> Iterator[Due]:
    """Follow-ups and escalations for the latest prompt of each series left unanswered."""
    cat, rec = ctx.catalogue, ctx.record
    coordinators = cat.with_role(Role.COORDINATOR)
    for prompt in list(rec.prompts.values()):
        if prompt.answered_at is not None or not _still_asked(cat, rec, prompt):
            continue
        task = cat.task(prompt.task_id) if prompt.indicator_id is None and prompt.task_id else None
        policy = cat.policy.for_task(task.policy if task else None)
        day = prompt.at.astimezone(cat.tz).date()
        base = Due(
            key="",
            kind=Kind.FOLLOWUP,
            recipient=prompt.recipient,
            slot=now,
            task_id=task.id if task else None,
            subtask_id=prompt.subtask_id if task else None,
            indicator_id=prompt.indicator_id,
            bureau_id=prompt.bureau_id,
            ref=prompt.key,
            ref_at=prompt.at,
        )
        for n in range(1, policy.max_followups + 1):
            day = ctx.calendar.add_workdays(day, policy.followup_after_workdays)
            key = f"followup:{prompt.key}:{n}"
            yield replace(base, key=key, slot=ctx.at(day, policy), seq=n)
            if key not in rec.sent:
                break
        else:
            day = ctx.calendar.add_workdays(day, policy.followup_after_workdays)
            for person in coordinators:
                yield replace(
                    base,
                    key=f"escalation:{prompt.key}:{person.id}",
                    kind=Kind.ESCALATION,
                    recipient=person.id,
                    slot=ctx.at(day, policy),
                )


def _still_asked(catalogue: Catalogue, record: Record, prompt: Prompt) -> bool:
    """A prompt whose subject is still in the table and, for a task, still open."""
    if prompt.indicator_id is not None:
        return prompt.indicator_id in catalogue.indicator_ids
    if prompt.task_id is None or prompt.task_id not in catalogue.task_ids:
        return False  # archived since: its reminders stop
    return not record.closed(prompt.task_id, prompt.subtask_id)


def _all(ctx: _Ctx, lo: dt.date, hi: dt.date, now: dt.datetime) -> Iterator[Due]:
    yield from _reminders(ctx)
    yield from _checkins(ctx, lo, hi)
    yield from _readings(ctx, lo, hi)
    yield from _overdue(ctx, lo, hi)
    yield from _digests(ctx, lo, hi)
    yield from _followups(ctx, now)


def in_working_hours(catalogue: Catalogue, now: dt.datetime, calendar: WorkCalendar) -> bool:
    """Whether messages may go out now: a working day, within working hours."""
    local = now.astimezone(catalogue.tz)
    start, end = catalogue.policy.working_hours
    return calendar.is_workday(local.date()) and start <= local.time() < end


def plan(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    calendar: WorkCalendar | None = None,
) -> list[Due]:
    """The messages due now and not yet sent, oldest slot first.

    Of each series only the latest slot that has passed counts, so a bot that was
    down for a week sends one reminder per series, not a burst. A slot missed by more
    than the catch-up grace is sent late (补发, marked as such) while it is nearer than
    the series' next slot, or when it is the last one before the deadline; past the
    midpoint to the next slot it is skipped in favour of that one. Nothing is due
    outside working hours or on a day off.
    """
    cal = calendar or WorkCalendar(catalogue.calendar)
    if not in_working_hours(catalogue, now, cal):
        return []
    today = now.astimezone(catalogue.tz).date()
    lo = today - dt.timedelta(days=400)
    hi = today + dt.timedelta(days=120)
    ctx = _Ctx(catalogue, record, cal)
    latest: dict[tuple[object, ...], Due] = {}
    following: dict[tuple[object, ...], dt.datetime] = {}
    followups: list[Due] = []
    for d in _all(ctx, lo, hi, now):
        if d.kind in (Kind.FOLLOWUP, Kind.ESCALATION):
            if d.slot <= now:
                followups.append(d)
            continue
        if d.kind is Kind.REMINDER and d.milestone is not None and d.milestone < today:
            continue  # past its deadline: the overdue series takes over
        k = _series_key(d)
        if d.slot > now:
            if k not in following or d.slot < following[k]:
                following[k] = d.slot
            continue
        if k not in latest or d.slot >= latest[k].slot:
            latest[k] = d
    grace = dt.timedelta(hours=catalogue.policy.catch_up_grace_hours)
    out = []
    for k, d in latest.items():
        if d.key in record.sent:
            continue
        missed = now - d.slot
        if missed > grace:
            nxt = following.get(k)
            if nxt is not None and missed > (nxt - d.slot) / 2:
                continue  # the next slot of the series is nearer: wait for it
            if d.kind is Kind.DIGEST and missed > dt.timedelta(days=3):
                continue
            d = replace(d, late=True)
        out.append(d)
    for d in followups:
        if d.key in record.sent:
            continue
        out.append(replace(d, late=now - d.slot > grace))
    out.sort(key=lambda d: (d.slot, d.key))
    return out


def upcoming(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    until: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[Due]:
    """Messages planned after `now` up to `until`, in slot order (not yet sent)."""
    cal = calendar or WorkCalendar(catalogue.calendar)
    ctx = _Ctx(catalogue, record, cal)
    today = now.astimezone(catalogue.tz).date()
    hi = until.astimezone(catalogue.tz).date()
    out = [
        d
        for d in _all(ctx, today, hi, now)
        if now < d.slot <= until
        and d.key not in record.sent
        and not (
            d.kind is Kind.REMINDER and d.milestone is not None and d.slot.date() > d.milestone
        )
    ]
    out.sort(key=lambda d: (d.slot, d.key))
    return out


def next_wakeup(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    calendar: WorkCalendar | None = None,
) -> dt.datetime | None:
    """When the scheduler should next run the plan (the next slot within 60 days)."""
    nxt = upcoming(catalogue, now, record, now + dt.timedelta(days=60), calendar)
    return nxt[0].slot if nxt else None
