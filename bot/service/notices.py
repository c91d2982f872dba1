"""Messages to others that an operation decides on: they go into the outbox in the same
transaction as what caused them, so a crash cannot record a claim and lose its notice.

Keys: `claim:<update id>:<coordinator>`, `claim_result:<update id>`,
`unreachable:<member>:<since>:<coordinator>`.
"""

from __future__ import annotations

from bot.core.history import StatusUpdate
from bot.core.i18n import t
from bot.core.model import Role, SubTask, Task
from bot.core.protocol import ClaimAction, HandleClaim, pack
from bot.core.render import esc
from bot.core.workflow import requires_evidence
from bot.service.base import Identity, World
from bot.service.evidence import claim_copy
from bot.service.items import item_label
from storage.repo import NewMessage, Store
from storage.state import ts


def claim(
    store: Store, world: World, who: Identity, task: Task, sub: SubTask | None, u: StatusUpdate
) -> bool:
    """申请办结: every coordinator gets the claim with 确认办结 / 退回 buttons."""
    lead = (sub.lead if sub is not None and sub.lead else None) or task.lead
    role = world.t("claim.as_cooperating") if who.bureau_id != lead else ""
    text = world.t(
        "msg.claim",
        bureau=esc(world.catalogue.bureau_name(who.bureau_id)) + role,
        contact=esc(who.name),
        item=item_label(world, task, sub),
        note=world.t("claim.note", note=esc(u.note)) if u.note else "",
    )
    if requires_evidence(world.catalogue, task, sub):
        text += world.t("evidence.claim_missing")
    text = claim_copy(store, world, u.id, text)  # files sent before the claim go with it
    buttons = (
        (world.t("button.confirm"), pack(HandleClaim(ClaimAction.CONFIRM, u.id))),
        (world.t("button.return"), pack(HandleClaim(ClaimAction.RETURN, u.id))),
    )
    return to_coordinators(store, world, f"claim:{u.id}", "claim", text, buttons, task, sub)


def to_coordinators(
    store: Store,
    world: World,
    key: str,
    kind: str,
    text: str,
    buttons: tuple[tuple[str, str], ...],
    task: Task,
    sub: SubTask | None,
) -> bool:
    """A request every coordinator decides on (one row of buttons), keyed `<key>:<person>`;
    True when something new is in the outbox."""
    messages = [
        NewMessage(
            key=f"{key}:{person.id}",
            kind=kind,
            recipient=person.id,
            chat_id=world.chats.get(person.id),
            slot=world.now,
            text=text,
            buttons=(buttons,),
            task_id=task.id,
            subtask_id=sub.id if sub else None,
        )
        for person in world.catalogue.with_role(Role.COORDINATOR)
    ]
    return bool(store.outbox_add(messages, world.now))


def claim_result(store: Store, world: World, claim_update: StatusUpdate, text: str) -> bool:
    """The claimant hears what became of the claim."""
    message = NewMessage(
        key=f"claim_result:{claim_update.id}",
        kind="claim_result",
        recipient=claim_update.by,
        chat_id=world.chats.get(claim_update.by),
        slot=world.now,
        text=text,
        task_id=claim_update.task_id,
        subtask_id=claim_update.subtask_id,
    )
    return bool(store.outbox_add([message], world.now))


def unreachable(store: Store, world: World, member_id: str, reason: str) -> bool:
    """A 403: mark the member unreachable and tell every coordinator, once."""
    if not store.mark_unreachable(member_id, world.now, reason):
        return False
    cat = world.catalogue
    contact = next((c for c in cat.contacts() if c.id == member_id), None)
    name = contact.name if contact else cat.member_name(member_id)
    bureau = cat.bureau_name(contact.bureau_id) if contact else ""
    text = t(world.lang, "msg.unreachable", contact=esc(name), bureau=esc(bureau))
    messages = [
        NewMessage(
            key=f"unreachable:{member_id}:{ts(world.now)}:{person.id}",
            kind="alert",
            recipient=person.id,
            chat_id=world.chats.get(person.id),
            slot=world.now,
            text=text,
        )
        for person in cat.with_role(Role.COORDINATOR)
        if person.id != member_id
    ]
    return bool(store.outbox_add(messages, world.now))
