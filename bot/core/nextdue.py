"""The next-due index: how `plan` and `upcoming` compute, fast, the lists that
`plan_enumerated` and `upcoming_enumerated` define (`bot.core.planner`).

A table's series share their slots. Every contact a milestone's reminders go to gets them on
the same days, and so does every other milestone with the same date and offsets; every
monthly check-in of the table falls on the same first working days; every overdue series of
one deadline and policy on the same days. The index (one per table and working calendar)
groups the series by what their slots depend on (a *schedule*), computes each schedule's
slots once, and keeps per series only what differs: its key, its recipient, its fields.

For `plan`, what a series offers at an instant is its latest passed slot and its next one.
All slots are at the send time of their day, so within one day that changes only at the send
time: the index computes, once per day and side of the send time (an *epoch*), each series'
latest passed slot as a ready `Due`, with the series' next slot. A tick then only checks
those against the record (already in the outbox? task closed? missed by more than the
catch-up grace?) and adds the follow-ups of unanswered prompts, whose dates are cached per
prompt day. `upcoming` walks each schedule's slots in the range once and makes the messages
of every series sharing it.

The index is a cache of a function of immutable inputs (the table, the calendar's overrides,
the day): `plan(catalogue, now, record)` stays a pure function of its arguments. The
enumeration stays the definition; `tests/core/test_nextdue.py` holds the two paths equal.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import fields, replace
from operator import attrgetter
from threading import Lock
from typing import Any, NamedTuple

from bot.core.gcpause import paused_gc
from bot.core.history import Prompt, Record
from bot.core.model import Cadence, Catalogue, Policy, Role
from bot.core.series import (
    LOOK_AHEAD,
    LOOK_BACK,
    Due,
    Kind,
    contacts_of,
    milestones,
    overdue_index,
    overdue_offset,
    periods,
    reminder_targets,
    send_at,
    still_asked,
)
from bot.core.workdays import WorkCalendar

#: Indexes kept (the running table, the one a reload compares it with, a CLI's).
KEEP = 4
#: One microsecond: the instant just before a day's send time.
TICK = dt.timedelta(microseconds=1)
#: A digest missed by more than this is not sent late.
DIGEST_LATE = dt.timedelta(days=3)

_DEFAULTS: dict[str, Any] = {
    f.name: (None if f.name in ("key", "kind", "recipient", "slot") else f.default)
    for f in fields(Due)
}
_new = object.__new__
_set = object.__setattr__


def _due(values: dict[str, Any]) -> Due:
    """A Due from a complete dict of its fields: what `Due(**values)` builds, at a quarter of
    the cost (a frozen dataclass keeps its fields in its `__dict__`); a year of a 10,000-task
    table is 400,000 of them."""
    d: Due = _new(Due)
    _set(d, "__dict__", values)
    return d


class _Member(NamedTuple):
    """One series of a schedule: the key up to the slot's label, the recipient, the fields of
    its messages, and the item whose closure (办结) ends it."""

    head: str
    recipient: str
    fields: dict[str, Any]
    task_id: str | None = None
    sub_id: str | None = None


class _Entry(NamedTuple):
    """One slot of a schedule: its label in keys, its instant, its own fields."""

    label: str
    slot: dt.datetime
    extra: dict[str, Any] | None = None


#: A schedule: (kind, what its slots depend on...).
Schedule = tuple[Any, ...]
#: A series' latest passed slot as a message, its next slot, and its item (task, sub-item).
Candidate = tuple[Due, dt.datetime | None, str | None, str | None]


class Index:
    """The next-due index of one table on one working calendar (see the module docstring)."""

    def __init__(self, catalogue: Catalogue, calendar: WorkCalendar) -> None:
        self.cat = catalogue
        self.cal = calendar
        self.coordinators = catalogue.with_role(Role.COORDINATOR)
        self._policies: dict[str | None, Policy] = {None: catalogue.policy}
        for task in catalogue.tasks:
            self._policies.setdefault(task.id, catalogue.policy.for_task(task.policy))
        self.schedules: dict[Schedule, list[_Member]] = {}
        self._contacts: dict[tuple[str, ...], list[tuple[str, str | None]]] = {}
        with paused_gc():
            self._build()
        self._reminder_entries: dict[Schedule, list[_Entry]] = {}
        self._windowed: dict[tuple[Schedule, dt.date, dt.date], list[_Entry]] = {}
        self._epoch: tuple[tuple[dt.date, bool], list[Candidate]] | None = None
        self._chains: dict[tuple[dt.date, int, int], tuple[dt.date, ...]] = {}
        self._keys: dict[tuple[str, int], tuple[str, ...]] = {}
        self._lock = Lock()

    # -- the series, grouped by schedule (once per table)

    def _add(
        self, schedule: Schedule, head: str, bureaus: tuple[str, ...], base: dict[str, Any],
        task_id: str | None = None, sub_id: str | None = None,
    ) -> None:  # fmt: skip
        """The series of one schedule for each contact of the bureaus (or each person)."""
        members = self.schedules.setdefault(schedule, [])
        for recipient, bureau in self._recipients(bureaus):
            values = base.copy()
            values["recipient"] = recipient
            if bureau is not None:
                values["bureau_id"] = bureau
            members.append(_Member(head, recipient, values, task_id, sub_id))

    def _recipients(self, bureaus: tuple[str, ...]) -> list[tuple[str, str | None]]:
        found = self._contacts.get(bureaus)
        if found is None:
            found = self._contacts[bureaus] = list(contacts_of(self.cat, bureaus))
        return found

    def _build(self) -> None:
        cat = self.cat
        for task in cat.tasks:
            policy = self._policies[task.id]
            for sub_id, deadline, bureaus in milestones(task):
                if deadline.due is not None:
                    self._milestone(
                        task.id, policy, sub_id, deadline.due, deadline.is_ongoing, bureaus
                    )
            if task.deadline.is_ongoing and policy.checkin is not Cadence.NONE:
                base = {**_DEFAULTS, "kind": Kind.CHECKIN, "task_id": task.id,
                        "milestone": task.deadline.due}  # fmt: skip
                checkin: Schedule = (Kind.CHECKIN, policy.checkin, None)
                self._add(checkin, f"checkin:{task.id}:", (task.lead,), base, task.id)
        for ind in cat.indicators:
            if ind.checkin is not Cadence.NONE:
                base = {**_DEFAULTS, "kind": Kind.READING, "indicator_id": ind.id,
                        "milestone": ind.due.due}  # fmt: skip
                reading: Schedule = (Kind.READING, ind.checkin, ind.due.due)
                self._add(reading, f"reading:{ind.id}:", (ind.owner,), base)
        members = self.schedules.setdefault((Kind.DIGEST,), [])
        for person in self.coordinators:
            values = {**_DEFAULTS, "kind": Kind.DIGEST, "recipient": person.id}
            members.append(_Member("digest:", person.id, values))
        if not members:
            del self.schedules[(Kind.DIGEST,)]

    def _milestone(
        self,
        task_id: str,
        policy: Policy,
        sub_id: str | None,
        due: dt.date,
        ongoing: bool,
        bureaus: tuple[str, ...],
    ) -> None:
        """A milestone's reminder series and, for a fixed deadline, its overdue series."""
        subject = f"{task_id}/{sub_id}" if sub_id else task_id
        offsets = tuple(sorted(set(policy.reminder_offsets_days), reverse=True))
        base = {**_DEFAULTS, "task_id": task_id, "subtask_id": sub_id, "milestone": due}
        targets = reminder_targets(self.cat, policy, bureaus)
        reminder = {**base, "kind": Kind.REMINDER}
        head = f"reminder:{subject}:{due}:"
        self._add((Kind.REMINDER, due, offsets), head, targets, reminder, task_id, sub_id)
        if not ongoing:
            overdue = {**base, "kind": Kind.OVERDUE}
            schedule = (Kind.OVERDUE, due, policy.overdue_every_days, policy.overdue_slowdown_after)
            head = f"overdue:{subject}:{due}:"
            self._add(schedule, head, bureaus[:1], overdue, task_id, sub_id)

    # -- the slots of a schedule

    def entries(self, schedule: Schedule, lo: dt.date, hi: dt.date) -> list[_Entry]:
        """A schedule's slots in enumeration order (reminders: all of them; the others: those
        the enumeration makes for the window lo..hi)."""
        if schedule[0] is Kind.REMINDER:
            found = self._reminder_entries.get(schedule)
            if found is None:
                found = self._reminder_entries[schedule] = self._reminders(schedule)
            return found
        key = (schedule, lo, hi)
        found = self._windowed.get(key)
        if found is None:
            found = self._windowed[key] = self._window(schedule, lo, hi)
        return found

    def _reminders(self, schedule: Schedule) -> list[_Entry]:
        _, due, offsets = schedule
        cat, out = self.cat, []
        for offset in offsets:
            day = self.cal.previous_workday(due - dt.timedelta(days=offset))
            if day >= cat.document.date:
                slot = send_at(cat, day, cat.policy)
                out.append(_Entry(f"{offset}d", slot, {"offset_days": offset}))
        return out

    def _window(self, schedule: Schedule, lo: dt.date, hi: dt.date) -> list[_Entry]:
        cat, kind = self.cat, schedule[0]
        if kind is Kind.OVERDUE:
            return self._overdue(schedule, lo, hi)
        if kind is Kind.DIGEST:
            return self._digests(lo, hi)
        cadence, due = schedule[1], schedule[2]
        end = hi
        if kind is Kind.READING and due is not None:
            end = min(hi, due + dt.timedelta(days=100))
        first = max(lo, cat.document.date + dt.timedelta(days=1))
        return [
            _Entry(label, send_at(cat, day, cat.policy))
            for label, day in periods(first, end, cadence, self.cal)
            if day > cat.document.date
        ]

    def _overdue(self, schedule: Schedule, lo: dt.date, hi: dt.date) -> list[_Entry]:
        _, due, every, after = schedule
        policy = replace(self.cat.policy, overdue_every_days=every, overdue_slowdown_after=after)
        first = due + dt.timedelta(days=1)
        out: list[_Entry] = []
        k = overdue_index(policy, (lo - first).days)
        while True:
            day = self.cal.next_workday(first + dt.timedelta(days=overdue_offset(policy, k)))
            if day > hi:
                return out
            out.append(_Entry(str(k), send_at(self.cat, day, self.cat.policy), {"seq": k}))
            k += 1

    def _digests(self, lo: dt.date, hi: dt.date) -> list[_Entry]:
        cat, out = self.cat, []
        monday = lo - dt.timedelta(days=lo.weekday())
        while monday <= hi:
            day = self.cal.next_workday(monday + dt.timedelta(days=cat.policy.digest_weekday - 1))
            iso = monday.isocalendar()
            out.append(_Entry(f"{iso.year}-W{iso.week:02d}", send_at(cat, day, cat.policy)))
            monday += dt.timedelta(weeks=1)
        return out

    # -- plan

    def _candidates(self, now: dt.datetime) -> list[Candidate]:
        """Each series' latest passed slot as a message, with its next slot (per epoch)."""
        today = now.astimezone(self.cat.tz).date()
        send = send_at(self.cat, today, self.cat.policy)
        epoch = (today, now >= send)
        known = self._epoch
        if known is not None and known[0] == epoch:
            return known[1]
        with self._lock, paused_gc():
            if len(self._windowed) > 64:
                self._windowed.clear()
            found = self._compute_candidates(today, send if epoch[1] else send - TICK)
            self._epoch = (epoch, found)
        return found

    def _compute_candidates(self, today: dt.date, rep: dt.datetime) -> list[Candidate]:
        lo, hi = today - LOOK_BACK, today + LOOK_AHEAD
        out: list[Candidate] = []
        for schedule, members in self.schedules.items():
            if schedule[0] is Kind.REMINDER and schedule[1] < today:
                continue  # past its deadline: the overdue series takes over
            best: _Entry | None = None
            nxt: dt.datetime | None = None
            for e in self.entries(schedule, lo, hi):
                if e.slot <= rep:
                    if best is None or e.slot >= best.slot:
                        best = e
                elif nxt is None or e.slot < nxt:
                    nxt = e.slot
            if best is None:
                continue
            for m in members:
                values = m.fields.copy()
                if best.extra:
                    values.update(best.extra)
                values["key"] = f"{m.head}{best.label}:{m.recipient}"
                values["slot"] = best.slot
                out.append((_due(values), nxt, m.task_id, m.sub_id))
        return out

    def plan(self, now: dt.datetime, record: Record) -> list[Due]:
        """`plan_enumerated` for an instant in working hours."""
        grace = dt.timedelta(hours=self.cat.policy.catch_up_grace_hours)
        sent, closed = record.sent, record.closed
        out = []
        for d, nxt, task_id, sub_id in self._candidates(now):
            if d.key in sent or (task_id is not None and closed(task_id, sub_id)):
                continue
            missed = now - d.slot
            if missed > grace:
                if nxt is not None and missed > (nxt - d.slot) / 2:
                    continue  # the next slot of the series is nearer: wait for it
                if d.kind is Kind.DIGEST and missed > DIGEST_LATE:
                    continue
                d = replace(d, late=True)
            out.append(d)
        for d in self._followups(now, record):
            if d.slot <= now:
                out.append(replace(d, late=True) if now - d.slot > grace else d)
        out.sort(key=_order)
        return out

    # -- follow-ups and escalations

    def _chain(self, day: dt.date, after: int, count: int) -> tuple[dt.date, ...]:
        """The days of a prompt's follow-ups and then of its escalation."""
        key = (day, after, count)
        found = self._chains.get(key)
        if found is None:
            days = []
            for _ in range(count + 1):
                day = self.cal.add_workdays(day, after)
                days.append(day)
            found = self._chains[key] = tuple(days)
        return found

    def _followup_keys(self, prompt_key: str, count: int) -> tuple[str, ...]:
        found = self._keys.get((prompt_key, count))
        if found is None:
            found = tuple(f"followup:{prompt_key}:{n}" for n in range(1, count + 1))
            self._keys[(prompt_key, count)] = found
        return found

    def _followups(self, now: dt.datetime, record: Record) -> Iterator[Due]:
        """The follow-up (or escalations) each unanswered prompt is at, not yet sent."""
        cat, sent = self.cat, record.sent
        for p in record.prompts.values():
            if p.answered_at is not None or not still_asked(cat, record, p):
                continue
            task_id = p.task_id if p.indicator_id is None and p.task_id else None
            policy = self._policies[task_id]
            count = policy.max_followups
            days = self._chain(
                p.at.astimezone(cat.tz).date(), policy.followup_after_workdays, count
            )
            keys = self._followup_keys(p.key, count)
            base = {**_DEFAULTS, "kind": Kind.FOLLOWUP, "recipient": p.recipient,
                    "task_id": task_id, "subtask_id": p.subtask_id if task_id else None,
                    "indicator_id": p.indicator_id, "bureau_id": p.bureau_id, "ref": p.key,
                    "ref_at": p.at}  # fmt: skip
            yield from self._prompt_next(p, base, days, keys, sent, policy)

    def _prompt_next(
        self,
        p: Prompt,
        base: dict[str, Any],
        days: tuple[dt.date, ...],
        keys: tuple[str, ...],
        sent: set[str],
        policy: Policy,
    ) -> Iterator[Due]:
        for n, key in enumerate(keys, 1):
            if key not in sent:
                slot = send_at(self.cat, days[n - 1], policy)
                yield _due({**base, "key": key, "slot": slot, "seq": n})
                return
        slot = send_at(self.cat, days[-1], policy)
        for person in self.coordinators:
            key = f"escalation:{p.key}:{person.id}"
            if key not in sent:
                yield _due({**base, "key": key, "kind": Kind.ESCALATION,
                            "recipient": person.id, "slot": slot})  # fmt: skip

    # -- upcoming

    def upcoming(self, now: dt.datetime, record: Record, until: dt.datetime) -> list[Due]:
        """`upcoming_enumerated`."""
        with paused_gc():
            return self._upcoming(now, record, until)

    def _upcoming(self, now: dt.datetime, record: Record, until: dt.datetime) -> list[Due]:
        tz = self.cat.tz
        today, hi = now.astimezone(tz).date(), until.astimezone(tz).date()
        sent, closed = record.sent, record.closed
        buckets: dict[dt.datetime, list[Due]] = {}
        for schedule, members in self.schedules.items():
            if schedule[0] is Kind.REMINDER:
                entries = [
                    e
                    for e in self.entries(schedule, today, hi)
                    if now < e.slot <= until and e.slot.date() <= schedule[1]
                ]
            else:
                entries = [e for e in self._window(schedule, today, hi) if now < e.slot <= until]
            if not entries:
                continue
            live = [m for m in members if m.task_id is None or not closed(m.task_id, m.sub_id)]
            for label, slot, extra in entries:
                add = buckets.setdefault(slot, []).append
                for head, recipient, values_, _, _ in live:
                    key = f"{head}{label}:{recipient}"
                    if key in sent:
                        continue
                    values = values_.copy()
                    if extra:
                        values.update(extra)
                    values["key"] = key
                    values["slot"] = slot
                    d = _new(Due)
                    _set(d, "__dict__", values)
                    add(d)
        for d in self._followups(now, record):
            if now < d.slot <= until:
                buckets.setdefault(d.slot, []).append(d)
        out: list[Due] = []
        for slot in sorted(buckets):
            out += sorted(buckets[slot], key=_KEY)
        return out


