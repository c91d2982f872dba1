"""Bureau contacts answer: texts and replies, edits, /update, /report, /mytasks.

Each handler parses the update, calls one operation of `bot.service.answers` and delivers
its outcome. Buttons are dispatched in `bot.chat.buttons`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.chat.common import (
    DubanContext,
    command_args,
    deliver,
    identity,
    private,
    refuse_stranger,
    reply,
    requires,
)
from bot.chat.pages import send_pages
from bot.core.i18n import join
from bot.core.lookup import find_indicators
from bot.core.model import Catalogue, Role
from bot.core.parse import find_task
from bot.core.protocol import PickIndicator, pack
from bot.core.render import Button, Rendered, esc
from bot.service import answers, views
from bot.service.base import Identity
from bot.service.items import task_buttons


async def text_message(update: Update, context: DubanContext) -> None:
    """A text: a reply to a prompt, what the bot asked for, or a note to place."""
    message = update.message
    if message is None or message.text is None:
        return
    who = identity(update, context)
    target = message.reply_to_message
    to_bot = target is not None and target.from_user is not None and target.from_user.is_bot
    if not private(update):
        # Nothing said in a group is taken as an answer (a group may hold people the table
        # does not know, and what the bot would answer shows task data); a reply to the bot
        # gets the hint to use the private chat.
        if to_bot and who is not None and who.known:
            await reply(update, context.runtime.world().t("access.private_only"))
        return
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    rt = context.runtime
    outcome = await rt.write(
        answers.text_message,
        rt.world(),
        rt.record,
        who,
        chat_id=message.chat.id,
        message_id=message.message_id,
        text=message.text.strip(),
        reply_to=target.message_id if target is not None and to_bot else None,
        update_id=update.update_id,
        reply_shown=target.text if target is not None and to_bot else None,
    )
    await deliver(update, context, outcome)


async def edited_message(update: Update, context: DubanContext) -> None:
    """An edited text that was recorded: its correction (the original stays)."""
    message = update.edited_message
    if message is None or message.text is None or message.from_user is None:
        return
    if not private(update):
        return  # only private texts are answers (message ids count per chat)
    who = identity(update, context)
    if who is None or not who.known:
        return
    rt = context.runtime
    outcome = await rt.write(
        answers.edited,
        rt.world(),
        who,
        message_id=message.message_id,
        text=message.text.strip(),
        update_id=update.update_id,
    )
    await deliver(update, context, outcome)


@requires(Role.CONTACT)
async def mytasks(update: Update, context: DubanContext, who: Identity) -> None:
    """/mytasks: the bureau's open tasks with lights and next deadlines."""
    rt = context.runtime
    await send_pages(update, context, views.mytasks_lines(rt.world(), rt.record, who), "m")


@requires(Role.CONTACT)
async def update_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/update [task]: pick a task, then a status, without waiting for a reminder."""
    rt = context.runtime
    world = rt.world()
    args = command_args(context)
    if args:
        mine = rt.catalogue.tasks_of(who.bureau_id or "")  # `2`: the bureau's own task 2 first
        task = find_task(rt.catalogue, " ".join(args), mine)
        first = find_task(rt.catalogue, args[0], mine) if len(args) > 1 else None
        if task is None and first is not None and update.message is not None:
            # `/update 7 本月完成招标`: what follows the task's number is its note
            outcome = await rt.write(
                answers.command_note, world, who, task=first, text=" ".join(args[1:]),
                message_id=update.message.message_id, update_id=update.update_id,
            )  # fmt: skip
            await deliver(update, context, outcome)
            return
        if task is None:
            await reply(
                update, world.t("answer.unknown_task", value=esc(" ".join(args)[:40]), hint="")
            )
            return
        await deliver(update, context, answers.ask_status(world, rt.record, who, task))
        return
    tasks = answers.open_tasks(rt.catalogue, rt.record, who)
    if not tasks:
        await reply(update, world.t("answer.no_open_tasks"))
        return
    await reply(update, Rendered(world.t("answer.pick_task"), task_buttons(tasks)))


@requires(Role.CONTACT)
async def report_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/report [INDICATOR [VALUE]]: an indicator reading; without arguments, buttons of the
    bureau's indicators; indicators by id or by (a part of) their Chinese name."""
    rt = context.runtime
    world = rt.world()
    args = command_args(context)
    mine = [i for i in rt.catalogue.indicators if i.owner == who.bureau_id]
    if not args:
        if not mine:
            await reply(update, world.t("report.none_mine"))
            return
        rows = tuple((Button(i.name[:30], pack(PickIndicator(i.id))),) for i in mine[:40])
        await reply(update, Rendered(world.t("report.pick"), rows))
        return
    name, value = _split_report(rt.catalogue, args)
    found = find_indicators(rt.catalogue, name)
    ids = join(world.lang, (i.id for i in (mine or list(rt.catalogue.indicators))))
    if not found:
        await reply(update, world.t("indicator.unknown", value=esc(name[:40]), ids=esc(ids)))
        return
    if len(found) > 1:
        names = join(world.lang, (esc(i.name) for i in found))
        await reply(update, world.t("report.which", value=esc(name[:40]), names=names))
        return
    if not value:
        outcome = await rt.write(
            answers.ask_reading, world, who, ind=found[0], update_id=update.update_id
        )
    else:
        outcome = await rt.write(
            answers.report, world, who, ind=found[0], value=value, update_id=update.update_id
        )
    await deliver(update, context, outcome)


async def other_message(update: Update, context: DubanContext) -> None:
    """A voice message, a sticker, a location…: nothing the bot can record; it says so (the
    contact would otherwise take the reminder as answered)."""
    if not private(update):
        return
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    await reply(update, context.runtime.world().t("answer.unsupported"))


def _split_report(catalogue: Catalogue, args: list[str]) -> tuple[str, str]:
    """The indicator's name and the value: the name may have spaces (`/report 优良 天数 66`),
    the value is the last word when it has a digit (or says 暂无)."""
    if len(args) == 1:
        return args[0], ""
    for cut in range(len(args) - 1, 0, -1):
        name = " ".join(args[:cut])
        if find_indicators(catalogue, name):
            return name, " ".join(args[cut:])
    return args[0], " ".join(args[1:])


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("mytasks", mytasks),
        CommandHandler("update", update_command),
        CommandHandler("report", report_command),
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE & filters.TEXT & ~filters.COMMAND, edited_message
        ),
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, text_message),
        MessageHandler(
            filters.UpdateType.MESSAGE
            & (
                filters.VOICE
                | filters.AUDIO
                | filters.VIDEO
                | filters.VIDEO_NOTE
                | filters.Sticker.ALL
                | filters.LOCATION
                | filters.CONTACT
                | filters.ANIMATION
            ),
            other_message,
        ),
    ]
