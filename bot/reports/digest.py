"""The coordinators' weekly digest (督办周报): one Telegram message, HTML, at most 4096 characters.

Counts by light and the change since last week (with several documents, then one line of
counts per document), tasks that turned red, completions
claimed and awaiting confirmation, unanswered reminders by bureau, unbound contacts,
indicator readings received, messages that failed to send.

It compares the state now with the state a week ago (`Store.record_as_of`, worked back from
the current state) and lists the week's answers and readings: it never reads the whole
history, so it takes the same fraction of a second after three years as after three weeks.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.compose import fmt_value
from bot.core.history import History, Reading, Record, Sent, StatusUpdate
from bot.core.i18n import join, t
from bot.core.model import Catalogue
from bot.core.ranking import figures
from bot.core.render import MAX_MESSAGE, document_counts, esc, fmt_time
from bot.core.series import still_asked
from bot.core.status import ItemStatus, Light, counts, is_overdue, table_status
from bot.core.workdays import WorkCalendar

if TYPE_CHECKING:
    from storage.repo import Store

SECTION_LIMIT = 12


def _label_key(label: str) -> tuple[int, str]:
    """Task numbers in order, then indicator names."""
    return (int(label), "") if label.isdigit() else (10**9, label)


def digest_from(store: Store, world: object, record: Record) -> str:
    """The digest from an open store (a connection of its own, in a report process) and its
    current state (`record`): the week's answers, readings and messages, and the state a week
    ago, read from it."""
    from bot.service.base import World

    assert isinstance(world, World)
    since = world.now - dt.timedelta(days=7)
    period = store.history_since(since)  # the week's answers and messages
    week = Week(
        record,
        store.record_as_of(since, record),
        [u for u in period.updates if u.at > since],
        [r for r in period.readings if r.at > since],
        list(period.sent.values()),
    )
    bound = {b.member_id for b in store.bindings()} | set(world.chats)
    failed = [r.key for r in store.outbox_rows("failed")]
    cat = world.catalogue
    open_bureaus = {
        b for task in cat.tasks if not record.closed(task.id) for b in cat.bureaus_of(task)
    }
    unbound = [c.id for c in cat.contacts() if c.id not in bound and c.bureau_id in open_bureaus]
    return compose_digest(
        cat, week, world.now, lang=world.lang, since=since, unbound=unbound, failed=failed
    )


@dataclass(frozen=True)
class Week:
    """What a digest reports on: the state now and a week ago, the week's answers and
    readings (in recorded order)."""

    now: Record
    before: Record
    updates: Sequence[StatusUpdate]
    readings: Sequence[Reading]
    sent: Sequence[Sent] = ()  # the week's messages (the answer ranking)


def _short(note: str, limit: int = 60) -> str:
    """A note as the digest quotes it: one line, at most `limit` characters."""
    one = " ".join(note.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _ranking(
    catalogue: Catalogue,
    history: History,
    since: dt.datetime,
    now: dt.datetime,
    cal: WorkCalendar,
    current: list[ItemStatus],
    lang: str,
) -> list[str]:
    """回复率排行: the week's answer figures of every bureau that was asked something."""
    ranked = [f for f in figures(catalogue, history, since, now, cal, current) if f.sent]
    rows = [
        t(
            lang,
            "digest.row_rank",
            rank=n,
            bureau=esc(catalogue.bureau_name(f.bureau_id)),
            answered=f.answered,
            sent=f.sent,
            rate=f"{f.rate:.0%}" if f.rate is not None else "—",
            within=f.within_day,
            median=f"{f.median_hours:.1f}" if f.median_hours is not None else "—",
            followups=f.followups,
            escalations=f.escalations,
            overdue=f.overdue,
        )
        for n, f in enumerate(ranked, 1)
    ]
    return _section(t(lang, "digest.ranking"), rows, lang)


def _section(title: str, rows: list[str], lang: str) -> list[str]:
    if not rows:
        return []
    shown = rows[:SECTION_LIMIT]
    if len(rows) > SECTION_LIMIT:
        shown.append(t(lang, "digest.more", count=len(rows) - SECTION_LIMIT))
    return [t(lang, "digest.section", title=title), *shown]


