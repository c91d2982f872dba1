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
from bot.core.render import esc
from bot.service import members
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


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("invite", invite_command),
    ]
