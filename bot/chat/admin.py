"""Admins and coordinators: /contacts, /reload, /export, the status chart."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, command_args, reply, requires
from bot.chat.pages import send_pages
from bot.core.model import Role
from bot.core.render import esc
from bot.reports import bundle
from bot.reports.scope import document_choices, pick_document
from bot.service import views
from bot.service.base import Identity

log = logging.getLogger(__name__)


@requires(Role.COORDINATOR, Role.ADMIN)
async def contacts_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/contacts: who is bound, unbound, unreachable, on leave."""
    rt = context.runtime
    await send_pages(update, context, views.contacts_lines(rt.world(), rt.reader), "ct")


@requires(Role.ADMIN)
async def reload_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/reload [confirm]: validate and apply config/tasks.yaml now."""
    confirm = [a.lower() for a in command_args(context)] in (["confirm"], ["确认"])
    rendered = await context.duban.reload(f"tg:{who.user_id}", explicit=True, confirmed=confirm)
    await reply(update, rendered)


@requires(Role.COORDINATOR, Role.ADMIN)
async def export_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/export [文件]: the division table with progress as an .xlsx file (built off the loop);
    with a document's id, short name or 文号, that document's alone."""
    rt = context.runtime
    world = rt.world()
    chat = update.effective_chat
    assert chat is not None
    named = " ".join(command_args(context))
    doc = pick_document(world.catalogue, named) if named else None
    if named and doc is None:
        example = world.catalogue.docs[-1].label
        choices = document_choices(world.catalogue, world.lang)
        await reply(update, world.t("export.unknown_document", value=esc(named),
                                    choices=esc(choices), example=esc(example)))  # fmt: skip
        return
    try:
        await chat.send_action("upload_document")
        data = await asyncio.to_thread(
            bundle.workbook, rt.db_path, world, None, doc.id if doc else None
        )
    except Exception as err:
        log.exception("export failed")
        await reply(update, world.t("export.failed", error=esc(err)))
        return
    date = f"{world.now.astimezone(world.catalogue.tz):%Y-%m-%d}"
    name, caption = f"duban-{date}.xlsx", world.t("export.caption", date=date)
    if doc is not None:
        name = f"duban-{doc.id}-{date}.xlsx"
        caption = world.t("export.caption_document", label=doc.label, date=date)
    await chat.send_document(InputFile(data, filename=name), caption=caption)


async def send_chart(update: Update, context: DubanContext) -> None:
    """The status chart as a PNG (drawn off the loop)."""
    rt = context.runtime
    world = rt.world()
    chat = update.effective_chat
    assert chat is not None
    try:
        png = await asyncio.to_thread(bundle.chart, rt.db_path, world)
    except Exception as err:
        log.exception("chart failed")
        await reply(update, world.t("export.failed", error=esc(err)))
        return
    date = f"{world.now.astimezone(world.catalogue.tz):%Y-%m-%d}"
    await chat.send_photo(
        InputFile(png, filename="chart.png"), caption=world.t("chart.caption", date=date)
    )


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("contacts", contacts_command),
        CommandHandler("reload", reload_command),
        CommandHandler("export", export_command),
    ]