def build_digest(
    catalogue: Catalogue,
    history: History,
    now: dt.datetime,
    *,
    lang: str = "zh",
    since: dt.datetime,
    unbound: list[str] | tuple[str, ...] = (),
    failed: list[str] | tuple[str, ...] = (),
) -> str:
    """The digest text (Telegram HTML) from a history."""
    week = Week(
        history.record(),
        history.as_of(since).record(),
        [u for u in history.updates if u.at > since],
        [r for r in history.readings if r.at > since],
        [s for s in history.sent.values() if s.at >= since],
    )
    return compose_digest(
        catalogue, week, now, lang=lang, since=since, unbound=unbound, failed=failed
    )


def compose_digest(
    catalogue: Catalogue,
    week: Week,
    now: dt.datetime,
    *,
    lang: str = "zh",
    since: dt.datetime,
    unbound: Sequence[str] = (),
    failed: Sequence[str] = (),
) -> str:
    """The digest text (Telegram HTML)."""
    cal = WorkCalendar(catalogue.calendar)
    today = now.astimezone(catalogue.tz).date()
    current = table_status(catalogue, week.now, now, cal)
    before = table_status(catalogue, week.before, since, cal)
    lines = [t(lang, "digest.header", date=today.isoformat()), _counts(current, before, lang)]
    if catalogue.several:  # then one line of counts per document
        lines += document_counts(catalogue, current, lang)
    lines += _task_sections(catalogue, current, before, lang)
    lines += _section(t(lang, "digest.claims"), _claims(catalogue, current, lang), lang)
    lines += _section(t(lang, "digest.changes"), _changes(catalogue, week.updates, lang), lang)
    week_history = History(week.updates, week.readings, week.sent)
    lines += _ranking(catalogue, week_history, since, now, cal, current, lang)
    lines += _section(t(lang, "digest.unanswered"), _unanswered(catalogue, week.now, lang), lang)
    lines += _section(t(lang, "digest.unbound"), _unbound(catalogue, unbound, lang), lang)
    lines += _section(t(lang, "digest.readings"), _readings(catalogue, week.readings, lang), lang)
    lines += _section(
        t(lang, "digest.failed"), [t(lang, "digest.row_failed", key=esc(k)) for k in failed], lang
    )
    text = "\n".join(lines)
    if len(text) > MAX_MESSAGE:
        cut = text[: MAX_MESSAGE - 40].rsplit("\n", 1)[0]
        text = cut + "\n" + t(lang, "digest.more", count=text.count("\n") - cut.count("\n"))
    return text


def _counts(current: list[ItemStatus], before: list[ItemStatus], lang: str) -> str:
    c_now, c_before = counts(current), counts(before)
    return t(
        lang, "digest.counts", total=len(current), red=c_now[Light.RED],
        yellow=c_now[Light.YELLOW], green=c_now[Light.GREEN], done=c_now[Light.DONE],
    ) + t(
        lang, "digest.change", red=c_before[Light.RED], yellow=c_before[Light.YELLOW],
        green=c_before[Light.GREEN], done=c_before[Light.DONE],
    )  # fmt: skip


def _task_sections(
    catalogue: Catalogue, current: list[ItemStatus], before: list[ItemStatus], lang: str
) -> list[str]:
    """Turned red, overdue, blocked, due within 30 days."""
    was = {s.task_id: s.light for s in before}
    tasks = {x.id: x for x in catalogue.tasks}

    def row(task_id: str) -> str:
        task = tasks[task_id]
        return t(lang, "digest.row_task", number=task.label, title=esc(task.title),
                 lead=esc(catalogue.bureau_name(task.lead)))  # fmt: skip

    red = [
        row(s.task_id)
        for s in current
        if s.light is Light.RED and was.get(s.task_id) is not Light.RED
    ]
    overdue = [row(s.task_id) for s in current if is_overdue(s)]
    blocked = [row(s.task_id) for s in current if s.light is Light.RED and not is_overdue(s)]
    soon = [
        row(s.task_id)
        for s in current
        if s.light is not Light.DONE and s.days_left is not None and 0 <= s.days_left <= 30
    ]
    return [
        *_section(t(lang, "digest.turned_red"), red, lang),
        *_section(t(lang, "digest.overdue"), overdue, lang),
        *_section(t(lang, "digest.blocked"), blocked, lang),
        *_section(t(lang, "digest.due_soon"), soon, lang),
    ]


