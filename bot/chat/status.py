"""/status for coordinators: the whole table at a glance (红黄绿灯), a task, a bureau,
archived tasks; /overdue. Long answers are paged with buttons."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.chat.answers import find_task, open_tasks
from bot.chat.common import DubanContext, command_args, identity, keyboard, reply, requires
from bot.core.i18n import colon, join, paren, register, semi, t
from bot.core.model import Role, Task
from bot.core.render import Button, Rendered, deadline_line, esc, fmt_time, paginate, task_card
from bot.core.status import (
    ItemStatus,
    Light,
    counts,
    indicator_status,
    reason_text,
    table_status,
    task_status,
)
from bot.runtime import Identity, Runtime

log = logging.getLogger(__name__)

register(
    "zh",
    {
        "status.indicators": "\n<b>指标</b>",
        "status.indicator_row": "{icon} {name}：{latest}（目标 {target}）",
        "status.subtasks": "\n<b>子项</b>",
        "status.hint": "\n发送 /status 序号 查看任务详情，/status 单位名 查看单位任务。",
        "status.correction": "（更正）",
        "status.archived_row": "{when}归档，{count} 条记录",
    },
)
register(
    "en",
    {
        "status.indicators": "\n<b>Indicators</b>",
        "status.indicator_row": "{icon} {name}: {latest} (target {target})",
        "status.subtasks": "\n<b>Sub-items</b>",
        "status.hint": "\nSend /status NUMBER for a task, /status BUREAU for a bureau.",
        "status.correction": " (correction)",
        "status.archived_row": "archived {when}, {count} records",
    },
)


def _row(rt: Runtime, st: ItemStatus, task: Task) -> str:
    lang = rt.lang
    lead = rt.catalogue.bureau(task.lead).name
    line = t(
        lang,
        "status.row",
        icon=st.light.icon,
        number=task.number,
        title=esc(task.title),
        lead=esc(lead),
        deadline=esc(task.deadline.text),
    )
    if st.claim is not None:
        line += t(lang, "status.claim_pending")
    return line


def overview_lines(rt: Runtime) -> list[str]:
    """Counts by light, then tasks by section with light, lead and deadline, red first."""
    from bot.core.compose import fmt_value, target_text

    lang = rt.lang
    now = rt.now()
    history = rt.history()
    statuses = table_status(rt.catalogue, history, now, rt.calendar)
    c = counts(statuses)
    lines = [
        t(
            lang,
            "status.header",
            now=fmt_time(now, rt.catalogue),
            total=len(statuses),
            red=c[Light.RED],
            yellow=c[Light.YELLOW],
            green=c[Light.GREEN],
            done=c[Light.DONE],
        )
    ]
    by_task = {s.task_id: s for s in statuses}
    for section in rt.catalogue.sections:
        tasks = [x for x in rt.catalogue.tasks if x.section == section.id]
        if not tasks:
            continue
        tasks.sort(key=lambda x: (by_task[x.id].light.rank, x.number))
        lines.append(t(lang, "status.section", number=section.number, title=esc(section.title)))
        lines.extend(_row(rt, by_task[x.id], x) for x in tasks)
    if rt.catalogue.indicators:
        lines.append(t(lang, "status.indicators"))
        for ind in rt.catalogue.indicators:
            ist = indicator_status(rt.catalogue, ind, history, now)
            latest = (
                f"{fmt_value(ist.latest)} {esc(ind.unit)}"
                if ist.latest is not None
                else t(lang, "indicator.no_reading")
            )
            lines.append(
                t(
                    lang,
                    "status.indicator_row",
                    icon=ist.light.icon,
                    name=esc(ind.name),
                    latest=latest,
                    target=target_text(ind, lang),
                )
            )
    failed = rt.store.outbox_rows("failed")
    if failed:
        items = join(lang, (esc(r.key) for r in failed[:5]))
        lines.append("\n" + t(lang, "status.failed_sends", count=len(failed), items=items))
    lines.append(t(lang, "status.hint"))
    return lines


def task_lines(rt: Runtime, task: Task) -> list[str]:
    """A task's card, reasons, sub-items and recent history."""
    lang = rt.lang
    now = rt.now()
    history = rt.history()
    st = task_status(rt.catalogue, task, history, now, rt.calendar)
    lines = task_card(rt.catalogue, task, None, now, lang, st.light.value)
    if st.claim is not None:
        lines[-1] += t(lang, "status.claim_pending")
    if st.progress is not None:
        lines.append(t(lang, "status.progress", progress=st.progress))
    if st.reasons:
        names = semi(lang).join(esc(reason_text(lang, r)) for r in st.reasons)
        lines.append(t(lang, "status.reasons", reasons=names))
    if task.subtasks:
        lines.append(t(lang, "status.subtasks"))
        for sub, sst in zip(task.subtasks, st.subtasks, strict=False):
            deadline = deadline_line(sst.deadline, now, rt.catalogue, lang)
            lines.append(f"{sst.light.icon} {esc(sub.text)}{paren(lang, deadline)}")
    lines.append(t(lang, "status.recent"))
    updates = history.updates_for(task.id)[-10:]
    if not updates:
        lines.append(t(lang, "status.no_history"))
    for u in reversed(updates):
        name = "update.confirmed" if u.kind.value == "closed" else f"update.{u.kind.value}"
        progress = (
            "，" + t(lang, "status.progress", progress=u.progress) if u.progress is not None else ""
        )
        note = colon(lang) + esc(u.note[:200]) if u.note else ""
        if u.corrects:
            note += t(lang, "status.correction")
        lines.append(
            t(
                lang,
                "status.history_row",
                time=fmt_time(u.at, rt.catalogue),
                who=esc(rt.member_name(u.by)),
                status=t(lang, name),
                progress=progress,
                note=note,
            )
        )
    return lines


