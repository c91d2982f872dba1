"""Answers from bureau contacts: buttons, replies, notes, numbers, corrections;
/mytasks, /update, /report; and coordinators confirming or returning completions."""

from __future__ import annotations

import datetime as dt
import logging
import re

from telegram import CallbackQuery, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.chat.common import DubanContext, command_args, identity, refuse_stranger, reply, requires
from bot.core.compose import example_value, fmt_value
from bot.core.history import History, StatusUpdate, UpdateKind
from bot.core.i18n import join, paren, register, t
from bot.core.model import Catalogue, Role, Task
from bot.core.render import (
    ANSWER_CODES,
    Button,
    Rendered,
    answer_buttons,
    deadline_line,
    esc,
    task_card,
)
from bot.core.status import Light, task_status
from bot.runtime import Identity, Runtime

log = logging.getLogger(__name__)

register(
    "zh",
    {
        "answer.stale_note": "没有找到要补充说明的任务，请用 /update 报告。",
        "answer.reading_prompt": "请直接回复数值，例如：{example}",
        "claim.not_yours": "只有督办员可以确认或退回办结申请。",
        "mytasks.hint": "用 /update 报告进展，或直接回复提醒消息。",
    },
)
register(
    "en",
    {
        "answer.stale_note": "No task to attach this note to; use /update.",
        "answer.reading_prompt": "Reply with the number, for example: {example}",
        "claim.not_yours": "Only coordinators can confirm or send back a completion claim.",
        "mytasks.hint": "Use /update to report, or reply to a reminder.",
    },
)

#: How long the bot takes the next text as the note (or number, or reason) it asked for.
PENDING_FOR = dt.timedelta(hours=24)
PROGRESS = re.compile(r"(?:进度|progress)?\s*[:：]?\s*(\d{1,3}(?:\.\d+)?)\s*[%％]", re.IGNORECASE)
NUMBER = re.compile(r"^\s*[-+]?\d+(?:[.,]\d+)?\s*$")


def parse_progress(text: str) -> int | None:
    """'进度60%' / '60%' -> 60; None when the text names no percentage in 0..100."""
    m = PROGRESS.search(text)
    if not m:
        return None
    value = round(float(m.group(1)))
    return value if 0 <= value <= 100 else None


def parse_number(text: str) -> float | None:
    """'47.5' -> 47.5; None for anything that is not just a number."""
    if not NUMBER.match(text):
        return None
    return float(text.strip().replace(",", "."))


def find_task(catalogue: Catalogue, arg: str) -> Task | None:
    """A task by number ('7', '任务7') or id ('t07')."""
    key = arg.strip().removeprefix("任务").removeprefix("#")
    for task in catalogue.tasks:
        if key == task.id or key == str(task.number):
            return task
    return None


def open_tasks(runtime: Runtime, who: Identity, history: History) -> list[Task]:
    """The open tasks of a contact's bureau (lead or cooperating)."""
    if who.bureau_id is None:
        return []
    return [t_ for t_ in runtime.catalogue.tasks_of(who.bureau_id) if not history.closed(t_.id)]


def may_report(runtime: Runtime, who: Identity, task: Task) -> bool:
    """A contact reports on the tasks of their own bureau only."""
    return who.bureau_id is not None and who.bureau_id in runtime.catalogue.bureaus_of(task)


def _status_name(lang: str, kind: UpdateKind) -> str:
    return t(lang, "update.confirmed" if kind is UpdateKind.CLOSED else f"update.{kind.value}")


# -- recording --------------------------------------------------------------------------------


