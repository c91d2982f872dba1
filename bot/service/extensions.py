"""延期申请: a contact asks for more time on a task or sub-item (a reason is required);
every coordinator gets the request with 批准 / 驳回; one coordinator's decision updates
every coordinator's copy and reaches the contact. An approved extension becomes the item's
effective deadline (`bot.core.workflow.with_extensions`); the YAML stays the admin's.
"""

from __future__ import annotations

from bot.core.deadline import deadline_window, in_window
from bot.core.history import Record, UpdateKind
from bot.core.model import SubTask, Task
from bot.core.protocol import (
    Awaiting,
    ExtensionAction,
    HandleExtension,
    Pending,
    pack,
)
from bot.core.render import Rendered, esc
from bot.core.workflow import Extension, ExtensionState, item_deadline, parse_new_deadline
from bot.service.base import Edit, Identity, Outcome, World, already_handled
from bot.service.items import adopt_pressed, item_label, may_report, reminder_row
from bot.service.notices import to_coordinators
from storage.repo import NewMessage, Store


def _prompt(world: World, task: Task, sub: SubTask | None) -> str:
    deadline = item_deadline(task, sub)
    return world.t("ext.prompt", item=item_label(world, task, sub), deadline=esc(deadline.text))


def ask(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    chat_id: int,
    message_id: int,
    update_id: int,
    shown: str | None = None,
) -> Outcome:
    """申请延期 under a reminder: the next text is the new deadline and the reason."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        row = reminder_row(store, who, chat_id, message_id, shown)
        if row is None or row.task_id not in world.catalogue.task_ids:
            return Outcome(toast=world.t("answer.expired_button"), alert=True)
        task = world.catalogue.task(row.task_id or "")
        sub = task.subtask(row.subtask_id) if row.subtask_id else None
        if row.subtask_id and sub is None:
            return Outcome(toast=world.t("answer.item_removed", number=task.label), alert=True)
        refusal = _refusal(world, record, who, task, sub)
        if refusal:
            return Outcome(toast=refusal, alert=True)
        store.set_pending(
            who.user_id,
            Pending(Awaiting.EXTENSION, world.now, task.id, row.subtask_id, message_key=row.key),
        )
        return Outcome(toast="").reply(_prompt(world, task, sub))


def _refusal(
    world: World, record: Record, who: Identity, task: Task, sub: SubTask | None
) -> str | None:
    if not may_report(world.catalogue, who, task):
        bureau = world.catalogue.bureau_name(who.bureau_id)
        return world.t("access.other_bureau", number=task.label, bureau=esc(bureau))
    if record.closed(task.id, sub.id if sub else None):
        return world.t("answer.closed", number=task.label)
    if item_deadline(task, sub).due is None:
        return world.t("ext.no_deadline", item=item_label(world, task, sub))
    return None


def request(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    task: Task,
    sub: SubTask | None,
    text: str,
    update_id: int | None,
    message_key: str | None = None,
) -> Outcome:
    """/extend TASK 日期 理由, or the text after 申请延期: record the request and tell every
    coordinator. The request is also the bureau's answer (a note in the history), so the
    reminder it answers is not followed up."""
    with store.transaction():
        if update_id is not None and not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        refusal = _refusal(world, record, who, task, sub)
        if refusal:
            store.clear_pending(who.user_id)
            return Outcome().reply(refusal)
        parsed = parse_new_deadline(text)
        if parsed is None:
            return Outcome().reply(world.t("ext.bad_date", text=esc(text[:40])))
        new, reason = parsed
        current = item_deadline(task, sub)
        assert new.due is not None and current.due is not None
        low, high = deadline_window(world.catalogue.document.date)
        if not in_window(new.due, (low, high)):
            return Outcome().reply(
                world.t("ext.out_of_window", new=esc(new.text), low=low, high=high)
            )
        if new.due <= current.due:
            return Outcome().reply(
                world.t("ext.not_later", new=esc(new.text), current=esc(current.text))
            )
        if not reason:
            store.set_pending(
                who.user_id,
                Pending(Awaiting.EXTENSION, world.now, task.id, sub.id if sub else None,
                        message_key=message_key, extra={"date": new.text}),
            )  # fmt: skip
            return Outcome().reply(world.t("ext.reason_needed", new=esc(new.text)))
        ext = store.add_extension(
            task_id=task.id, subtask_id=sub.id if sub else None, by=who.member_id,
            bureau_id=who.bureau_id, at=world.now, old_text=current.yaml_text,
            new_text=new.text, new_due=new.due, reason=reason[:1000],
            telegram_user_id=who.user_id,
        )  # fmt: skip
        store.add_update(
            task_id=task.id, kind=UpdateKind.NOTE, by=who.member_id, at=world.now,
            bureau_id=who.bureau_id, subtask_id=ext.subtask_id, message_key=message_key,
            note=world.t("ext.history_note", new=ext.new_text, reason=ext.reason),
            telegram_user_id=who.user_id,
        )  # fmt: skip
        store.clear_pending(who.user_id)
        out = Outcome(replan=True, outbox=_notify(store, world, who, task, sub, ext))
        return out.reply(
            world.t("ext.requested", item=item_label(world, task, sub), new=esc(new.text))
        )


def _notify(
    store: Store, world: World, who: Identity, task: Task, sub: SubTask | None, ext: Extension
) -> bool:
    """Every coordinator gets the request with 批准 / 驳回."""
    text = world.t(
        "ext.notice",
        bureau=esc(world.catalogue.bureau_name(who.bureau_id)),
        contact=esc(who.name),
        item=item_label(world, task, sub),
        old=esc(item_deadline(task, sub).text),
        new=esc(ext.new_text),
        reason=esc(ext.reason),
    )
    buttons = (
        (world.t("button.approve"), pack(HandleExtension(ExtensionAction.APPROVE, ext.id))),
        (world.t("button.refuse"), pack(HandleExtension(ExtensionAction.REFUSE, ext.id))),
    )
    return to_coordinators(store, world, f"ext:{ext.id}", "extension", text, buttons, task, sub)


def _copies(store: Store, ext_id: int, addition: str) -> list[Edit]:
    return [
        Edit(r.chat_id, r.message_id, Rendered(r.text + addition))
        for r in store.outbox_like(f"ext:{ext_id}:")
        if r.chat_id is not None and r.message_id is not None
    ]


def _result(store: Store, world: World, ext: Extension, text: str) -> bool:
    message = NewMessage(
        key=f"ext_result:{ext.id}", kind="extension_result", recipient=ext.requested_by,
        chat_id=world.chats.get(ext.requested_by), slot=world.now, text=text,
        task_id=ext.task_id, subtask_id=ext.subtask_id,
    )  # fmt: skip
    return bool(store.outbox_add([message], world.now))


def _open(
    store: Store, world: World, request_id: int
) -> tuple[Extension, Task, SubTask | None] | None:
    ext = store.extension(request_id)
    if ext is None or ext.state is not ExtensionState.REQUESTED:
        return None
    if ext.task_id not in world.catalogue.task_ids:
        return None
    task = world.catalogue.task(ext.task_id)
    sub = task.subtask(ext.subtask_id) if ext.subtask_id else None
    if ext.subtask_id and sub is None:
        return None
    return ext, task, sub


def decide(
    store: Store,
    world: World,
    who: Identity,
    *,
    action: ExtensionAction,
    request_id: int,
    pressed: Edit,
    update_id: int,
) -> Outcome:
    """批准 makes the new date the item's deadline; 驳回 asks for the reason first."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        adopt_pressed(store, pressed.chat_id, pressed.message_id, pressed.rendered.text)
        found = _open(store, world, request_id)
        if found is None:
            return already_handled(world, pressed)
        ext, task, sub = found
        if action is ExtensionAction.REFUSE:
            pending = Pending(Awaiting.REFUSE_REASON, world.now, task.id, ext.subtask_id,
                              claim_id=ext.id)  # fmt: skip
            store.set_pending(who.user_id, pending)
            return Outcome(toast="").reply(
                world.t("ext.refuse_prompt", item=item_label(world, task, sub))
            )
        overtaken = _overtaken(store, world, ext, task, sub)
        if overtaken is not None:
            return overtaken
        store.decide_extension(ext.id, ExtensionState.APPROVED, who.member_id, world.now)
        item = item_label(world, task, sub)
        out = Outcome(replan=True, catalogue_changed=True)
        out.toast = world.t("ext.approved_ack", item=item)
        mark = world.t("ext.approved_mark", who=esc(who.name), time=world.time(world.now))
        out.edits = _copies(store, ext.id, mark)
        text = world.t("ext.approved", item=item, new=esc(ext.new_text), who=esc(who.name))
        out.outbox = _result(store, world, ext, text)
        return out.reply(world.t("ext.approved_ack", item=item))