def bureau_lines(rt: Runtime, bureau_id: str) -> list[str]:
    """A bureau's tasks with lights, red first."""
    lang = rt.lang
    now = rt.now()
    history = rt.history()
    bureau = rt.catalogue.bureau(bureau_id)
    tasks = list(rt.catalogue.tasks_of(bureau_id))
    sts = {x.id: task_status(rt.catalogue, x, history, now, rt.calendar) for x in tasks}
    tasks.sort(key=lambda x: (sts[x.id].light.rank, x.number))
    lines = [t(lang, "status.bureau_header", bureau=esc(bureau.name), count=len(tasks))]
    for x in tasks:
        role = t(lang, "word.lead") if x.lead == bureau_id else t(lang, "word.cooperating")
        lines.append(_row(rt, sts[x.id], x) + paren(lang, role))
    return lines


def overdue_lines(rt: Runtime) -> list[str]:
    """Tasks that are red, with their reasons."""
    lang = rt.lang
    now = rt.now()
    history = rt.history()
    reds = [
        (s, rt.catalogue.task(s.task_id))
        for s in table_status(rt.catalogue, history, now, rt.calendar)
        if s.light is Light.RED
    ]
    if not reds:
        return [t(lang, "overdue.none")]
    lines = [t(lang, "overdue.header", count=len(reds))]
    for st, task in reds:
        why = semi(lang).join(esc(reason_text(lang, r)) for r in st.reasons)
        lines.append(_row(rt, st, task) + (f"\n　{why}" if why else ""))
    return lines


def archived_lines(rt: Runtime) -> list[str]:
    """Tasks removed from the YAML: archived with their history."""
    lang = rt.lang
    rows = rt.store.entities("task", archived=True)
    if not rows:
        return [t(lang, "status.archived_none")]
    history = rt.history()
    lines = [t(lang, "status.archived_header", count=len(rows))]
    for e in rows:
        n = len(history.updates_for(e.id))
        when = fmt_time(e.archived_at, rt.catalogue) if e.archived_at else ""
        lines.append(
            f"🗄 {esc(e.id)} {esc(e.title)}"
            + paren(lang, t(lang, "status.archived_row", when=when, count=n))
        )
    return lines


