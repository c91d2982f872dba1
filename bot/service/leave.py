"""请假与代收: a contact on leave has their reminders go to their deputy (marked 代收), or,
with no deputy, wait: the planner offers them again at every tick, and on the first working
day back they go out (补发) folded into one summary. Follow-ups and escalations do not count
the days of leave against the bureau: they wait as many working days as the leave took.

`route` is the hook the engine calls where a due item becomes an outbox message; `set_leave`,
`end_leave` and `set_deputy` are the chat's operations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from bot.core.history import Record
from bot.core.model import Contact
from bot.core.planner import Due, Kind
from bot.core.protocol import PickLeave, pack
from bot.core.render import Button, Rendered, esc
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Leave, parse_day
from bot.service.base import Identity, Outcome, World
from storage.repo import NewMessage, Store

#: A contact back from leave within this many days gets what waited folded into one summary.
BACK_WINDOW_DAYS = 14
#: The longest leave one request may enter.
MAX_LEAVE_DAYS = 366


def by_member(
    leaves: Iterable[Leave], since: dt.date | None = None
) -> dict[str, tuple[Leave, ...]]:
    """Leaves in force (not cancelled; ending on or after `since`), by member."""
    out: dict[str, list[Leave]] = {}
    for lv in leaves:
        if lv.cancelled_at is None and (since is None or lv.end >= since):
            out.setdefault(lv.member_id, []).append(lv)
    return {member: tuple(lvs) for member, lvs in out.items()}


def on_leave(leaves: Mapping[str, Sequence[Leave]], member_id: str, day: dt.date) -> Leave | None:
    """The leave that covers a day, if any."""
    return next((lv for lv in leaves.get(member_id, ()) if lv.covers(day)), None)


def deputy_of(world: World, contact_id: str) -> Contact | None:
    """A contact's deputy: the one chosen in chat, else the YAML's `deputy:`; only a contact
    of the same bureau who is not on leave themselves."""
    cat = world.catalogue
    contact = cat.contact_or_none(contact_id)
    if contact is None:
        return None
    chosen = world.deputies.get(contact_id, contact.deputy)
    deputy = cat.contact_or_none(chosen) if chosen else None
    if deputy is None or deputy.bureau_id != contact.bureau_id or deputy.id == contact_id:
        return None
    if on_leave(world.leaves, deputy.id, _day(world)):
        return None
    return deputy


@dataclass(frozen=True)
class Away:
    """A planned message whose recipient will be on leave that day: its deputy receives it
    (代收), or it waits until they are back."""

    leave: Leave
    deputy: Contact | None


def away_at(world: World, d: Due) -> Away | None:
    """Leave as the engine will apply it to a planned message at its slot (`duban plan`)."""
    if d.kind is Kind.DIGEST:
        return None
    at_slot = replace(world, now=d.slot)
    leave = on_leave(world.leaves, d.recipient, _day(at_slot))
    if leave is None:
        return None
    return Away(leave, deputy_of(at_slot, d.recipient))


def _day(world: World) -> dt.date:
    return world.now.astimezone(world.catalogue.tz).date()


@dataclass
class Routing:
    """Where each due item goes: its chat, a line marking it (代收), the chats whose items
    fold into one summary whatever their number (back from leave), and the items of a
    contact on leave that ride in the deputy's own message about the same thing."""

    chat: dict[str, int] = field(default_factory=dict)
    mark: dict[str, str] = field(default_factory=dict)
    fold: set[int] = field(default_factory=set)
    ride: dict[str, tuple[Due, str]] = field(default_factory=dict)  # rider key -> (due, host)

    def finish(self, messages: list[NewMessage]) -> list[NewMessage]:
        """The composed messages, each rider added to its host's message (one Telegram
        message carries both rows, so the absent contact's item counts as delivered)."""
        if not self.ride:
            return messages
        hosts = {host for _, host in self.ride.values()}
        out = [replace(m, batch=m.batch or m.key) if m.key in hosts else m for m in messages]
        by_key = {m.key: m for m in out}
        for d, host in self.ride.values():
            m = by_key.get(host)
            if m is not None:
                out.append(
                    replace(
                        m, key=d.key, kind=d.kind.value, recipient=d.recipient, slot=d.slot,
                        bureau_id=d.bureau_id, ref_at=d.ref_at,
                    )
                )  # fmt: skip
        return out

    def marked(self, keys: Sequence[str], rendered: Rendered) -> Rendered:
        """The message with the marks of the items it carries on top."""
        marks = list(dict.fromkeys(self.mark[k] for k in keys if k in self.mark))
        if not marks:
            return rendered
        return Rendered("\n".join(marks) + "\n\n" + rendered.text, rendered.buttons)


