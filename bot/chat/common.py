"""What every chat feature shares: the typed context, who is asking, delivering an operation's
outcome, role checks, paged replies.

A handler parses the update, calls one operation of the application layer (`bot.service`)
and delivers the `Outcome` it returns; it never touches storage.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.i18n import join, t
from bot.core.model import Role
from bot.core.render import Button, Rendered
from bot.service.base import Identity, Outcome
from bot.service.members import stranger_text

if TYPE_CHECKING:
    from bot.app import Duban
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


class DubanContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB's context with the running bot as a typed attribute."""

    @property
    def duban(self) -> Duban:
        """The running bot (runtime, engine, reload)."""
        duban: Duban = self.application.bot_data["duban"]
        return duban

    @property
    def runtime(self) -> Runtime:
        """The table, the database and the clock."""
        return self.duban.runtime


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


def private(update: Update) -> bool:
    """Whether the update comes from a private chat with the bot."""
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def reply(update: Update, rendered: Rendered | str) -> Message | None:
    """Answer in the chat the update came from."""
    if isinstance(rendered, str):
        rendered = Rendered(rendered)
    chat = update.effective_chat
    if chat is None or not rendered.text:
        return None
    return await chat.send_message(
        rendered.text, reply_markup=keyboard(rendered.buttons), parse_mode="HTML"
    )


async def answer_press(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer a button press (stops the client's spinner); a press too old to answer, or a
    forged one, is not worth failing for."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text or None, show_alert=alert)
    except TelegramError as err:
        log.info("could not answer a button press: %s", err)


async def deliver(update: Update, context: DubanContext, outcome: Outcome) -> None:
    """Show the acting user what an operation decided; wake the sender if it queued messages."""
    await answer_press(update, outcome.toast, outcome.alert)
    if outcome.duplicate:
        return
    for edit in outcome.edits:
        try:
            await context.bot.edit_message_text(
                edit.rendered.text,
                chat_id=edit.chat_id,
                message_id=edit.message_id,
                parse_mode="HTML",
                reply_markup=keyboard(edit.rendered.buttons),
            )
        except BadRequest as err:
            log.info("could not edit message %s in %s: %s", edit.message_id, edit.chat_id, err)
    for rendered in outcome.replies:
        await reply(update, rendered)
    for chat_id, kind, file_id, caption in outcome.files:
        try:
            if kind == "photo":
                await context.bot.send_photo(chat_id, file_id, caption=caption[:1000])
            else:
                await context.bot.send_document(chat_id, file_id, caption=caption[:1000])
        except TelegramError as err:  # e.g. a coordinator who blocked the bot
            log.info("could not show a file in %s: %s", chat_id, err)
    if outcome.outbox:
        context.duban.engine.wake()


#: A stranger gets at most STRANGER_BURST answers in STRANGER_QUIET: updates are handled one
#: at a time and Telegram takes about one message a second to a chat, so answering each
#: message of a flood would hold every contact and coordinator up for as long as the flood.
STRANGER_QUIET = dt.timedelta(minutes=10)
STRANGER_BURST = 6


def answered_stranger_lately(context: DubanContext, user_id: int) -> bool:
    """Whether this stranger had their answers for now (STRANGER_BURST in STRANGER_QUIET)."""
    since, count = context.duban.stranger_answers.get(user_id, (None, 0))
    now = context.runtime.now()
    fresh = since is None or not dt.timedelta(0) <= now - since < STRANGER_QUIET
    return not fresh and count >= STRANGER_BURST


def stranger_answered(context: DubanContext, user_id: int) -> None:
    """Count an answer to a stranger."""
    seen = context.duban.stranger_answers
    since, count = seen.get(user_id, (None, 0))
    now = context.runtime.now()
    if since is None or not dt.timedelta(0) <= now - since < STRANGER_QUIET:
        since, count = now, 0
    if len(seen) > 10_000:  # bounded: strangers can be many
        seen.clear()
    seen[user_id] = (since, count + 1)


async def refuse_stranger(update: Update, context: DubanContext, who: Identity | None) -> None:
    """A polite answer saying whom to ask (not to every message of a flood); nothing is read
    or changed."""
    runtime = context.runtime
    if update.callback_query:
        await answer_press(update, t(runtime.lang, "help.stranger"), alert=True)
        return
    user_id = who.user_id if who else 0
    if private(update) and not answered_stranger_lately(context, user_id):
        stranger_answered(context, user_id)
        await reply(update, stranger_text(runtime.world(), user_id))


async def refuse_role(update: Update, context: DubanContext, roles: Sequence[Role]) -> None:
    """This is for other roles."""
    lang = context.runtime.lang
    names = join(lang, (t(lang, f"role.{r.value}") for r in roles))
    text = t(lang, "access.denied", roles=names)
    if update.callback_query:
        await answer_press(update, text, alert=True)
    else:
        await reply(update, text)


def requires(*roles: Role) -> Callable[[Callable[..., Awaitable[None]]], Handler]:
    """Let only users with one of `roles` through, in a private chat; strangers and others
    get a polite no. The check uses the Telegram user id, never the chat, and a group never
    gets task data (it may hold people the table does not know).

    The wrapped handler receives the Identity as a third argument.
    """

    def wrap(fn: Callable[[Update, DubanContext, Identity], Awaitable[None]]) -> Handler:
        async def handler(update: Update, context: DubanContext) -> None:
            who = identity(update, context)
            if who is None or not who.known:
                await refuse_stranger(update, context, who)
                return
            if roles and not who.has(*roles):
                await refuse_role(update, context, roles)
                return
            if not private(update):
                await reply(update, t(context.runtime.lang, "access.private_only"))
                return
            await fn(update, context, who)

        handler.__doc__ = fn.__doc__
        handler.__name__ = fn.__name__
        return handler

    return wrap


def command_args(context: DubanContext) -> list[str]:
    """The words after a command."""
    return list(context.args or [])
