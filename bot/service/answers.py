"""A bureau contact's answers: buttons under reminders, /update, texts, readings, edits.

Each public function is one operation: one SQLite transaction on the writer thread, marking
the Telegram update handled together with its effect (a redelivered update changes nothing),
returning the `Outcome` the chat edge delivers. Every text is recorded against the item it
answers, once; a text the bot cannot place yet is kept (pending) until the contact says where
it belongs, never dropped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

from bot.core.compose import fmt_value, status_buttons
from bot.core.history import Record, StatusUpdate, UpdateKind
from bot.core.i18n import paren
from bot.core.model import Catalogue, Indicator, Task
from bot.core.parse import (
    ReadingProblem,
    find_task,
    parse_number,
    parse_progress,
    parse_reading,
    says_done,
)
from bot.core.protocol import Answer, Awaiting, Pending, WhichTask, pack
from bot.core.render import Button, Rendered, esc, task_card
from bot.core.status import task_status
from bot.core.workflow import requires_evidence
from bot.service import notices
from bot.service.base import Edit, Identity, Outcome, World
from bot.service.evidence import earlier_files
from bot.service.items import may_report, message_rows, reminder_row
from storage.repo import OutboxRow, Store

#: Texts kept at most while the bot asks which task they belong to.
MAX_KEPT = 20
#: What the bot asks for that "取消" calls off (the press that asked changed nothing yet).
ASKED = (Awaiting.RETURN_REASON, Awaiting.REFUSE_REASON, Awaiting.EXTENSION)
CANCEL = frozenset({"取消", "撤回", "算了", "cancel"})
#: A text this soon after a button (or a completion claim) is its note.
NOTE_WINDOW = dt.timedelta(hours=2)


def status_name(world: World, kind: UpdateKind) -> str:
    """正常推进 / 存在风险 / ... / 已办结."""
    return world.t("update.confirmed" if kind is UpdateKind.CLOSED else f"update.{kind.value}")


def open_tasks(catalogue: Catalogue, record: Record, who: Identity) -> list[Task]:
    """The open tasks of a contact's bureau (lead or cooperating)."""
    if who.bureau_id is None:
        return []
    return [t for t in catalogue.tasks_of(who.bureau_id) if not record.closed(t.id)]


def _other_bureau(world: World, who: Identity, task: Task) -> str:
    bureau = world.catalogue.bureau_name(who.bureau_id)
    return world.t("access.other_bureau", number=task.label, bureau=esc(bureau))


def _record(
    store: Store,
    world: World,
    who: Identity,
    task: Task,
    kind: UpdateKind,
    *,
    sub: str | None = None,
    note: str = "",
    progress: int | None = None,
    key: str | None = None,
    message_id: int | None = None,
    corrects: int | None = None,
) -> StatusUpdate:
    if sub is not None and task.subtask(sub) is None:
        sub = None  # the sub-item left the table since: what was said goes to its task
    u = store.add_update(
        task_id=task.id,
        kind=kind,
        by=who.member_id,
        at=world.now,
        bureau_id=who.bureau_id,
        subtask_id=sub,
        progress=progress,
        note=note,
        message_key=key,
        corrects=corrects,
        telegram_user_id=who.user_id,
        telegram_message_id=message_id,
    )
    assert u is not None
    return u


def _status(
    store: Store,
    world: World,
    who: Identity,
    task: Task,
    answer: Answer,
    *,
    sub: str | None,
    key: str | None,
    pressed: Edit | None,
) -> Outcome:
    """Record a status (or ask for a note) and mark the pressed message as answered."""
    out = Outcome(replan=True)
    subtask = task.subtask(sub) if sub else None
    if answer.kind is None:  # 补充说明: the next text is the note
        store.set_pending(
            who.user_id, Pending(Awaiting.NOTE, world.now, task.id, sub, message_key=key)
        )
        out.toast = world.t("update.note")
        return out.reply(world.t("answer.note_prompt", number=task.label))
    if answer.kind is UpdateKind.DONE_CLAIMED:
        open_claim = store.item(task.id, sub).claim
        if open_claim is not None and open_claim.by == who.member_id:  # claimed already
            name = status_name(world, answer.kind)
            return Outcome(toast=world.t("answer.already_answered", status=name), alert=True)
    u = _record(store, world, who, task, answer.kind, sub=sub, key=key)
    store.set_pending(who.user_id, Pending(Awaiting.NOTE, world.now, task.id, sub, message_key=key))
    name = status_name(world, answer.kind)
    out.toast = name
    if pressed is not None:
        addition = world.t(
            "answer.recorded_mark", status=name, who=esc(who.name), time=world.time(world.now)
        )
        out.edits.append(
            Edit(pressed.chat_id, pressed.message_id, Rendered(pressed.rendered.text + addition))
        )
    if answer.kind is UpdateKind.DONE_CLAIMED:
        out.outbox = notices.claim(store, world, who, task, subtask, u)
        out.files.extend(earlier_files(store, world, u.id))
        out.reply(world.t("answer.claimed", number=task.label))
        if requires_evidence(world.catalogue, task, subtask):
            store.set_pending(
                who.user_id,
                Pending(Awaiting.EVIDENCE, world.now, task.id, sub, message_key=key, claim_id=u.id),
            )
            out.reply(world.t("evidence.ask"))
        return out
    title = task.title + (paren(world.lang, subtask.text[:20]) if subtask else "")
    return out.reply(world.t("answer.recorded", number=task.label, title=esc(title), status=name))


