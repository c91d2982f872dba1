"""/status for coordinators: the whole table at a glance (红黄绿灯), a task, a bureau,
archived tasks; /overdue. Long answers are paged with buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, command_args, reply, requires
from bot.chat.dashboard import send_overview
from bot.chat.pages import send_pages
from bot.core.i18n import join, t
from bot.core.lookup import MAX_CHOICES, Found, lookup
from bot.core.model import Role
from bot.core.parse import find_task
from bot.core.protocol import Show, pack
from bot.core.render import Button, Rendered, esc
from bot.service import views
from bot.service.base import Identity

if TYPE_CHECKING:
    from bot.runtime import Runtime


def view_lines(rt: Runtime, view: str, who: Identity) -> list[str] | None:
    """Regenerate a paged view from its short name (for the page buttons)."""
    world = rt.world()
    coordinator = who.has(Role.COORDINATOR, Role.ADMIN)
    if view == "m" and who.has(Role.CONTACT):
        return views.mytasks_lines(world, rt.record, who)
    if not coordinator:
        return None
    if view == "all":
        return views.overview_lines(world, rt.record, rt.reader)
    if view.startswith("d.") and any(d.id == view[2:] for d in rt.catalogue.docs):
        return views.overview_lines(world, rt.record, rt.reader, view[2:])
    if view == "od":
        return views.overdue_lines(world, rt.record)
    if view == "ar":
        return views.archived_lines(world, rt.reader)
    if view == "ct":
        return views.contacts_lines(world, rt.reader)
    if view.startswith("t."):
        task = find_task(rt.catalogue, view[2:])
        return views.task_lines(world, rt.record, rt.reader, task) if task else None
    if view.startswith("b.") and view[2:] in rt.catalogue.bureau_ids:
        return views.bureau_lines(world, rt.record, view[2:], rt.reader)
    if view.startswith("s.") and any(s.id == view[2:] for s in rt.catalogue.sections):
        return views.section_lines(world, rt.record, view[2:])
    return None


def view_buttons(rt: Runtime, view: str) -> tuple[tuple[Button, ...], ...]:
    """Drill-down buttons under a view: the overview opens a section or a bureau; with
    several documents it opens a document, whose view opens its sections."""
    cat, lang = rt.catalogue, rt.lang
    document = view[2:] if view.startswith("d.") else None
    if view != "all" and document is None:
        return ()
    if cat.several and document is None:
        docs = [
            Button(t(lang, "button.document", label=d.label[:12]), pack(Show(f"d.{d.id}")))
            for d in cat.docs
        ]
        return tuple(tuple(docs[i : i + 2]) for i in range(0, len(docs), 2))[:30]
    sections = [
        Button(
            t(lang, "button.section", number=s.number, title=s.title[:10]), pack(Show(f"s.{s.id}"))
        )
        for s in cat.sections
        if any(x.section == s.id for x in cat.tasks)
        and (document is None or (s.document or cat.document.id) == document)
    ]
    mine = {x.id for x in (cat.tasks_in(document) if document is not None else cat.tasks)}
    bureaus = [
        Button(b.name[:12], pack(Show(f"b.{b.id}")))
        for b in cat.bureaus
        if any(x.id in mine for x in cat.tasks_of(b.id))
    ]
    rows = [tuple(sections[i : i + 2]) for i in range(0, len(sections), 2)]
    rows += [tuple(bureaus[i : i + 3]) for i in range(0, len(bureaus), 3)]
    return tuple(rows[:30])


def choice_buttons(found: Found) -> tuple[tuple[Button, ...], ...]:
    """One button per match of a lookup."""
    rows: list[tuple[Button, ...]] = []
    rows += [(Button(b.name[:30], pack(Show(f"b.{b.id}"))),) for b in found.bureaus]
    rows += [(Button(f"{x.label}. {x.title[:20]}", pack(Show(f"t.{x.id}"))),) for x in found.tasks]
    rows += [
        (Button(f"{s.number}、{s.title[:20]}", pack(Show(f"s.{s.id}"))),) for s in found.sections
    ]
    return tuple(rows[:MAX_CHOICES])


async def show_view(update: Update, context: DubanContext, who: Identity, view: str) -> bool:
    """Send a view as a new paged answer; False when the view is unknown or not allowed."""
    lines = view_lines(context.runtime, view, who)
    if lines is None:
        return False
    await send_pages(update, context, lines, view, view_buttons(context.runtime, view))
    return True


@requires(Role.COORDINATOR, Role.ADMIN)
async def status_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/status [TASK | BUREAU | archived | chart]."""
    rt = context.runtime
    args = command_args(context)
    if not args:  # the overview: drill-down buttons, and 打开看板 when the dashboard is on
        lines = view_lines(rt, "all", who) or []
        await send_overview(update, context, lines, view_buttons(rt, "all"))
        return
    arg = " ".join(args)[:200]
    doc = rt.catalogue.find_document(arg)
    if doc is not None:  # /status 节水, /status 〔2024〕-样例1: one document's whole table
        await show_view(update, context, who, f"d.{doc.id}")
        return
    if arg.lower() in ("archived", "归档", "已归档"):
        await send_pages(update, context, views.archived_lines(rt.world(), rt.reader), "ar")
        return
    if arg.lower() in ("chart", "图", "图表"):
        from bot.chat.admin import send_chart

        await send_chart(update, context)
        return
    await _lookup(update, context, who, arg)


async def _lookup(update: Update, context: DubanContext, who: Identity, arg: str) -> None:
    """/status 生态: one match is shown; several are offered as buttons; none, did-you-means."""
    rt = context.runtime
    world = rt.world()
    found = lookup(rt.catalogue, arg)
    if found.count == 1:
        view = (
            f"t.{found.tasks[0].id}"
            if found.tasks
            else f"b.{found.bureaus[0].id}"
            if found.bureaus
            else f"s.{found.sections[0].id}"
        )
        await show_view(update, context, who, view)
        return
    if found.count > 1:
        text = world.t("lookup.choose", value=esc(arg[:40]))
        await reply(update, Rendered(text, choice_buttons(found)))
        return
    hint = (
        world.t("lookup.did_you_mean", names=join(world.lang, (esc(n) for n in found.suggestions)))
        if found.suggestions
        else "/status 7 · /status " + esc(rt.catalogue.bureaus[0].name)
        if rt.catalogue.bureaus
        else ""
    )
    await reply(update, world.t("lookup.none", value=esc(arg[:40]), hint=hint))


@requires(Role.COORDINATOR, Role.ADMIN)
async def overdue_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/overdue: tasks past their deadline, then red tasks for other reasons."""
    rt = context.runtime
    await send_pages(update, context, views.overdue_lines(rt.world(), rt.record), "od")


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("status", status_command),
        CommandHandler("overdue", overdue_command),
    ]
