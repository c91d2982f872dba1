"""Onboarding: /start with an invite code, /help per role, /whoami."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.chat.common import DubanContext, identity, refuse_stranger, reply, requires
from bot.core.i18n import join, t
from bot.core.model import Role
from bot.core.render import esc
from bot.runtime import Identity

log = logging.getLogger(__name__)


def roles_text(who: Identity, lang: str) -> str:
    """The user's roles, named in the table's language."""
    order = (Role.ADMIN, Role.COORDINATOR, Role.CONTACT)
    return join(lang, (t(lang, f"role.{r.value}") for r in order if r in who.roles))


async def start(update: Update, context: DubanContext) -> None:
    """Bind a contact through an invite code or a catalogue id; greet the known; refuse others."""
    runtime = context.runtime
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return
    lang = runtime.lang
    code = (context.args or [""])[0].strip()
    who = identity(update, context)
    if code:
        member_id = runtime.store.redeem_invite(code, user.id, runtime.now())
        if member_id is None:
            if who is not None and who.known:
                await reply(
                    update,
                    t(lang, "start.welcome_back", name=esc(who.name), roles=roles_text(who, lang)),
                )
            else:
                await reply(update, t(lang, "start.bad_code", admins=esc(runtime.admins_text())))
            return
        runtime.store.bind(member_id, user.id, runtime.now(), "code")
        runtime.store.mark_reachable(member_id)
        runtime.store.audit(
            runtime.now(), f"tg:{user.id}", "bind", {"member": member_id, "via": "code"}
        )
        who = runtime.identify(user.id)
        await _welcome(update, context, who)
        return
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    member = who.contact or who.person
    if member is not None:
        runtime.store.mark_reachable(member.id)  # they started the bot again
    if runtime.store.binding_for_user(user.id) is None:
        # Named by Telegram id in the catalogue: bound on the first /start, no code needed.
        member = who.contact or who.person
        assert member is not None
        runtime.store.bind(member.id, user.id, runtime.now(), "catalogue_id")
        runtime.store.audit(
            runtime.now(), f"tg:{user.id}", "bind", {"member": member.id, "via": "catalogue_id"}
        )
        await _welcome(update, context, who)
        return
    await reply(
        update, t(lang, "start.welcome_back", name=esc(who.name), roles=roles_text(who, lang))
    )


async def _welcome(update: Update, context: DubanContext, who: Identity) -> None:
    """The first message after binding: what the user is and what to do next."""
    runtime = context.runtime
    lang = runtime.lang
    if who.contact is not None:
        bureau = runtime.catalogue.bureau(who.contact.bureau_id).name
        await reply(
            update, t(lang, "start.bound_contact", bureau=esc(bureau), name=esc(who.contact.name))
        )
    else:
        await reply(
            update, t(lang, "start.bound_person", name=esc(who.name), roles=roles_text(who, lang))
        )


async def help_command(update: Update, context: DubanContext) -> None:
    """/help: the commands of the user's roles."""
    who = identity(update, context)
    lang = context.runtime.lang
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    parts = []
    if who.has(Role.CONTACT):
        parts.append(t(lang, "help.contact"))
    if who.has(Role.COORDINATOR, Role.ADMIN):
        parts.append(t(lang, "help.coordinator"))
    if who.has(Role.ADMIN):
        parts.append(t(lang, "help.admin"))
    await reply(update, "\n\n".join(parts))


@requires()
async def whoami(update: Update, context: DubanContext, who: Identity) -> None:
    """/whoami: name, roles, bureau and Telegram id."""
    runtime = context.runtime
    lang = runtime.lang
    bureau = runtime.catalogue.bureau(who.bureau_id).name if who.bureau_id else t(lang, "word.none")
    await reply(
        update,
        t(
            lang,
            "whoami",
            name=esc(who.name),
            roles=roles_text(who, lang),
            bureau=esc(bureau),
            user_id=who.user_id,
        ),
    )


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("start", start),
        CommandHandler("help", help_command),
        CommandHandler("whoami", whoami),
    ]