async def record(
    update: Update,
    context: DubanContext,
    who: Identity,
    task: Task,
    kind: UpdateKind,
    *,
    subtask_id: str | None = None,
    note: str = "",
    progress: int | None = None,
    message_key: str | None = None,
    corrects: int | None = None,
    telegram_message_id: int | None = None,
) -> int | None:
    """Store a status update (once per Telegram update) and tell coordinators of a claim."""
    rt = context.runtime
    member = who.contact.id if who.contact else (who.person.id if who.person else str(who.user_id))
    try:
        uid = rt.store.add_update(
            task_id=task.id,
            kind=kind,
            by=member,
            at=rt.now(),
            bureau_id=who.bureau_id,
            subtask_id=subtask_id,
            progress=progress,
            note=note,
            message_key=message_key,
            corrects=corrects,
            telegram_user_id=who.user_id,
            telegram_message_id=telegram_message_id,
            update_id=update.update_id,
        )
    except Exception:
        log.exception("saving an update failed")
        await reply(update, t(rt.lang, "answer.save_failed"))
        return None
    if uid is None:
        log.info("update %s already recorded", update.update_id)
        return None
    rt.store.audit(rt.now(), f"tg:{who.user_id}", "update", {"task": task.id, "kind": kind.value})
    if kind is UpdateKind.DONE_CLAIMED:
        await notify_claim(context, who, task, uid, note)
    replan = context.application.bot_data.get("replan")
    if replan is not None:
        replan()
    return uid


async def notify_claim(
    context: DubanContext, who: Identity, task: Task, update_id: int, note: str
) -> None:
    """申请办结: ask the coordinators to confirm (办结) or send back (退回)."""
    rt = context.runtime
    lang = rt.lang
    bureau = rt.catalogue.bureau(who.bureau_id).name if who.bureau_id else ""
    text = t(
        lang,
        "claim.to_coordinators",
        bureau=esc(bureau),
        contact=esc(who.name),
        number=task.number,
        title=esc(task.title),
        note=t(lang, "claim.note", note=esc(note)) if note else "",
    )
    buttons = (
        (
            Button(t(lang, "button.confirm"), f"c:ok:{update_id}"),
            Button(t(lang, "button.return"), f"c:rt:{update_id}"),
        ),
    )
    from bot.engine import send_with_retry

    for person in rt.catalogue.with_role(Role.COORDINATOR):
        chat = rt.chat_id_for(person.id)
        if chat is None:
            continue
        try:
            await send_with_retry(context.bot, chat, Rendered(text, buttons))
        except Exception:
            log.exception("could not tell %s about the claim on %s", person.id, task.id)


async def _ack(update: Update, context: DubanContext, task: Task, kind: UpdateKind) -> None:
    lang = context.runtime.lang
    if kind is UpdateKind.DONE_CLAIMED:
        text = t(lang, "answer.claimed", number=task.number)
    else:
        text = t(
            lang,
            "answer.recorded",
            number=task.number,
            title=esc(task.title),
            status=_status_name(lang, kind),
        )
    await reply(update, text)


# -- buttons on reminders ---------------------------------------------------------------------


async def _press(
    update: Update,
    context: DubanContext,
    who: Identity,
    task: Task,
    code: str,
    subtask_id: str | None,
    message_key: str | None,
) -> None:
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    history = rt.history()
    if history.closed(task.id):
        await query.answer(t(rt.lang, "answer.closed", number=task.number), show_alert=True)
        return
    status = ANSWER_CODES.get(code)
    if status is None:
        await query.answer(t(rt.lang, "answer.expired_button"), show_alert=True)
        return
    if status == "note":
        rt.store.set_pending_input(who.user_id, "note", rt.now(), task.id, subtask_id, message_key)
        await query.answer()
        await reply(update, t(rt.lang, "answer.note_prompt", number=task.number))
        return
    kind = UpdateKind(status)
    uid = await record(
        update, context, who, task, kind, subtask_id=subtask_id, message_key=message_key
    )
    await query.answer(_status_name(rt.lang, kind))
    if uid is None:
        return
    rt.store.set_pending_input(who.user_id, "note", rt.now(), task.id, subtask_id, message_key)
    await _ack(update, context, task, kind)


def _contact_only(who: Identity) -> bool:
    return who.contact is not None