def _claims(catalogue: Catalogue, current: list[ItemStatus], lang: str) -> list[str]:
    out = []
    for s in current:
        if s.claim is not None:
            task = catalogue.task(s.task_id)
            out.append(
                t(
                    lang, "digest.row_claim", number=task.label, title=esc(task.title),
                    bureau=esc(catalogue.bureau_name(s.claim.bureau_id)),
                    who=esc(catalogue.member_name(s.claim.by)),
                    time=fmt_time(s.claim.at, catalogue),
                )
            )  # fmt: skip
    return out


def _changes(catalogue: Catalogue, updates: Sequence[StatusUpdate], lang: str) -> list[str]:
    tasks = {x.id: x for x in catalogue.tasks}
    return [
        t(
            lang,
            "digest.row_change",
            number=tasks[u.task_id].label,
            title=esc(tasks[u.task_id].title),
            status=t(
                lang, "update.confirmed" if u.kind.value == "closed" else f"update.{u.kind.value}"
            )
            + (f" {u.progress}%" if u.progress is not None else ""),
            who=esc(catalogue.member_name(u.by)),
        )
        + (t(lang, "digest.quote", note=esc(_short(u.note))) if u.note else "")
        for u in updates
        if u.task_id in tasks
    ]


def _unanswered(catalogue: Catalogue, record: Record, lang: str) -> list[str]:
    tasks = {x.id: x for x in catalogue.tasks}
    waiting: dict[str, list[str]] = defaultdict(list)
    for prompt in record.prompts.values():
        if prompt.answered_at is not None or not still_asked(catalogue, record, prompt):
            continue
        if prompt.indicator_id is not None:
            if prompt.indicator_id not in catalogue.indicator_ids:
                continue
            label = catalogue.indicator(prompt.indicator_id).name
        else:
            if prompt.task_id not in tasks or record.closed(prompt.task_id, prompt.subtask_id):
                continue
            label = tasks[prompt.task_id].label
        waiting[catalogue.bureau_name(prompt.bureau_id)].append(label)
    return [
        t(
            lang,
            "digest.row_unanswered",
            bureau=esc(bureau),
            count=len(items),
            items=join(lang, (esc(i) for i in sorted(set(items), key=_label_key))),
        )
        for bureau, items in sorted(waiting.items(), key=lambda kv: -len(kv[1]))
    ]


def _unbound(catalogue: Catalogue, unbound: Sequence[str], lang: str) -> list[str]:
    by_bureau: dict[str, list[str]] = defaultdict(list)
    for member in unbound:
        try:
            contact = catalogue.contact(member)
        except KeyError:
            continue
        by_bureau[catalogue.bureau_name(contact.bureau_id)].append(contact.name)
    return [
        t(lang, "digest.row_unbound", bureau=esc(b), names=join(lang, (esc(n) for n in names)))
        for b, names in by_bureau.items()
    ]


def _readings(catalogue: Catalogue, readings: Sequence[Reading], lang: str) -> list[str]:
    out = []
    for r in readings:
        try:
            ind = catalogue.indicator(r.indicator_id)
        except KeyError:
            continue
        value = fmt_value(r.value) if r.value is not None else t(lang, "status.reading_explained")
        out.append(
            t(lang, "digest.row_reading", name=esc(ind.name), value=value, unit=esc(ind.unit),
              bureau=esc(catalogue.bureau_name(r.bureau_id)), time=fmt_time(r.at, catalogue))
        )  # fmt: skip
    return out
