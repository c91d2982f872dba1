"""Coordinators decide on completion claims (申请办结): 确认办结 closes the item, 退回 sends the
claim back with a reason. Either way every coordinator's copy of the claim loses its
buttons and says what was decided, and the claimant is told (through the outbox)."""

from __future__ import annotations

from bot.core.history import Record, StatusUpdate, UpdateKind
from bot.core.model import SubTask, Task
from bot.core.protocol import Awaiting, ClaimAction, Pending
from bot.core.render import Rendered, esc
from bot.service import notices
from bot.service.base import Edit, Identity, Outcome, World, already_handled
from bot.service.evidence import claim_copy
from bot.service.items import adopt_pressed, item_label
from storage.repo import Store

#: Decisions that settle every claim of an item made before them.
DECISIONS = (UpdateKind.CLOSED, UpdateKind.RETURNED, UpdateKind.REOPENED)


def _undecided(store: Store, claim: StatusUpdate) -> list[StatusUpdate]:
    """The claims of the claim's item since its last decision (two contacts of a bureau may
    claim the same item before a coordinator decides: one decision settles them all)."""
    out: list[StatusUpdate] = []
    for u in store.updates(claim.task_id):
        if u.subtask_id != claim.subtask_id:
            continue
        if u.kind in DECISIONS:
            out = []
        elif u.kind is UpdateKind.DONE_CLAIMED:
            out.append(u)
    return out


def _open_claim(
    store: Store, world: World, claim_id: int
) -> tuple[Task, SubTask | None, StatusUpdate, list[StatusUpdate]] | None:
    """The item's open claim if `claim_id` is one of its claims still undecided (and its task
    still exists), with every undecided claim of the item."""
    claim = store.update(claim_id)
    if claim is None or claim.kind is not UpdateKind.DONE_CLAIMED:
        return None
    if claim.task_id not in world.catalogue.task_ids:
        return None
    current = store.item(claim.task_id, claim.subtask_id).claim
    undecided = _undecided(store, claim) if current is not None else []
    if current is None or all(c.id != claim_id for c in undecided):
        return None
    task = world.catalogue.task(claim.task_id)
    sub = task.subtask(claim.subtask_id) if claim.subtask_id else None
    return task, sub, current, undecided


def _copies(store: Store, world: World, claims: list[StatusUpdate], addition: str) -> list[Edit]:
    """Every coordinator's copy of the claims' notices, with `addition` and without buttons."""
    return [
        Edit(r.chat_id, r.message_id, Rendered(claim_copy(store, world, c.id, r.text) + addition))
        for c in claims
        for r in store.outbox_like(f"claim:{c.id}:")
        if r.chat_id is not None and r.message_id is not None
    ]


def _tell_claimants(store: Store, world: World, claims: list[StatusUpdate], text: str) -> bool:
    """Each contact who claimed hears the decision (once, however often they claimed)."""
    told: set[str] = set()
    queued = False
    for c in reversed(claims):
        if c.by not in told:
            told.add(c.by)
            queued = notices.claim_result(store, world, c, text) or queued
    return queued


def handle_claim(
    store: Store,
    world: World,
    record: Record,
    who: Identity,
    *,
    action: ClaimAction,
    claim_id: int,
    pressed: Edit,
    update_id: int,
) -> Outcome:
    """确认办结 closes the claimed item; 退回 asks for the reason first."""
    with store.transaction():
        if not store.mark_processed(update_id, world.now):
            return Outcome(duplicate=True)
        adopt_pressed(store, pressed.chat_id, pressed.message_id, pressed.rendered.text)
        found = _open_claim(store, world, claim_id)
        if found is None:
            # already handled (or its task is gone): this copy loses its buttons too
            return already_handled(world, pressed)
        task, sub, claim, claims = found
        if action is ClaimAction.RETURN:
            pending = Pending(
                Awaiting.RETURN_REASON, world.now, task.id, claim.subtask_id, claim_id=claim.id
            )
            store.set_pending(who.user_id, pending)
            return Outcome(toast="").reply(
                world.t("claim.return_prompt", item=item_label(world, task, sub))
            )
        store.add_update(
            task_id=task.id, kind=UpdateKind.CLOSED, by=who.member_id, at=world.now,
            subtask_id=claim.subtask_id, telegram_user_id=who.user_id,
        )  # fmt: skip
        item = item_label(world, task, sub)
        out = Outcome(replan=True, toast=world.t("claim.confirmed_ack", number=task.label))
        mark = world.t("claim.confirmed_mark", who=esc(who.name), time=world.time(world.now))
        out.edits = _copies(store, world, claims, mark)
        confirmed = world.t("msg.claim_confirmed", item=item)
        out.outbox = _tell_claimants(store, world, claims, confirmed)
        return out.reply(world.t("claim.confirmed_ack", number=task.label))


def return_claim(
    store: Store, world: World, record: Record, who: Identity, claim_id: int, reason: str
) -> Outcome:
    """退回 with the reason the coordinator typed (inside the caller's transaction)."""
    store.clear_pending(who.user_id)
    found = _open_claim(store, world, claim_id)
    if found is None:
        return Outcome().reply(world.t("claim.already_handled"))
    task, sub, claim, claims = found
    store.add_update(
        task_id=task.id, kind=UpdateKind.RETURNED, by=who.member_id, at=world.now,
        subtask_id=claim.subtask_id, note=reason[:2000], telegram_user_id=who.user_id,
    )  # fmt: skip
    item = item_label(world, task, sub)
    out = Outcome(replan=True)
    mark = world.t(
        "claim.returned_mark",
        who=esc(who.name),
        time=world.time(world.now),
        reason=esc(reason[:200]),
    )
    out.edits = _copies(store, world, claims, mark)
    text = world.t("msg.claim_returned", item=item, reason=esc(reason[:1000]))
    out.outbox = _tell_claimants(store, world, claims, text)
    return out.reply(world.t("claim.returned_ack", number=task.label))
