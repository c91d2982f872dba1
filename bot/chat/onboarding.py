"""Onboarding: /start with an invite code, /help per role, /whoami; unknown commands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.chat.common import (
    DubanContext,
    answered_stranger_lately,
    deliver,
    identity,
    private,
    refuse_stranger,
    reply,
    requires,
    stranger_answered,
)
from bot.core.model import Role
from bot.core.render import esc
from bot.service import members
from bot.service.base import Identity


async def start(update: Update, context: DubanContext) -> None:
    """/start [code]: bind with an invite code or the table's telegram_id; greet the known."""
    who = identity(update, context)
    if who is None or update.effective_chat is None:
        return
    if not private(update):
        await reply(update, context.runtime.world().t("access.private_only"))
        return
    rt = context.runtime
    code = (context.args or [""])[0].strip()
    quiet = not who.known and answered_stranger_lately(context, who.user_id)
    if quiet and not code:
        return  # a flood of /start: not each answered
    outcome, rebound = await rt.write(
        members.start, rt.world(), who, code=code, update_id=update.update_id
    )
    if rebound:
        rt.refresh_bindings()
        await context.duban.member_bound(who.user_id)
    elif quiet:
        return  # a flood of wrong codes: each is counted, not each answered
    elif not who.known:
        stranger_answered(context, who.user_id)
    await deliver(update, context, outcome)


async def help_command(update: Update, context: DubanContext) -> None:
    """/help: the commands of the user's roles, and what the symbols mean."""
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    world = context.runtime.world()
    parts = []
    if who.has(Role.CONTACT):
        parts.append(world.t("help.contact"))
    if who.has(Role.COORDINATOR, Role.ADMIN):
        parts.append(world.t("help.coordinator"))
    if who.has(Role.ADMIN):
        parts.append(world.t("help.admin"))
    parts.append(world.t("help.symbols"))
    await reply(update, "\n\n".join(parts))


@requires()
async def whoami(update: Update, context: DubanContext, who: Identity) -> None:
    """/whoami: name, roles, bureau and Telegram id."""
    world = context.runtime.world()
    bureau = world.catalogue.bureau_name(who.bureau_id) if who.bureau_id else world.t("word.none")
    await reply(
        update,
        world.t(
            "whoami",
            name=esc(who.name),
            roles=members.roles_text(world, who),
            bureau=esc(bureau),
            user_id=who.user_id,
        ),
    )


async def unknown_command(update: Update, context: DubanContext) -> None:
    """A command the bot does not have: a short hint."""
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    if private(update):
        await reply(update, context.runtime.world().t("help.unknown_command"))


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("whoami", whoami),
    ]


def fallback() -> list[BaseHandler[Update, DubanContext, None]]:
    """Handlers that must come after every feature's (unknown commands)."""
    return [MessageHandler(filters.COMMAND, unknown_command)]
