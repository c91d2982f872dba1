"""Command menus by role: everyone's default menu holds only what anyone may use (/start,
/help, /whoami); each bound member gets the commands of their roles in their own chat
(`setMyCommands` with `BotCommandScopeChat`), so a contact never sees /status or /reload.

A chat's menu is published again only when it changed (its commands are remembered in the
database's meta table), so a restart does not resend a thousand menus.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from bot.core.i18n import t
from bot.core.model import Role
from bot.service.members import remember_menu

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

#: What anyone may use (strangers included): the default menu.
EVERYONE = ("start", "help", "whoami")
#: Each role's commands, in the order shown.
BY_ROLE: dict[Role, tuple[str, ...]] = {
    Role.CONTACT: ("mytasks", "update", "report", "extend", "leave", "deputy"),
    Role.COORDINATOR: ("status", "dashboard", "overdue", "contacts", "export"),
    Role.ADMIN: ("status", "contacts", "invite", "reload", "export"),
}


#: Every command of every menu (each is in /help and the README: a test checks).
ALL: tuple[str, ...] = tuple(
    dict.fromkeys(c for cs in (*BY_ROLE.values(), EVERYONE) for c in cs if c != "start")
)


def commands_for(roles: frozenset[Role]) -> tuple[str, ...]:
    """The menu of a member with these roles (their roles' commands, then everyone's)."""
    out: list[str] = []
    for role in (Role.CONTACT, Role.COORDINATOR, Role.ADMIN):
        if role in roles:
            out += [c for c in BY_ROLE[role] if c not in out]
    return (*out, *(c for c in EVERYONE if c not in out and c != "start"))


async def publish_default(bot: Bot) -> None:
    """The menu of every chat without its own: what anyone may use, in zh and en."""
    for lang in ("zh", "en"):
        commands = [BotCommand(c, t(lang, f"cmd.{c}")) for c in EVERYONE]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=lang)
    await bot.set_my_commands([BotCommand(c, t("zh", f"cmd.{c}")) for c in EVERYONE])


async def publish_member(bot: Bot, rt: Runtime, user_id: int, *, force: bool = False) -> bool:
    """The menu of one member's private chat, by their roles; True when it was sent."""
    who = rt.identify(user_id)
    names = commands_for(who.roles) if who.known else ()
    digest = hashlib.sha256(f"{rt.lang}:{','.join(names)}".encode()).hexdigest()[:16]
    key = f"menu:{user_id}"
    if not force and rt.reader.get_meta(key) == digest:
        return False
    scope = BotCommandScopeChat(user_id)
    try:
        if names:
            commands = [BotCommand(c, t(rt.lang, f"cmd.{c}")) for c in names]
            await bot.set_my_commands(commands, scope=scope)
        else:
            await bot.delete_my_commands(scope=scope)
    except TelegramError as err:  # e.g. a member who never started the bot
        log.info("could not set the menu of chat %s: %s", user_id, err)
        return False
    await rt.write(remember_menu, user_id, digest)
    return True


async def publish_all(bot: Bot, rt: Runtime) -> int:
    """Every bound member's menu (at start and after a reload), and the menu of anyone who
    had one and is no longer bound (a contact the table removed) taken away; how many were
    sent."""
    users = {b.telegram_user_id for b in rt.reader.bindings()}
    users |= {int(k.split(":", 1)[1]) for k in rt.reader.meta_like("menu:")}
    sent = 0
    for user_id in sorted(users):
        sent += await publish_member(bot, rt, user_id)
    return sent
