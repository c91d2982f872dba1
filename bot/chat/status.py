"""/status for coordinators: the whole table at a glance (红黄绿灯), a task, a bureau,
archived tasks; /overdue. Long answers are paged with buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, command_args, reply, requires
from bot.chat.dashboard import send_overview
from bot.chat.pages import send_pages
from bot.core.model import Role
from bot.core.parse import find_task
from bot.core.render import esc
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
    if view == "od":
        return views.overdue_lines(world, rt.record)
    if view == "ar":
        return views.archived_lines(world, rt.reader)
    if view == "ct" and who.has(Role.ADMIN):
        return views.contacts_lines(world, rt.reader)
    if view.startswith("t."):
        task = find_task(rt.catalogue, view[2:])
        return views.task_lines(world, rt.record, rt.reader, task) if task else None
    if view.startswith("b.") and view[2:] in rt.catalogue.bureau_ids:
        return views.bureau_lines(world, rt.record, view[2:])
    return None


@requires(Role.COORDINATOR, Role.ADMIN)
async def status_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/status [TASK | BUREAU | archived | chart]."""
    rt = context.runtime
    args = command_args(context)
    if not args:  # the first page carries the 打开看板 button when the dashboard is on
        await send_overview(update, context, views.overview_lines(rt.world(), rt.record, rt.reader))
        return
    arg = " ".join(args)[:200]
    if arg.lower() in ("archived", "归档", "已归档"):
        await send_pages(update, context, views.archived_lines(rt.world(), rt.reader), "ar")
        return
    if arg.lower() in ("chart", "图", "图表"):
        from bot.chat.admin import send_chart

        await send_chart(update, context)
        return
    task = find_task(rt.catalogue, arg)
    if task is not None:
        lines = views.task_lines(rt.world(), rt.record, rt.reader, task)
        await send_pages(update, context, lines, f"t.{task.id}")
        return
    bureau = rt.catalogue.resolve_bureau(arg)
    if bureau is not None:
        await send_pages(
            update, context, views.bureau_lines(rt.world(), rt.record, bureau.id), f"b.{bureau.id}"
        )
        return
    hint = (
        "/status 7 · /status " + esc(rt.catalogue.bureaus[0].name) if rt.catalogue.bureaus else ""
    )
    await reply(update, rt.world().t("status.not_found", value=esc(arg[:40]), hint=hint))


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