_KEY = attrgetter("key")


def _order(d: Due) -> tuple[dt.datetime, str]:
    return (d.slot, d.key)


_INDEXES: OrderedDict[tuple[int, object], Index] = OrderedDict()
_INDEXES_LOCK = Lock()


def prepare(catalogue: Catalogue, calendar: WorkCalendar, now: dt.datetime) -> None:
    """Build the index and the candidates of `now`'s epoch ahead of `plan`: they depend on
    neither the record nor anything a running bot changes, so a worker thread may build them
    (the first tick of a day, or after a reload, on a large table) off the event loop."""
    with paused_gc():
        index(catalogue, calendar)._candidates(now)


def index(catalogue: Catalogue, calendar: WorkCalendar) -> Index:
    """The index of a table on a calendar (a calendar is its overrides: two with the same
    overrides share one). Kept for the last few tables; the index holds the table, so an id
    is never reused while it is kept."""
    key = (id(catalogue), calendar.overrides)
    with _INDEXES_LOCK:
        found = _INDEXES.get(key)
        if found is not None and found.cat is catalogue:
            _INDEXES.move_to_end(key)
            return found
    made = Index(catalogue, calendar)
    with _INDEXES_LOCK:
        _INDEXES[key] = made
        while len(_INDEXES) > KEEP:
            _INDEXES.popitem(last=False)
    return made