def answer_reminder(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    chat_id: int,
    message_id: int,
    answer: Answer,
    update_id: int,
    shown: str | None = None,
) -> Outcome:
    """A button under a reminder: the status of the reminder's task (or sub-item); `shown`:
    the message's text as the chat shows it (finds a reminder of unknown delivery)."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        row = reminder_row(store, who, chat_id, message_id, shown)
        if row is None or row.task_id is None or row.indicator_id is not None:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        if row.task_id not in world.catalogue.task_ids:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        task = world.catalogue.task(row.task_id)
        if not may_report(world.catalogue, who, task):
            return Outcome(toast=_other_bureau(world, who, task), alert=True)
        if row.subtask_id and task.subtask(row.subtask_id) is None:
            return Outcome(toast=world.t("answer.item_removed", number=task.label), alert=True)
        if record.closed(task.id, row.subtask_id):
            return Outcome(toast=world.t("answer.closed", number=task.label), alert=True)
        earlier = _pressed_before(store, who, task, row.key)
        if earlier is not None:  # a double tap: both presses left before the buttons went
            name = status_name(world, earlier.kind)
            return Outcome(toast=world.t("answer.already_answered", status=name), alert=True)
        pressed = Edit(chat_id, message_id, Rendered(row.text))
        return _status(
            store, world, who, task, answer, sub=row.subtask_id, key=row.key, pressed=pressed
        )


def _pressed_before(store: Store, who: Identity, task: Task, key: str) -> StatusUpdate | None:
    """The status this contact already gave by a button under this reminder (a note typed in
    reply is no such answer: a button may still follow it)."""
    return next(
        (
            u
            for u in store.updates(task.id)
            if u.message_key == key and u.by == who.member_id and u.kind is not UpdateKind.NOTE
        ),
        None,
    )


def pick_status(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    task_id: str,
    answer: Answer,
    pressed: Edit,
    update_id: int,
) -> Outcome:
    """/update's status buttons: the task's status."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        task = world.catalogue.task(task_id) if task_id in world.catalogue.task_ids else None
        if task is None:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        if not may_report(world.catalogue, who, task):
            return Outcome(toast=_other_bureau(world, who, task), alert=True)
        if record.closed(task.id):
            return Outcome(toast=world.t("answer.closed", number=task.label), alert=True)
        return _status(store, world, who, task, answer, sub=None, key=None, pressed=pressed)


def ask_status(world: World, record: Record, who: Identity, task: Task) -> Outcome:
    """The task card and the five answers (for /update TASK and a task button)."""
    if not may_report(world.catalogue, who, task):
        return Outcome().reply(_other_bureau(world, who, task))
    if record.closed(task.id):
        return Outcome().reply(world.t("answer.closed", number=task.label))
    light = task_status(world.catalogue, task, record, world.now, world.calendar).light
    lines = [
        world.t("answer.pick_status", number=task.label, title=esc(task.title)),
        "",
        *task_card(world.catalogue, task, None, world.now, world.lang, light.value),
    ]
    return Outcome().reply("\n".join(lines), status_buttons(world.lang, task.id))