@requires(Role.CONTACT)
async def reminder_button(update: Update, context: DubanContext, who: Identity) -> None:
    """A button under a reminder: record the status for that reminder's task."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None and query.message is not None
    code = (query.data or "a:").split(":", 1)[1]
    row = rt.store.outbox_by_message(query.message.chat.id, query.message.message_id)
    task = None
    if row is not None and row.task_id:
        try:
            task = rt.catalogue.task(row.task_id)
        except KeyError:
            task = None
    if row is None or task is None:
        await query.answer(t(rt.lang, "answer.expired_button"), show_alert=True)
        return
    if not may_report(rt, who, task):
        bureau = rt.catalogue.bureau(who.bureau_id).name if who.bureau_id else ""
        text = t(rt.lang, "access.other_bureau", number=task.number, bureau=esc(bureau))
        await query.answer(text, show_alert=True)
        return
    await _press(update, context, who, task, code, row.subtask_id, row.key)


@requires(Role.CONTACT)
async def update_button(update: Update, context: DubanContext, who: Identity) -> None:
    """/update buttons: `u:<task>` picks a task, `u:<task>:<code>` records a status."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    parts = (query.data or "").split(":")
    task = find_task(rt.catalogue, parts[1]) if len(parts) > 1 else None
    if task is None or not may_report(rt, who, task):
        await query.answer(t(rt.lang, "answer.expired_button"), show_alert=True)
        return
    if len(parts) == 2:
        await query.answer()
        await _ask_status(update, context, task)
        return
    await _press(update, context, who, task, parts[2], None, None)


async def _ask_status(update: Update, context: DubanContext, task: Task) -> None:
    rt = context.runtime
    lang = rt.lang
    history = rt.history()
    light = task_status(rt.catalogue, task, history, rt.now(), rt.calendar).light
    lines = [
        t(lang, "answer.pick_status", number=task.number, title=esc(task.title)),
        "",
        *task_card(rt.catalogue, task, None, rt.now(), lang, light.value),
    ]
    await reply(update, Rendered("\n".join(lines), answer_buttons(lang, prefix=f"u:{task.id}")))


# -- text: replies, notes, numbers ------------------------------------------------------------


async def _record_reading(
    update: Update,
    context: DubanContext,
    who: Identity,
    indicator_id: str,
    text: str,
    message_key: str | None,
) -> None:
    rt = context.runtime
    ind = rt.catalogue.indicator(indicator_id)
    value = parse_number(text)
    if value is None:
        await reply(
            update,
            t(rt.lang, "indicator.not_number", text=esc(text[:50]), example=example_value(ind)),
        )
        rt.store.set_pending_input(who.user_id, f"reading:{ind.id}", rt.now())
        return
    member = who.contact.id if who.contact else str(who.user_id)
    rid = rt.store.add_reading(
        indicator_id=ind.id,
        value=value,
        by=member,
        at=rt.now(),
        bureau_id=who.bureau_id,
        message_key=message_key,
        telegram_user_id=who.user_id,
        update_id=update.update_id,
    )
    rt.store.clear_pending_input(who.user_id)
    if rid is not None:
        rt.store.audit(rt.now(), f"tg:{who.user_id}", "reading", {"indicator": ind.id, "v": value})
        replan = context.application.bot_data.get("replan")
        if replan is not None:
            replan()
    await reply(
        update,
        t(
            rt.lang,
            "indicator.recorded",
            name=esc(ind.name),
            value=fmt_value(value),
            unit=esc(ind.unit),
        ),
    )


async def _record_note(
    update: Update,
    context: DubanContext,
    who: Identity,
    task: Task,
    text: str,
    subtask_id: str | None,
    message_key: str | None,
) -> None:
    rt = context.runtime
    if not may_report(rt, who, task):
        bureau = rt.catalogue.bureau(who.bureau_id).name if who.bureau_id else ""
        await reply(
            update, t(rt.lang, "access.other_bureau", number=task.number, bureau=esc(bureau))
        )
        return
    progress = parse_progress(text)
    message = update.effective_message
    uid = await record(
        update,
        context,
        who,
        task,
        UpdateKind.NOTE,
        subtask_id=subtask_id,
        note=text,
        progress=progress,
        message_key=message_key,
        telegram_message_id=message.message_id if message else None,
    )
    rt.store.clear_pending_input(who.user_id)
    if uid is None:
        return
    suffix = t(rt.lang, "answer.progress_suffix", progress=progress) if progress is not None else ""
    await reply(update, t(rt.lang, "answer.text_recorded", number=task.number, progress=suffix))