def route(world: World, record: Record, due: Sequence[Due]) -> tuple[list[Due], Routing]:
    """The engine's hook: the items that go now and where; an item of a contact on leave goes
    to the deputy (unless the deputy gets the same item anyway) or waits."""
    routing = Routing()
    if not world.leaves:  # nobody on leave or back lately: everything goes as planned
        routing.chat = {d.key: world.chats[d.recipient] for d in due}
        return list(due), routing
    out: list[Due] = []
    today = _day(world)
    own = {(d.recipient, d.kind, d.task_id, d.subtask_id, d.indicator_id): d.key for d in due}
    for d in due:
        if _deferred(world, record, d):
            continue
        leave = on_leave(world.leaves, d.recipient, today) if d.kind is not Kind.DIGEST else None
        if leave is None:
            routing.chat[d.key] = world.chats[d.recipient]
            if _just_back(world, d.recipient, today) and d.late:
                routing.fold.add(world.chats[d.recipient])
            out.append(d)
            continue
        deputy = deputy_of(world, d.recipient)
        if deputy is None or deputy.id not in world.chats:
            continue  # waits for the first working day back
        mark = world.t(
            "leave.proxy_mark",
            name=esc(world.catalogue.member_name(d.recipient)),
            end=leave.end.isoformat(),
        )
        host = own.get((deputy.id, d.kind, d.task_id, d.subtask_id, d.indicator_id))
        if host is not None:  # the deputy gets this very item: one message carries both
            routing.ride[d.key] = (d, host)
            routing.mark[host] = mark
            continue
        routing.chat[d.key] = world.chats[deputy.id]
        routing.mark[d.key] = mark
        out.append(d)
    return out, routing


def _just_back(world: World, member_id: str, today: dt.date) -> bool:
    window = today - dt.timedelta(days=BACK_WINDOW_DAYS)
    return any(
        lv.cancelled_at is None and window <= lv.end < today
        for lv in world.leaves.get(member_id, ())
    )


def _deferred(world: World, record: Record, d: Due) -> bool:
    """A follow-up or escalation that is due only when the leave's working days are not
    counted: it waits."""
    if d.kind not in (Kind.FOLLOWUP, Kind.ESCALATION) or d.ref_at is None:
        return False
    contact = d.recipient if d.kind is Kind.FOLLOWUP else _prompted(record, d)
    leaves = world.leaves.get(contact or "", ())
    if not leaves:
        return False
    cat = world.catalogue
    task = cat.task(d.task_id) if d.task_id and d.task_id in cat.task_ids else None
    policy = cat.policy.for_task(task.policy if task else None)
    steps = d.seq if d.kind is Kind.FOLLOWUP else policy.max_followups + 1
    day = d.ref_at.astimezone(cat.tz).date()
    for _ in range(max(steps, 1)):
        day = add_workdays_present(world.calendar, day, policy.followup_after_workdays, leaves)
    due_at = dt.datetime.combine(day, policy.send_time, tzinfo=cat.tz)
    return world.now < due_at


def _prompted(record: Record, d: Due) -> str | None:
    subject = d.indicator_id or d.task_id
    if subject is None:
        return None
    return next((p.recipient for p in record.prompts_about(subject) if p.key == d.ref), None)


def add_workdays_present(
    calendar: WorkCalendar, day: dt.date, n: int, leaves: Sequence[Leave]
) -> dt.date:
    """`n` working days after `day`, not counting the days of leave."""
    count = 0
    while count < n:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day) and not any(lv.covers(day) for lv in leaves):
            count += 1
    return day


# -- the chat's operations --------------------------------------------------------------------


#: /leave's buttons: leave from today for this many days.
LEAVE_BUTTONS = (3, 7, 14)


