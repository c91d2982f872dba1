"""The office's own workflow in chat: /invite (admins), /extend (延期申请), /leave and
/deputy (请假与代收), photos and documents as evidence (佐证材料).

Each handler parses the update, calls one operation of the application layer and delivers
its outcome.
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
from bot.core.i18n import join
from bot.core.model import Role
from bot.core.parse import find_task
from bot.core.protocol import PickDeputy, pack
from bot.core.render import Button, Rendered, esc
from bot.service import answers, evidence, extensions, leave, members
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
    own = rt.catalogue.tasks_of(who.bureau_id or "")
    task = find_task(rt.catalogue, args[0], own) if args else None
    if task is None or len(args) < 2:
        mine = answers.open_tasks(rt.catalogue, rt.record, who)
        example = mine[0].label if mine else "7"
        await reply(update, world.t("ext.usage", example=example))
        return
    outcome = await rt.write(
        extensions.request, world, rt.record, who, task=task, sub=None,
        text=" ".join(args[1:])[:1000], update_id=update.update_id,
    )  # fmt: skip
    await deliver(update, context, outcome)


async def file_message(update: Update, context: DubanContext) -> None:
    """A photo or document from a contact: evidence (佐证材料) of the item it belongs to."""
    message = update.message
    if message is None or not private(update):
        return  # a group may hold people the table does not know: no files taken there
    who = identity(update, context)
    if who is None or not who.known:
        await refuse_stranger(update, context, who)
        return
    rt = context.runtime
    world = rt.world()
    if not who.has(Role.CONTACT):
        await reply(update, world.t("evidence.contacts_only"))
        return
    if message.photo:
        photo = message.photo[-1]  # the largest size
        stamp = f"{world.now.astimezone(world.catalogue.tz):%Y%m%d-%H%M%S}"
        name, kind = f"photo-{stamp}.jpg", "photo"
        mime: str | None = "image/jpeg"
        file_id, unique, size = photo.file_id, photo.file_unique_id, photo.file_size
    elif message.document:
        doc = message.document
        name, mime, kind = doc.file_name or "document", doc.mime_type, "document"
        file_id, unique, size = doc.file_id, doc.file_unique_id, doc.file_size
    else:
        return
    if size is not None and size > evidence.MAX_BYTES:
        await reply(update, world.t("evidence.too_big", size=evidence.size_text(size)))
        return
    refused = evidence.refusal(rt.reader, world, who, size, rt.db_path.parent)
    if refused is not None:  # the day's allowance, or a disk near full: not downloaded
        await reply(update, refused.text)
        if refused.disk:
            await context.duban.warn_disk(str(rt.db_path.parent))
        return
    tg_file = await context.bot.get_file(file_id)
    data = bytes(await tg_file.download_as_bytearray())
    target = message.reply_to_message
    upload = evidence.Upload(
        data=data, file_name=name, mime_type=mime, file_id=file_id, file_unique_id=unique,
        kind=kind, chat_id=message.chat.id, message_id=message.message_id,
        reply_to=target.message_id if target is not None else None,
        caption=message.caption or "",
        reply_shown=target.text if target is not None else None,
    )  # fmt: skip
    outcome = await rt.write(
        evidence.receive, world, rt.record, who, upload=upload, data_dir=rt.db_path.parent,
        update_id=update.update_id,
    )  # fmt: skip
    await deliver(update, context, outcome)


@requires(Role.CONTACT)
async def leave_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/leave 开始 结束 (or /leave 取消): a contact's leave."""
    rt = context.runtime
    world = rt.world()
    args = command_args(context)
    if args and args[0].lower() in ("取消", "销假", "cancel", "back"):
        outcome = await rt.write(leave.end_leave, world, who, update_id=update.update_id)
    elif len(args) == 2:
        outcome = await rt.write(
            leave.set_leave, world, who, start=args[0], end=args[1], update_id=update.update_id
        )
    else:
        mine = [lv for lv in world.leaves.get(who.member_id, ()) if lv.cancelled_at is None]
        text = world.t("leave.usage")
        if mine:
            spans = join(world.lang, (f"{lv.start}–{lv.end}" for lv in mine))
            text = world.t("leave.current", leaves=spans) + "\n" + text
        await reply(update, Rendered(text, leave.leave_buttons(world, who)))
        return
    await deliver(update, context, outcome)


@requires(Role.CONTACT)
async def deputy_command(update: Update, context: DubanContext, who: Identity) -> None:
    """/deputy: choose the colleague who receives your reminders while you are on leave."""
    rt = context.runtime
    world = rt.world()
    bureau = rt.catalogue.bureau(who.bureau_id or "")
    others = [c for c in bureau.contacts if c.id != who.member_id]
    if not others:
        await reply(update, world.t("deputy.alone"))
        return
    rows = [(Button(c.name[:30], pack(PickDeputy(c.id))),) for c in others[:40]]
    rows.append((Button(world.t("deputy.nobody"), pack(PickDeputy("-"))),))
    text = world.t("deputy.pick")
    current = leave.deputy_of(world, who.member_id)
    if current is not None:
        text += "\n" + world.t("deputy.current", name=esc(current.name))
    await reply(update, Rendered(text, tuple(rows)))


def handlers() -> list[BaseHandler[Update, DubanContext, None]]:
    """This feature's handlers."""
    return [
        CommandHandler("invite", invite_command),
        CommandHandler("extend", extend_command),
        CommandHandler("leave", leave_command),
        CommandHandler("deputy", deputy_command),
        MessageHandler(
            filters.UpdateType.MESSAGE & (filters.PHOTO | filters.Document.ALL), file_message
        ),
    ]