async def text_message(update: Update, context: DubanContext) -> None:
    """A text: a reply to a reminder, a note the bot asked for, a number, or a free note."""
    rt = context.runtime
    message = update.message
    if message is None or message.text is None:
        return
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    text = message.text.strip()
    pending = rt.store.pending_input(who.user_id)
    if pending is not None and rt.now() - pending.since > PENDING_FOR:
        rt.store.clear_pending_input(who.user_id)  # an old question: don't guess
        pending = None
    # 1. a coordinator's reason for sending a claim back
    if pending is not None and pending.what.startswith("return:") and who.has(Role.COORDINATOR):
        await _return_claim(update, context, who, int(pending.what.split(":")[1]), text)
        return
    # 2. a Telegram reply to one of our planned messages
    target = message.reply_to_message
    if target is not None and target.from_user is not None and target.from_user.is_bot:
        carried = rt.store.outbox_all_by_message(message.chat.id, target.message_id)
        row = carried[0] if carried else None
        subjects = {r.task_id or r.indicator_id for r in carried}
        if len(subjects) > 1 and who.contact is not None:
            # a reply to a summary of several items: ask which task it is about
            tasks = [
                x for x in open_tasks(rt, who, rt.history()) if x.id in {r.task_id for r in carried}
            ]
            if tasks:
                await _ask_which(update, context, who, text, tasks)
                return
        if row is not None and who.contact is not None:
            if row.kind == "reading" and row.indicator_id:
                await _record_reading(update, context, who, row.indicator_id, text, row.key)
                return
            if row.task_id:
                try:
                    task = rt.catalogue.task(row.task_id)
                except KeyError:
                    task = None
                if task is not None:
                    await _record_note(update, context, who, task, text, row.subtask_id, row.key)
                    return
    if who.contact is None:
        await reply(update, t(rt.lang, "help.coordinator"))
        return
    # 3. what the bot asked for last (a note after a button, a number)
    if pending is not None:
        if pending.what.startswith("reading:"):
            await _record_reading(update, context, who, pending.what.split(":", 1)[1], text, None)
            return
        if pending.what == "note" and pending.task_id:
            try:
                task = rt.catalogue.task(pending.task_id)
            except KeyError:
                task = None
            if task is not None:
                await _record_note(
                    update, context, who, task, text, pending.subtask_id, pending.message_key
                )
                return
    # 4. the contact's single open item, else ask which task
    history = rt.history()
    tasks = open_tasks(rt, who, history)
    if not tasks:
        await reply(update, t(rt.lang, "answer.no_open_tasks"))
        return
    if len(tasks) == 1:
        await _record_note(update, context, who, tasks[0], text, None, None)
        return
    await _ask_which(update, context, who, text, tasks)


async def _ask_which(
    update: Update, context: DubanContext, who: Identity, text: str, tasks: list[Task]
) -> None:
    """Keep the text and ask which task it is about, a button per task."""
    rt = context.runtime
    rt.store.set_pending_input(who.user_id, "text:" + text[:3000], rt.now())
    rows = [(Button(f"{task.number}. {task.title[:14]}", f"w:{task.id}"),) for task in tasks[:40]]
    await reply(update, Rendered(t(rt.lang, "answer.which_task"), tuple(rows)))