def view_lines(rt: Runtime, view: str, who: Identity | None) -> list[str] | None:
    """Regenerate a paged view from its short name (for the page buttons)."""
    if view == "all":
        return overview_lines(rt)
    if view == "od":
        return overdue_lines(rt)
    if view == "ar":
        return archived_lines(rt)
    if view.startswith("t."):
        task = find_task(rt.catalogue, view[2:])
        return task_lines(rt, task) if task else None
    if view.startswith("b."):
        try:
            return bureau_lines(rt, view[2:])
        except KeyError:
            return None
    if view == "m" and who is not None:
        from bot.chat.answers import mytasks_lines

        return mytasks_lines(rt, who)
    return None


def _page(view: str, pages: list[str], n: int, lang: str) -> Rendered:
    text = pages[n]
    buttons: tuple[tuple[Button, ...], ...] = ()
    if len(pages) > 1:
        text += "\n\n" + t(lang, "status.page", page=n + 1, pages=len(pages))
        row = []
        if n > 0:
            row.append(Button(t(lang, "button.prev"), f"p:{view}:{n - 1}"))
        if n < len(pages) - 1:
            row.append(Button(t(lang, "button.next"), f"p:{view}:{n + 1}"))
        buttons = (tuple(row),)
    return Rendered(text, buttons)


async def send_pages(update: Update, context: DubanContext, lines: list[str], view: str) -> None:
    """Send the first page of a long answer, with buttons to the others."""
    pages = paginate(lines)
    await reply(update, _page(view, pages, 0, context.runtime.lang))


async def page_button(update: Update, context: DubanContext) -> None:
    """Show another page of a paged answer (in place)."""
    rt = context.runtime
    query = update.callback_query
    assert query is not None
    who = identity(update, context)
    _, view, raw = (query.data or "p:all:0").rsplit(":", 2)
    allowed = who is not None and (
        who.has(Role.COORDINATOR, Role.ADMIN) or (view == "m" and who.has(Role.CONTACT))
    )
    if not allowed:
        await query.answer(t(rt.lang, "help.stranger"), show_alert=True)
        return
    lines = view_lines(rt, view, who)
    if lines is None:
        await query.answer(t(rt.lang, "answer.expired_button"), show_alert=True)
        return
    pages = paginate(lines)
    n = min(max(int(raw), 0), len(pages) - 1)
    rendered = _page(view, pages, n, rt.lang)
    await query.answer()
    try:
        await query.edit_message_text(
            rendered.text, parse_mode="HTML", reply_markup=keyboard(rendered.buttons)
        )
    except BadRequest as err:
        if "not modified" not in str(err):
            raise


@requires(Role.COORDINATOR, Role.ADMIN)
async def status_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/status [TASK | BUREAU | archived | chart]."""
    rt = context.runtime
    args = command_args(context)
    if not args:
        await send_pages(update, context, overview_lines(rt), "all")
        return
    arg = " ".join(args)
    if arg.lower() in ("archived", "归档", "已归档"):
        await send_pages(update, context, archived_lines(rt), "ar")
        return
    if arg.lower() in ("chart", "图", "图表"):
        from bot.chat.admin import send_chart

        await send_chart(update, context)
        return
    task = find_task(rt.catalogue, arg)
    if task is not None:
        await send_pages(update, context, task_lines(rt, task), f"t.{task.id}")
        return
    bureau = rt.catalogue.resolve_bureau(arg)
    if bureau is not None:
        await send_pages(update, context, bureau_lines(rt, bureau.id), f"b.{bureau.id}")
        return
    hint = (
        "/status 7 · /status " + esc(rt.catalogue.bureaus[0].name) if rt.catalogue.bureaus else ""
    )
    await reply(update, t(rt.lang, "status.not_found", value=esc(arg), hint=hint))


@requires(Role.COORDINATOR, Role.ADMIN)
async def overdue_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/overdue: red tasks with their reasons."""
    await send_pages(update, context, overdue_lines(context.runtime), "od")


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("status", status_command),
        CommandHandler("overdue", overdue_command),
        CallbackQueryHandler(page_button, pattern=r"^p:"),
    ]


__all__ = ["handlers", "open_tasks", "send_pages"]
