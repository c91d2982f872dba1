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

Two paths, one plan. This module *defines* the plan by enumeration: every slot of every
series in a window around today, then the rules above (`plan_enumerated`,
`upcoming_enumerated`): short, and obviously what the rules say, but it enumerates some 60,000
slots a tick for a 1,000-task table. `plan` and `upcoming` compute the same lists from the
next-due index (`bot.core.nextdue`): the slots of each series are shared by every series with
the same dates and cadence, computed once per table, calendar and day, so a tick only checks
each series' latest passed slot against the outbox. A property test holds the two paths equal
(`tests/core/test_nextdue.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

from bot.core.history import Record
from bot.core.model import Cadence, Catalogue, Role
from bot.core.series import (
    LOOK_AHEAD,
    LOOK_BACK,
    OVERDUE_LATER_DAYS,
    PROMPTS,
    Due,
    Kind,
    contacts_of,
    in_working_hours,
    milestones,
    overdue_index,
    overdue_offset,
    periods,
    reminder_targets,
    send_at,
    still_asked,
)
from bot.core.workdays import WorkCalendar

__all__ = [
    "OVERDUE_LATER_DAYS",
    "PROMPTS",
    "Due",
    "Kind",
    "in_working_hours",
    "next_wakeup",
    "plan",
    "plan_enumerated",
    "upcoming",
    "upcoming_enumerated",
]


class _Ctx:
    def __init__(self, catalogue: Catalogue, record: Record, calendar: WorkCalendar) -> None:
        self.catalogue = catalogue
        self.record = record
        self.calendar = calendar


def _reminders(ctx: _Ctx) -> Iterator[Due]:
    cat, cal = ctx.catalogue, ctx.calendar
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        for sub_id, deadline, bureaus in milestones(task):
            if deadline.due is None:
                continue
            if ctx.record.closed(task.id) or (sub_id and ctx.record.closed(task.id, sub_id)):
                continue
            targets = reminder_targets(cat, policy, bureaus)
            subject = f"{task.id}/{sub_id}" if sub_id else task.id
            for offset in sorted(set(policy.reminder_offsets_days), reverse=True):
                day = cal.previous_workday(deadline.due - dt.timedelta(days=offset))
                if day < cat.document.date:
                    continue
                slot = send_at(cat, day, policy)
                for contact_id, bureau_id in contacts_of(cat, targets):
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


def _checkins(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        if not task.deadline.is_ongoing or policy.checkin is Cadence.NONE:
            continue
        if ctx.record.closed(task.id):
            continue
        first = max(lo, cat.document.date + dt.timedelta(days=1))
        for label, day in periods(first, hi, policy.checkin, ctx.calendar):
            if day <= cat.document.date:
                continue
            for contact_id, bureau_id in contacts_of(cat, (task.lead,)):
                yield Due(
                    key=f"checkin:{task.id}:{label}:{contact_id}",
                    kind=Kind.CHECKIN,
                    recipient=contact_id,
                    slot=send_at(cat, day, policy),
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
        for label, day in periods(first, end, ind.checkin, ctx.calendar):
            if day <= cat.document.date:
                continue
            for contact_id, bureau_id in contacts_of(cat, (ind.owner,)):
                yield Due(
                    key=f"reading:{ind.id}:{label}:{contact_id}",
                    kind=Kind.READING,
                    recipient=contact_id,
                    slot=send_at(cat, day, cat.policy),
                    indicator_id=ind.id,
                    bureau_id=bureau_id,
                    milestone=ind.due.due,
                )


def _overdue(ctx: _Ctx, lo: dt.date, hi: dt.date) -> Iterator[Due]:
    cat = ctx.catalogue
    for task in cat.tasks:
        policy = cat.policy.for_task(task.policy)
        for sub_id, deadline, bureaus in milestones(task):
            if deadline.is_ongoing or deadline.due is None:
                continue
            if ctx.record.closed(task.id) or (sub_id and ctx.record.closed(task.id, sub_id)):
                continue
            first = deadline.due + dt.timedelta(days=1)
            subject = f"{task.id}/{sub_id}" if sub_id else task.id
            k = overdue_index(policy, (lo - first).days)
            while True:
                day = ctx.calendar.next_workday(
                    first + dt.timedelta(days=overdue_offset(policy, k))
                )
                if day > hi:
                    break
                for contact_id, bureau_id in contacts_of(cat, bureaus[:1]):
                    yield Due(
                        key=f"overdue:{subject}:{deadline.due}:{k}:{contact_id}",
                        kind=Kind.OVERDUE,
                        recipient=contact_id,
                        slot=send_at(cat, day, policy),
                        task_id=task.id,
                        subtask_id=sub_id,
                        bureau_id=bureau_id,
                        milestone=deadline.due,
                        seq=k,
                    )
                k += 1


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
                slot=send_at(cat, day, cat.policy),
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
        if prompt.answered_at is not None or not still_asked(cat, rec, prompt):
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
            yield replace(base, key=key, slot=send_at(cat, day, policy), seq=n)
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
                    slot=send_at(cat, day, policy),
                )


def _all(ctx: _Ctx, lo: dt.date, hi: dt.date, now: dt.datetime) -> Iterator[Due]:
    yield from _reminders(ctx)
    yield from _checkins(ctx, lo, hi)
    yield from _readings(ctx, lo, hi)
    yield from _overdue(ctx, lo, hi)
    yield from _digests(ctx, lo, hi)
    yield from _followups(ctx, now)


def plan_enumerated(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    calendar: WorkCalendar | None = None,
) -> list[Due]:
    """The plan by its definition: every slot of every series enumerated, then the rules
    (`plan` computes the same list from the next-due index)."""
    cal = calendar or WorkCalendar(catalogue.calendar)
    if not in_working_hours(catalogue, now, cal):
        return []
    today = now.astimezone(catalogue.tz).date()
    ctx = _Ctx(catalogue, record, cal)
    latest: dict[tuple[object, ...], Due] = {}
    following: dict[tuple[object, ...], dt.datetime] = {}
    followups: list[Due] = []
    for d in _all(ctx, today - LOOK_BACK, today + LOOK_AHEAD, now):
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


def upcoming_enumerated(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    until: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[Due]:
    """Upcoming messages by their definition (`upcoming` computes the same list faster)."""
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

    The same list as `plan_enumerated`, from the next-due index (`bot.core.nextdue`).
    """
    from bot.core.nextdue import index

    cal = calendar or WorkCalendar(catalogue.calendar)
    if not in_working_hours(catalogue, now, cal):
        return []
    return index(catalogue, cal).plan(now, record)


def upcoming(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    until: dt.datetime,
    calendar: WorkCalendar | None = None,
) -> list[Due]:
    """Messages planned after `now` up to `until`, in slot order (not yet sent); the same
    list as `upcoming_enumerated`, from the next-due index."""
    from bot.core.gcpause import paused_gc
    from bot.core.nextdue import index

    cal = calendar or WorkCalendar(catalogue.calendar)
    with paused_gc():
        return index(catalogue, cal).upcoming(now, record, until)


def next_wakeup(
    catalogue: Catalogue,
    now: dt.datetime,
    record: Record,
    calendar: WorkCalendar | None = None,
) -> dt.datetime | None:
    """When the scheduler should next run the plan (the next slot within 60 days)."""
    nxt = upcoming(catalogue, now, record, now + dt.timedelta(days=60), calendar)
    return nxt[0].slot if nxt else None