def command_note(
    store: Store,
    world: World,
    who: Identity,
    *,
    task: Task,
    text: str,
    message_id: int,
    update_id: int,
) -> Outcome:
    """`/update TASK 说明`: the note of that task (as a reply to its reminder would be)."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        return _note(store, world, who, task, text, message_id=message_id)


# -- texts --------------------------------------------------------------------------------------


def _note(
    store: Store,
    world: World,
    who: Identity,
    task: Task,
    text: str,
    *,
    sub: str | None = None,
    key: str | None = None,
    message_id: int | None = None,
    keep_waiting: bool = False,
) -> Outcome:
    """A note on a task (progress read from the text); `keep_waiting`: what the bot waits for
    (a claim's evidence) still stands."""
    if not may_report(world.catalogue, who, task):
        return Outcome().reply(_other_bureau(world, who, task))
    progress = parse_progress(text)
    _record(store, world, who, task, UpdateKind.NOTE, sub=sub, note=text,
            progress=progress, key=key, message_id=message_id)  # fmt: skip
    if not keep_waiting:
        store.clear_pending(who.user_id)
    suffix = world.t("answer.progress_suffix", progress=progress) if progress is not None else ""
    text_out = world.t("answer.text_recorded", number=task.label, progress=suffix)
    if says_done(text):  # a note, not a claim: say how to ask for closure
        text_out += "\n" + world.t(
            "answer.done_hint", button=world.t("button.done_claimed"), number=task.label
        )
    return Outcome(replan=True).reply(text_out)


def _keep(
    store: Store,
    world: World,
    who: Identity,
    text: str,
    message_id: int,
    tasks: Sequence[Task],
    pending: Pending | None,
) -> Outcome:
    """Keep a text until the contact says which task it is about; ask (again)."""
    kept = pending.texts if pending is not None else ()
    if len(kept) >= MAX_KEPT:  # full: this one is refused out loud, none pushed out
        question = world.t("answer.kept_full", count=len(kept))
    else:
        texts = (*kept, (text, message_id))
        ids = tuple(t.id for t in tasks)
        store.set_pending(
            who.user_id, Pending(Awaiting.WHICH_TASK, world.now, texts=texts, candidates=ids)
        )
        question = (
            world.t("answer.which_task_more", count=len(texts))
            if len(texts) > 1
            else world.t("answer.which_task")
        )
    buttons = tuple(
        (Button(f"{t.label}. {t.title[:14]}", pack(WhichTask(t.id))),) for t in tasks[:40]
    )
    return Outcome().reply(question, buttons)


def _file(store: Store, world: World, who: Identity, task: Task, pending: Pending) -> Outcome:
    """Record every kept text against the task the contact picked, in the order sent."""
    if not may_report(world.catalogue, who, task):
        return Outcome().reply(_other_bureau(world, who, task))
    for text, message_id in pending.texts:
        _record(store, world, who, task, UpdateKind.NOTE, note=text,
                progress=parse_progress(text), message_id=message_id)  # fmt: skip
    store.clear_pending(who.user_id, keep_texts=False)
    filed = world.t(
        "answer.filed", number=task.label, title=esc(task.title), count=len(pending.texts)
    )
    return Outcome(replan=True).reply(filed)


def which_task(
    store: Store, world: World, who: Identity, *, task_id: str, pressed: Edit, update_id: int
) -> Outcome:
    """The contact picked the task that the kept texts belong to."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        pending = store.pending(who.user_id)
        if (
            pending is None
            or not pending.texts
            or task_id not in pending.candidates
            or task_id not in world.catalogue.task_ids
        ):
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        task = world.catalogue.task(task_id)
        out = _file(store, world, who, task, pending)
        mark = world.t("answer.filed_mark", number=task.label, time=world.time(world.now))
        out.edits.append(
            Edit(pressed.chat_id, pressed.message_id, Rendered(pressed.rendered.text + mark))
        )
        out.toast = ""
        return out


def text_message(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    chat_id: int,
    message_id: int,
    text: str,
    reply_to: int | None,
    update_id: int,
    reply_shown: str | None = None,
) -> Outcome:
    """A text from a known user: a reply to a prompt, what the bot asked for, or a free note
    (`reply_shown`: the text of the message replied to, as the chat shows it)."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        pending = store.pending(who.user_id)
        if (
            pending is not None
            and pending.expires() < world.now
            and pending.kind is not Awaiting.WHICH_TASK  # kept texts are never dropped
        ):
            store.clear_pending(who.user_id)  # an old question: don't guess
            pending = store.pending(who.user_id)  # texts it carried, still kept
        if pending is not None and pending.kind in ASKED and text.lower() in CANCEL:
            store.clear_pending(who.user_id)  # a decision pressed by mistake, called off
            return Outcome().reply(world.t("answer.cancelled"))
        if pending is not None and pending.kind is Awaiting.RETURN_REASON and pending.claim_id:
            from bot.service.claims import return_claim

            return return_claim(store, world, record, who, pending.claim_id, text)
        rows = message_rows(store, chat_id, reply_to, reply_shown) if reply_to is not None else []
        if (
            pending is not None
            and pending.kind in (Awaiting.REFUSE_REASON, Awaiting.EXTENSION)
            and not _answers_another(who, pending, rows)
        ):
            return _workflow_text(store, world, record, who, pending, text)
        if who.contact is not None and rows:
            return _reply_to_prompt(store, world, record, who, rows, text, message_id)
        if who.contact is None:
            return Outcome().reply(world.t("help.coordinator"))
        return _free_text(store, world, record, who, text, message_id, pending)


def _answers_another(who: Identity, pending: Pending, rows: list[OutboxRow]) -> bool:
    """A contact asked for a new deadline replied to another reminder instead: the reply
    answers that reminder (and, like any answer, ends the question)."""
    if pending.kind is not Awaiting.EXTENSION or who.contact is None or not rows:
        return False
    return all(r.key != pending.message_key for r in rows)


def _workflow_text(
    store: Store, world: World, record: Record, who: Identity, pending: Pending, text: str
) -> Outcome:
    """The reason of a 驳回, or the new deadline and reason of an extension request."""
    from bot.service import extensions

    if pending.kind is Awaiting.REFUSE_REASON and pending.claim_id:
        return extensions.refuse(store, world, who, pending.claim_id, text)
    cat = world.catalogue
    if pending.task_id not in cat.task_ids:
        store.clear_pending(who.user_id)
        return Outcome().reply(world.t("answer.expired_button"))
    task = cat.task(pending.task_id or "")
    sub = task.subtask(pending.subtask_id) if pending.subtask_id else None
    if pending.subtask_id and sub is None:
        store.clear_pending(who.user_id)
        return Outcome().reply(world.t("answer.item_removed", number=task.label))
    date = pending.extra.get("date")
    body = f"{date} {text}" if date else text
    return extensions.request(
        store, world, record, who, task=task, sub=sub, text=body, update_id=None,
        message_key=pending.message_key,
    )  # fmt: skip


def _reply_to_prompt(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    rows: list[OutboxRow],
    text: str,
    message_id: int,
) -> Outcome:
    subjects = {r.indicator_id or r.task_id for r in rows} - {None}
    inds = {r.indicator_id: r for r in rows if r.indicator_id in world.catalogue.indicator_ids}
    if len(subjects) > 1 and len(inds) == 1:  # a bare figure answers the summary's indicator
        row = next(iter(inds.values()))
        ind = world.catalogue.indicator(row.indicator_id or "")
        if parse_number(text, ind.unit) is not None:
            return _reading(store, world, who, ind, text, key=row.key, message_id=message_id)
    if len(subjects) > 1:  # a summary of several items: which one?
        ids = {r.task_id for r in rows if r.indicator_id is None}
        tasks = [t for t in open_tasks(world.catalogue, record, who) if t.id in ids]
        if tasks:
            return _keep(store, world, who, text, message_id, tasks, store.pending(who.user_id))
    row = rows[0]
    if row.indicator_id is not None and row.indicator_id in world.catalogue.indicator_ids:
        ind = world.catalogue.indicator(row.indicator_id)
        return _reading(store, world, who, ind, text, key=row.key, message_id=message_id)
    if row.task_id is not None and row.task_id in world.catalogue.task_ids:
        task = world.catalogue.task(row.task_id)
        return _note(
            store, world, who, task, text, sub=row.subtask_id, key=row.key, message_id=message_id
        )
    if row.indicator_id is not None:
        return Outcome().reply(world.t("answer.subject_gone"))
    if row.task_id is not None:  # the task left the table since: what was said stays with it
        store.add_update(
            task_id=row.task_id, kind=UpdateKind.NOTE, by=who.member_id, at=world.now,
            bureau_id=who.bureau_id, subtask_id=row.subtask_id, note=text,
            progress=parse_progress(text), message_key=row.key, telegram_user_id=who.user_id,
            telegram_message_id=message_id,
        )  # fmt: skip
        return Outcome().reply(world.t("answer.task_gone"))
    return _free_text(store, world, record, who, text, message_id, store.pending(who.user_id))


def _free_text(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    text: str,
    message_id: int,
    pending: Pending | None,
) -> Outcome:
    cat = world.catalogue
    if (
        pending is not None
        and pending.kind is Awaiting.READING
        and pending.indicator_id in cat.indicator_ids
    ):
        ind = cat.indicator(pending.indicator_id or "")
        return _reading(
            store, world, who, ind, text, key=pending.message_key, message_id=message_id
        )
    if pending is not None and pending.kind is Awaiting.WHICH_TASK:
        among = [cat.task(i) for i in pending.candidates if i in cat.task_ids]
        picked = find_task(cat, text, among)
        if picked is not None and picked.id in pending.candidates:
            return _file(store, world, who, picked, pending)
        tasks = [cat.task(i) for i in pending.candidates if i in cat.task_ids]
        return _keep(store, world, who, text, message_id, tasks, pending)
    notes = (Awaiting.NOTE, Awaiting.EVIDENCE)
    if (
        pending is not None
        and pending.kind in notes
        and pending.task_id in cat.task_ids
        and world.now <= pending.since + NOTE_WINDOW  # files are waited for longer than notes
    ):
        task = cat.task(pending.task_id or "")
        return _note(store, world, who, task, text, sub=pending.subtask_id,
                     key=pending.message_key, message_id=message_id,
                     keep_waiting=pending.kind is Awaiting.EVIDENCE)  # fmt: skip
    tasks = open_tasks(cat, record, who)
    if not tasks:
        return Outcome().reply(world.t("answer.no_open_tasks"))
    if len(tasks) == 1:
        return _note(store, world, who, tasks[0], text, message_id=message_id)
    return _keep(store, world, who, text, message_id, tasks, pending)


# -- indicator readings -----------------------------------------------------------------------


def _reading(
    store: Store,
    world: World,
    who: Identity,
    ind: Indicator,
    text: str,
    *,
    key: str | None,
    message_id: int | None,
    free_text: bool = True,
    corrected: bool = False,
) -> Outcome:
    """A value or an explanation for an indicator; anything else gets an example. A
    correction (an edited message) leaves what the bot waits for as it is."""
    if ind.owner != who.bureau_id:
        owner = world.catalogue.bureau_name(ind.owner)
        return Outcome().reply(
            world.t("indicator.not_yours", name=esc(ind.name), bureau=esc(owner))
        )
    got = parse_reading(ind, text, free_text=free_text)
    if got.problem is not None:
        return Outcome().reply(reading_problem(world, ind, text, got.problem))
    reading = store.add_reading(
        indicator_id=ind.id, value=got.value, by=who.member_id, at=world.now,
        bureau_id=who.bureau_id, note=got.explanation or "", message_key=key,
        telegram_user_id=who.user_id, telegram_message_id=message_id,
    )  # fmt: skip
    assert reading is not None
    if not corrected:
        store.clear_pending(who.user_id)
    if got.value is None:
        note = esc((got.explanation or "")[:200])
        key = "reading.corrected_explained" if corrected else "reading.explained"
        return Outcome(replan=True).reply(world.t(key, name=esc(ind.name), note=note))
    value = fmt_value(got.value)
    key = "reading.corrected" if corrected else "reading.recorded"
    return Outcome(replan=True).reply(
        world.t(key, name=esc(ind.name), value=value, unit=esc(ind.unit))
    )


def reading_problem(world: World, ind: Indicator, text: str, problem: ReadingProblem) -> str:
    """Why a text is not a reading, with an example."""
    from bot.core.compose import example_value

    shown = esc(text[:50] + ("…" if len(text) > 50 else ""))
    if problem is ReadingProblem.IMPLAUSIBLE:
        bounds = ind.range
        span = (
            world.t("reading.range", low=fmt_value(bounds[0]), high=fmt_value(bounds[1]))
            if bounds
            else ""
        )
        return world.t("reading.implausible", text=shown, name=esc(ind.name), range=span,
                       example=example_value(ind))  # fmt: skip
    return world.t("reading.not_number", text=shown, example=example_value(ind))


def ask_reading(
    store: Store, world: World, who: Identity, *, ind: Indicator, update_id: int
) -> Outcome:
    """/report's indicator button (or /report NAME without a value): the next text is the
    reading."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        if ind.owner != who.bureau_id:
            owner = world.catalogue.bureau_name(ind.owner)
            text = world.t("indicator.not_yours", name=esc(ind.name), bureau=esc(owner))
            return Outcome(toast=text, alert=True).reply(text)
        store.set_pending(who.user_id, Pending(Awaiting.READING, world.now, indicator_id=ind.id))
        from bot.core.compose import example_value

        text = world.t(
            "report.ask", name=esc(ind.name), unit=esc(ind.unit), example=example_value(ind)
        )
        return Outcome(toast="").reply(text)


def report(
    store: Store, world: World, who: Identity, *, ind: Indicator, value: str, update_id: int
) -> Outcome:
    """/report INDICATOR VALUE."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        return _reading(store, world, who, ind, value, key=None, message_id=None, free_text=False)


def no_data(
    store: Store,
    world: World,
    who: Identity,
    *,
    chat_id: int,
    message_id: int,
    update_id: int,
    shown: str | None = None,
) -> Outcome:
    """暂无数据/说明 under an indicator prompt: the next text explains why."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        rows = message_rows(store, chat_id, message_id, shown)
        row = rows[0] if rows else None
        if row is None or row.indicator_id not in world.catalogue.indicator_ids:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        ind = world.catalogue.indicator(row.indicator_id or "")
        if ind.owner != who.bureau_id:
            owner = world.catalogue.bureau_name(ind.owner)
            return Outcome(
                toast=world.t("indicator.not_yours", name=ind.name, bureau=owner), alert=True
            )
        pending = Pending(Awaiting.READING, world.now, indicator_id=ind.id, message_key=row.key)
        store.set_pending(who.user_id, pending)
        return Outcome(toast="").reply(world.t("reading.explain_prompt", name=esc(ind.name)))


def edited(
    store: Store, world: World, who: Identity, *, message_id: int, text: str, update_id: int
) -> Outcome:
    """An edited text that produced an update: recorded as its correction (the original stays);
    one that gave a reading: the corrected reading; one the bot still keeps: kept as edited."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        old = store.update_by_message(who.user_id, message_id)
        if old is None:
            return _edited_other(store, world, who, message_id, text)
        if old.task_id not in world.catalogue.task_ids:  # archived since: kept with it
            store.add_update(
                task_id=old.task_id, kind=old.kind, by=who.member_id, at=world.now,
                bureau_id=who.bureau_id, subtask_id=old.subtask_id, note=text,
                progress=parse_progress(text), message_key=old.message_key, corrects=old.id,
                telegram_user_id=who.user_id, telegram_message_id=message_id,
            )  # fmt: skip
            return Outcome().reply(world.t("answer.task_gone"))
        task = world.catalogue.task(old.task_id)
        if not may_report(world.catalogue, who, task):
            return Outcome().reply(_other_bureau(world, who, task))
        _record(store, world, who, task, old.kind, sub=old.subtask_id, note=text,
                progress=parse_progress(text), key=old.message_key, message_id=message_id,
                corrects=old.id)  # fmt: skip
        return Outcome(replan=True).reply(world.t("answer.correction", number=task.label))


def _edited_other(store: Store, world: World, who: Identity, message_id: int, text: str) -> Outcome:
    """An edit of a message that gave a reading, or of a text kept until its task is known."""
    reading = store.reading_by_message(who.user_id, message_id)
    if reading is not None:
        if reading.indicator_id not in world.catalogue.indicator_ids:
            return Outcome()
        ind = world.catalogue.indicator(reading.indicator_id)
        return _reading(store, world, who, ind, text, key=reading.message_key,
                        message_id=message_id, corrected=True)  # fmt: skip
    pending = store.pending(who.user_id)
    if (
        pending is not None
        and pending.kind is Awaiting.READING
        and pending.indicator_id in world.catalogue.indicator_ids
        and pending.expires() >= world.now
    ):  # the reading the bot still waits for (the text as first sent was refused)
        ind = world.catalogue.indicator(pending.indicator_id or "")
        return _reading(store, world, who, ind, text, key=pending.message_key,
                        message_id=message_id)  # fmt: skip
    if pending is None or not pending.texts:
        return Outcome()
    if all(kept_id != message_id for _, kept_id in pending.texts):
        return Outcome()
    texts = tuple((text if i == message_id else t, i) for t, i in pending.texts)
    store.set_pending(who.user_id, replace(pending, texts=texts))
    return Outcome().reply(world.t("answer.kept_corrected"))