@requires(Role.CONTACT)
async def which_task_button(update: Update, context: DubanContext, who: Identity) -> None:
    """The contact picked the task a free text belongs to."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    task = find_task(rt.catalogue, (query.data or "w:").split(":", 1)[1])
    pending = rt.store.pending_input(who.user_id)
    if task is None or pending is None or not pending.what.startswith("text:"):
        await query.answer(t(rt.lang, "answer.expired_button"), show_alert=True)
        return
    await query.answer()
    await _record_note(update, context, who, task, pending.what[5:], None, None)


async def edited_message(update: Update, context: DubanContext) -> None:
    """An edited reply: recorded as a correction of the update it produced."""
    rt = context.runtime
    message = update.edited_message
    if message is None or message.text is None or message.from_user is None:
        return
    who = identity(update, context)
    if who is None or not who.known:
        return
    old: StatusUpdate | None = rt.store.update_by_message(who.user_id, message.message_id)
    if old is None:
        return
    try:
        task = rt.catalogue.task(old.task_id)
    except KeyError:
        return
    uid = await record(
        update,
        context,
        who,
        task,
        old.kind,
        subtask_id=old.subtask_id,
        note=message.text.strip(),
        progress=parse_progress(message.text),
        message_key=old.message_key,
        corrects=old.id,
        telegram_message_id=message.message_id,
    )
    if uid is not None:
        await reply(update, t(rt.lang, "answer.correction", number=task.number))


# -- commands ---------------------------------------------------------------------------------


def mytasks_lines(rt: Runtime, who: Identity) -> list[str]:
    """The bureau's open tasks with lights and next deadlines, red first."""
    lang = rt.lang
    history = rt.history()
    tasks = open_tasks(rt, who, history)
    bureau = rt.catalogue.bureau(who.bureau_id).name if who.bureau_id else ""
    if not tasks:
        return [t(lang, "mytasks.none", bureau=esc(bureau))]
    now = rt.now()
    statuses = [(task_status(rt.catalogue, x, history, now, rt.calendar), x) for x in tasks]
    statuses.sort(key=lambda p: (p[0].light.rank, p[1].number))
    lines = [t(lang, "mytasks.header", bureau=esc(bureau), count=len(tasks))]
    for st, task in statuses:
        role = t(lang, "word.lead") if task.lead == who.bureau_id else t(lang, "word.cooperating")
        lines.append(
            f"{st.light.icon} {task.number}. {esc(task.title)}{paren(lang, role)}\n"
            f"　{deadline_line(task.deadline, now, rt.catalogue, lang)}"
        )
    lines.append("\n" + t(lang, "mytasks.hint"))
    return lines


@requires(Role.CONTACT)
async def mytasks(update: Update, context: DubanContext, who: Identity) -> None:
    """/mytasks: the bureau's open tasks with lights and next deadlines."""
    from bot.chat.status import send_pages

    await send_pages(update, context, mytasks_lines(context.runtime, who), "m")


@requires(Role.CONTACT)
async def update_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/update [task]: pick a task, then a status, without waiting for a reminder."""
    rt = context.runtime
    args = command_args(context)
    if args:
        task = find_task(rt.catalogue, args[0])
        if task is None:
            await reply(update, t(rt.lang, "answer.unknown_task", value=esc(args[0]), hint=""))
            return
        if not may_report(rt, who, task):
            bureau = rt.catalogue.bureau(who.bureau_id).name if who.bureau_id else ""
            await reply(
                update, t(rt.lang, "access.other_bureau", number=task.number, bureau=esc(bureau))
            )
            return
        await _ask_status(update, context, task)
        return
    tasks = open_tasks(rt, who, rt.history())
    if not tasks:
        await reply(update, t(rt.lang, "answer.no_open_tasks"))
        return
    rows = tuple((Button(f"{x.number}. {x.title[:14]}", f"u:{x.id}"),) for x in tasks[:40])
    await reply(update, Rendered(t(rt.lang, "answer.pick_task"), rows))


@requires(Role.CONTACT)
async def report_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/report INDICATOR VALUE: an indicator reading."""
    rt = context.runtime
    lang = rt.lang
    args = command_args(context)
    mine = [i for i in rt.catalogue.indicators if i.owner == who.bureau_id]
    ids = join(lang, (i.id for i in (mine or list(rt.catalogue.indicators))))
    example = f"{mine[0].id} {example_value(mine[0])}" if mine else "pm25 47.5"
    if len(args) < 2:
        await reply(update, t(lang, "report.usage", example=esc(example), ids=esc(ids)))
        return
    ind = next((i for i in rt.catalogue.indicators if i.id == args[0] or i.name == args[0]), None)
    if ind is None:
        await reply(update, t(lang, "indicator.unknown", value=esc(args[0]), ids=esc(ids)))
        return
    if ind.owner != who.bureau_id:
        owner = rt.catalogue.bureau(ind.owner).name
        await reply(update, t(lang, "indicator.not_yours", name=esc(ind.name), bureau=esc(owner)))
        return
    await _record_reading(update, context, who, ind.id, args[1], None)