def leave_buttons(world: World, who: Identity) -> tuple[tuple[Button, ...], ...]:
    """今天起 3 天 / 1 周 / 2 周, and 销假 while on leave."""
    row = tuple(
        Button(world.t("leave.button_days", days=n), pack(PickLeave(n))) for n in LEAVE_BUTTONS
    )
    if any(lv.end >= _day(world) for lv in world.leaves.get(who.member_id, ())):
        return (row, (Button(world.t("leave.button_back"), pack(PickLeave(0))),))
    return (row,)


def pick_leave(store: Store, world: World, who: Identity, *, days: int, update_id: int) -> Outcome:
    """/leave's buttons: from today for `days` days, or back now (0)."""
    if days == 0:
        return end_leave(store, world, who, update_id=update_id)
    if days not in LEAVE_BUTTONS:
        return Outcome(toast=world.t("answer.expired_button"), alert=True)
    today = _day(world)
    last = today + dt.timedelta(days=days - 1)
    out = set_leave(
        store, world, who, start=today.isoformat(), end=last.isoformat(), update_id=update_id
    )
    out.toast = ""
    return out


def set_leave(
    store: Store, world: World, who: Identity, *, start: str, end: str, update_id: int
) -> Outcome:
    """/leave 12月1日 12月10日."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        today = _day(world)
        first, last = parse_day(start, today), parse_day(end, today)
        if first is None or last is None:
            return Outcome().reply(world.t("leave.usage"))
        if last < first:
            return Outcome().reply(world.t("leave.backwards"))
        if (
            (last - first).days >= MAX_LEAVE_DAYS
            or last < today
            or (first - today).days > MAX_LEAVE_DAYS  # 9999-12-31 has no day after it
        ):
            return Outcome().reply(world.t("leave.bad_range"))
        store.add_leave(who.member_id, first, last, world.now, who.member_id)
        deputy = deputy_of(world, who.member_id)
        back = world.calendar.next_workday(last + dt.timedelta(days=1))
        text = (
            world.t("leave.set_deputy", start=first.isoformat(), end=last.isoformat(),
                    deputy=esc(deputy.name))
            if deputy is not None
            else world.t("leave.set_hold", start=first.isoformat(), end=last.isoformat(),
                         back=back.isoformat())
        )  # fmt: skip
        return Outcome(catalogue_changed=True).reply(text)


def end_leave(store: Store, world: World, who: Identity, *, update_id: int) -> Outcome:
    """/leave 取消: back early (current and future leaves end)."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        n = store.cancel_leaves(who.member_id, world.now)
        key = "leave.cancelled" if n else "leave.none"
        return Outcome(catalogue_changed=bool(n)).reply(world.t(key))


def set_deputy(
    store: Store, world: World, who: Identity, *, deputy_id: str, update_id: int
) -> Outcome:
    """/deputy's buttons: a colleague of the bureau (or nobody, `-`)."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        cat = world.catalogue
        if deputy_id == "-":
            store.set_deputy(who.member_id, None, world.now)
            return Outcome(toast="", catalogue_changed=True).reply(world.t("deputy.none_set"))
        deputy = cat.contact_or_none(deputy_id)
        if deputy is None or deputy.bureau_id != who.bureau_id or deputy.id == who.member_id:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        store.set_deputy(who.member_id, deputy.id, world.now)
        return Outcome(toast="", catalogue_changed=True).reply(
            world.t("deputy.set", name=esc(deputy.name))
        )


def leave_lines(world: World, contacts: Sequence[Contact]) -> list[str]:
    """Who of these contacts is on leave today or will be (for /contacts and /status BUREAU)."""
    today = _day(world)
    lines = []
    for c in contacts:
        for lv in world.leaves.get(c.id, ()):
            if lv.cancelled_at is not None or lv.end < today:
                continue
            deputy = deputy_of(world, c.id)
            lines.append(
                world.t(
                    "leave.row", name=esc(c.name), start=lv.start.isoformat(),
                    end=lv.end.isoformat(),
                    deputy=world.t("leave.row_deputy", name=esc(deputy.name)) if deputy
                    else world.t("leave.row_hold"),
                )
            )  # fmt: skip
    return lines
