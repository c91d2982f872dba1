"""Every button press, in one place: who is pressing is checked first, then the callback data
is parsed (`bot.core.protocol.parse_callback`, which never raises: forged or outdated data is
just unknown), then the press goes to its operation."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.chat.common import (
    DubanContext,
    answer_press,
    deliver,
    identity,
    keyboard,
    refuse_role,
    refuse_stranger,
)
from bot.chat.pages import page
from bot.core.model import Role
from bot.core.protocol import (
    AnswerReading,
    AnswerReminder,
    AskExtension,
    ConfirmReload,
    HandleClaim,
    HandleExtension,
    Page,
    PickDeputy,
    PickIndicator,
    PickLeave,
    PickStatus,
    PickTask,
    ReadingAction,
    Show,
    WhichTask,
    parse_callback,
)
from bot.core.render import Rendered, paginate
from bot.service import answers, claims, extensions, leave
from bot.service.base import Edit, Identity, Outcome

log = logging.getLogger(__name__)

CONTACT_BUTTONS = (
    AnswerReminder,
    PickTask,
    PickStatus,
    WhichTask,
    AnswerReading,
    PickIndicator,
    AskExtension,
    PickDeputy,
    PickLeave,
)
COORDINATOR_BUTTONS = (HandleClaim, HandleExtension)


async def on_button(update: Update, context: DubanContext) -> None:
    """Any inline button."""
    query = update.callback_query
    if query is None:
        return
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    cb = parse_callback(query.data)
    rt = context.runtime
    if cb is None or query.message is None:
        await answer_press(update, rt.world().t("answer.expired_button"), alert=True)
        return
    if query.message.chat.id != who.user_id:
        # Only the chat's own user presses buttons in a private chat; in a group, anyone in
        # it could, and whatever the press shows would be shown to the whole group.
        await answer_press(update, rt.world().t("access.private_only"), alert=True)
        return
    if isinstance(cb, CONTACT_BUTTONS) and not who.has(Role.CONTACT):
        await refuse_role(update, context, (Role.CONTACT,))
        return
    if isinstance(cb, COORDINATOR_BUTTONS) and not who.has(Role.COORDINATOR):
        await refuse_role(update, context, (Role.COORDINATOR,))
        return
    if isinstance(cb, ConfirmReload):
        if not who.has(Role.ADMIN):
            await refuse_role(update, context, (Role.ADMIN,))
            return
        await context.duban.confirm_reload(update, who, cb)
        return
    if isinstance(cb, Page):
        await _page(update, context, who, cb)
        return
    if isinstance(cb, Show):
        await _show(update, context, who, cb)
        return
    await deliver(update, context, await _operate(update, context, who, cb))


def _pressed(update: Update) -> Edit:
    query = update.callback_query
    assert query is not None and query.message is not None
    message = query.message
    text = getattr(message, "text_html", None) or ""
    return Edit(message.chat.id, message.message_id, Rendered(text))


async def _operate(update: Update, context: DubanContext, who: Identity, cb: object) -> Outcome:
    rt = context.runtime
    world, uid = rt.world(), update.update_id
    pressed = _pressed(update)
    chat, message = pressed.chat_id, pressed.message_id
    query = update.callback_query
    shown = getattr(query.message, "text", None) if query is not None else None
    match cb:
        case AnswerReminder(answer):
            return await rt.write(answers.answer_reminder, world, rt.record, who, chat_id=chat,
                                  message_id=message, answer=answer, update_id=uid,
                                  shown=shown)  # fmt: skip
        case PickTask(task_id):
            task = rt.catalogue.task(task_id) if task_id in rt.catalogue.task_ids else None
            if task is None:
                return Outcome(toast=world.t("answer.expired_button"), alert=True)
            return answers.ask_status(world, rt.record, who, task)
        case PickStatus(task_id, answer):
            return await rt.write(answers.pick_status, world, rt.record, who, task_id=task_id,
                                  answer=answer, pressed=pressed, update_id=uid)  # fmt: skip
        case WhichTask(task_id):
            return await rt.write(answers.which_task, world, who, task_id=task_id,
                                  pressed=pressed, update_id=uid)  # fmt: skip
        case AnswerReading(ReadingAction.NO_DATA):
            return await rt.write(answers.no_data, world, who, chat_id=chat, message_id=message,
                                  update_id=uid, shown=shown)  # fmt: skip
        case PickIndicator(indicator_id):
            if indicator_id not in rt.catalogue.indicator_ids:
                return Outcome(toast=world.t("answer.expired_button"), alert=True)
            ind = rt.catalogue.indicator(indicator_id)
            return await rt.write(answers.ask_reading, world, who, ind=ind, update_id=uid)
        case AskExtension():
            return await rt.write(extensions.ask, world, rt.record, who, chat_id=chat,
                                  message_id=message, update_id=uid, shown=shown)  # fmt: skip
        case HandleExtension(action, request_id):
            return await rt.write(extensions.decide, world, who, action=action,
                                  request_id=request_id, pressed=pressed, update_id=uid)  # fmt: skip
        case PickLeave(days):
            return await rt.write(leave.pick_leave, world, who, days=days, update_id=uid)
        case PickDeputy(contact_id):
            return await rt.write(leave.set_deputy, world, who, deputy_id=contact_id,
                                  update_id=uid)  # fmt: skip
        case HandleClaim(action, claim_id):
            return await rt.write(claims.handle_claim, world, rt.record, who, action=action,
                                  claim_id=claim_id, pressed=pressed, update_id=uid)  # fmt: skip
    return Outcome(toast=world.t("answer.expired_button"), alert=True)


async def _show(update: Update, context: DubanContext, who: Identity, cb: Show) -> None:
    """A drill-down or lookup choice: the view as a new message."""
    from bot.chat.status import show_view

    if not await show_view(update, context, who, cb.view):
        await answer_press(update, context.runtime.world().t("answer.expired_button"), alert=True)
        return
    await answer_press(update)


async def _page(update: Update, context: DubanContext, who: Identity, cb: Page) -> None:
    """Another page of a paged answer, in place."""
    from bot.chat.status import view_buttons, view_lines

    query = update.callback_query
    assert query is not None
    rt = context.runtime
    lines = view_lines(rt, cb.view, who)
    if lines is None:
        await answer_press(update, rt.world().t("answer.expired_button"), alert=True)
        return
    pages = paginate(lines)
    n = min(max(cb.page, 0), len(pages) - 1)
    rendered = page(cb.view, pages, n, rt.lang, view_buttons(rt, cb.view))
    await answer_press(update)
    try:
        await query.edit_message_text(
            rendered.text, parse_mode="HTML", reply_markup=keyboard(rendered.buttons)
        )
    except Exception as err:  # "message is not modified" and friends
        log.info("page edit: %s", err)


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [CallbackQueryHandler(on_button)]
