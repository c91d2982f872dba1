"""The office's own workflow in chat: /invite (admins), /extend (延期申请), /leave and
/deputy (请假与代收), photos and documents as evidence (佐证材料).

Each handler parses the update, calls one operation of the application layer and delivers
its outcome.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, command_args, deliver, reply, requires
from bot.core.model import Role
from bot.core.parse import find_task
from bot.core.render import esc
from bot.service import answers, extensions, members
from bot.service.base import Identity


@requires(Role.ADMIN)
async def invite_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/invite MEMBER: a one-use deep link with the bot's real username."""
    rt = context.runtime
    args = command_args(context)
    if not args:
        contacts = rt.catalogue.contacts()
        example = contacts[0].id if contacts else "eco-1"
        await reply(update, rt.world().t("invite.usage", example=esc(example)))
        return
    outcome = await rt.write(
        members.invite,
        rt.world(),
        who,
        member=" ".join(args)[:64],
        bot_username=rt.bot_username,
        update_id=update.update_id,
    )
    await deliver(update, context, outcome)


@requires(Role.CONTACT)
async def extend_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/extend TASK 日期 理由: ask for more time on a task (a reason is required)."""
    rt = context.runtime
    world = rt.world()
    args = command_args(context)
    task = find_task(rt.catalogue, args[0]) if args else None
    if task is None or len(args) < 2:
        mine = answers.open_tasks(rt.catalogue, rt.record, who)
        example = str(mine[0].number) if mine else "7"
        await reply(update, world.t("ext.usage", example=example))
        return
    outcome = await rt.write(
        extensions.request, world, rt.record, who, task=task, sub=None,
        text=" ".join(args[1:])[:1000], update_id=update.update_id,
    )  # fmt: skip
    await deliver(update, context, outcome)


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("invite", invite_command),
        CommandHandler("extend", extend_command),
    ]