# -- coordinators: confirm or send back a claim -----------------------------------------------


def _claim_task(runtime: Runtime, update_id: int) -> tuple[Task, StatusUpdate] | None:
    history = runtime.history()
    for u in history.updates:
        if u.id == update_id and u.kind is UpdateKind.DONE_CLAIMED:
            claim = history.pending_claim(u.task_id)
            if claim is None or claim.id != update_id:
                return None
            try:
                return runtime.catalogue.task(u.task_id), u
            except KeyError:
                return None
    return None


async def claim_button(update: Update, context: DubanContext) -> None:
    """`c:ok:<id>` confirms a claim (办结); `c:rt:<id>` asks for the reason to send it back."""
    rt = context.runtime
    query: CallbackQuery | None = update.callback_query
    assert query is not None
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    if not who.has(Role.COORDINATOR):
        await query.answer(t(rt.lang, "claim.not_yours"), show_alert=True)
        return
    _, action, raw = (query.data or "c::0").split(":")
    found = _claim_task(rt, int(raw or 0))
    if found is None:
        await query.answer(t(rt.lang, "claim.already_handled"), show_alert=True)
        return
    task, claim = found
    if action == "rt":
        rt.store.set_pending_input(who.user_id, f"return:{claim.id}", rt.now(), task.id)
        await query.answer()
        await reply(update, t(rt.lang, "claim.return_prompt", number=task.number))
        return
    uid = await record(update, context, who, task, UpdateKind.CLOSED, note="")
    await query.answer(t(rt.lang, "claim.confirmed_ack", number=task.number))
    if uid is None:
        return
    await reply(update, t(rt.lang, "claim.confirmed_ack", number=task.number))
    await _tell_claimant(
        context,
        claim,
        t(rt.lang, "claim.confirmed_contact", number=task.number, title=esc(task.title)),
    )


async def _return_claim(
    update: Update, context: DubanContext, who: Identity, claim_id: int, reason: str
) -> None:
    rt = context.runtime
    rt.store.clear_pending_input(who.user_id)
    found = _claim_task(rt, claim_id)
    if found is None:
        await reply(update, t(rt.lang, "claim.already_handled"))
        return
    task, claim = found
    uid = await record(update, context, who, task, UpdateKind.RETURNED, note=reason)
    if uid is None:
        return
    await reply(update, t(rt.lang, "claim.returned_ack", number=task.number))
    await _tell_claimant(
        context,
        claim,
        t(
            rt.lang,
            "claim.returned_contact",
            number=task.number,
            title=esc(task.title),
            reason=esc(reason),
        ),
    )


async def _tell_claimant(context: DubanContext, claim: StatusUpdate, text: str) -> None:
    from bot.engine import send_with_retry

    chat = context.runtime.chat_id_for(claim.by)
    if chat is None:
        return
    try:
        await send_with_retry(context.bot, chat, Rendered(text))
    except Exception:
        log.exception("could not tell %s", claim.by)


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("mytasks", mytasks),
        CommandHandler("update", update_command),
        CommandHandler("report", report_command),
        CallbackQueryHandler(reminder_button, pattern=r"^a:"),
        CallbackQueryHandler(update_button, pattern=r"^u:"),
        CallbackQueryHandler(which_task_button, pattern=r"^w:"),
        CallbackQueryHandler(claim_button, pattern=r"^c:"),
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, edited_message
        ),
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_message),
    ]


__all__ = ["Light", "handlers", "parse_number", "parse_progress"]
