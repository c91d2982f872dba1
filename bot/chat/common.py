"""What every chat feature shares: the typed context, role checks, keyboards, paged replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.i18n import join, t
from bot.core.model import Role
from bot.core.render import Button, Rendered, esc
from bot.runtime import Identity, Runtime

log = logging.getLogger(__name__)


class DubanContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the bot's runtime as a typed attribute."""

    @property
    def runtime(self) -> Runtime:
        """The running bot's table, database and clock."""
        runtime: Runtime = self.application.bot_data["runtime"]
        return runtime


Handler = Callable[[Update, DubanContext], Coroutine[Any, Any, None]]
DubanApp = Application[Any, DubanContext, Any, Any, Any, Any]


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    """Button specs from the core as an inline keyboard."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in rows]
    )


def identity(update: Update, context: DubanContext) -> Identity | None:
    """Who sent this update (None when there is no user, e.g. a channel post)."""
    user = update.effective_user
    return context.runtime.identify(user.id) if user else None


async def reply(update: Update, rendered: Rendered | str, **kwargs: Any) -> Message | None:
    """Answer in the chat the update came from."""
    if isinstance(rendered, str):
        rendered = Rendered(rendered)
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        rendered.text, reply_markup=keyboard(rendered.buttons), parse_mode="HTML", **kwargs
    )


async def refuse_stranger(update: Update, context: DubanContext, who: Identity | None) -> None:
    """A polite answer saying who to ask; nothing is read or changed."""
    runtime = context.runtime
    text = t(
        runtime.lang,
        "access.stranger",
        office=esc(runtime.catalogue.document.issuer or runtime.catalogue.document.title),
        admins=esc(runtime.admins_text()),
        user_id=who.user_id if who else "?",
    )
    if update.callback_query:
        await update.callback_query.answer(t(runtime.lang, "help.stranger"), show_alert=True)
        return
    await reply(update, text)


def requires(*roles: Role) -> Callable[[Callable[..., Awaitable[None]]], Handler]:
    """Let only users with one of `roles` through; strangers and others get a polite no.

    The check uses the Telegram user id, never the chat, so it holds in groups too.
    The wrapped handler receives the Identity as a third argument.
    """

    def wrap(fn: Callable[[Update, DubanContext, Identity], Awaitable[None]]) -> Handler:
        @functools.wraps(fn)
        async def handler(update: Update, context: DubanContext) -> None:
            who = identity(update, context)
            if who is None or not who.known:
                await refuse_stranger(update, context, who)
                return
            if roles and not who.has(*roles):
                lang = context.runtime.lang
                names = join(lang, (t(lang, f"role.{r.value}") for r in roles))
                text = t(lang, "access.denied", roles=names)
                if update.callback_query:
                    await update.callback_query.answer(text, show_alert=True)
                else:
                    await reply(update, text)
                return
            await fn(update, context, who)

        return handler

    return wrap


def command_args(context: DubanContext) -> list[str]:
    """The words after a command."""
    return list(context.args or [])