def _overtaken(
    store: Store, world: World, ext: Extension, task: Task, sub: SubTask | None
) -> Outcome | None:
    """A request the deadline in force overtook since it was made (the admin changed the
    YAML, or another extension was approved) would move the deadline back: it is closed
    instead, every copy says so, and the contact hears it."""
    now = item_deadline(task, sub)
    if now.yaml_text == ext.old_text and (now.due is None or ext.new_due > now.due):
        return None
    item = item_label(world, task, sub)
    note = world.t("ext.closed_note", old=ext.old_text, new=now.text)
    store.decide_extension(ext.id, ExtensionState.CLOSED, "system", world.now, note)
    text = world.t("ext.overtaken", item=item, now=esc(now.text), old=esc(ext.old_text),
                   new=esc(ext.new_text))  # fmt: skip
    out = Outcome(toast="", outbox=_result(store, world, ext, text))
    out.edits = _copies(store, ext.id, world.t("ext.overtaken_mark", now=esc(now.text)))
    return out.reply(text)


def refuse(store: Store, world: World, who: Identity, request_id: int, reason: str) -> Outcome:
    """驳回 with the reason the coordinator typed (inside the caller's transaction)."""
    store.clear_pending(who.user_id)
    found = _open(store, world, request_id)
    if found is None:
        return Outcome().reply(world.t("claim.already_handled"))
    ext, task, sub = found
    store.decide_extension(ext.id, ExtensionState.REFUSED, who.member_id, world.now, reason[:2000])
    item = item_label(world, task, sub)
    out = Outcome()
    mark = world.t("ext.refused_mark", who=esc(who.name), time=world.time(world.now),
                   reason=esc(reason[:200]))  # fmt: skip
    out.edits = _copies(store, ext.id, mark)
    text = world.t("ext.refused", item=item, new=esc(ext.new_text), reason=esc(reason[:1000]))
    out.outbox = _result(store, world, ext, text)
    return out.reply(world.t("ext.refused_ack", item=item))
