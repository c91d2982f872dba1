"""What several operations say about an item: its label, and who may report on it."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.core.model import Catalogue, SubTask, Task
from bot.core.protocol import PickTask, pack
from bot.core.render import Button, esc
from bot.service.base import Identity, World
from storage.repo import OutboxRow, Store


def item_label(world: World, task: Task, sub: SubTask | None) -> str:
    """任务 2「打好蓝天保卫战」, or with the sub-item named."""
    if sub is None:
        return world.t("msg.claim_item_task", number=task.label, title=esc(task.title))
    return world.t(
        "msg.claim_item_sub", number=task.label, title=esc(task.title), sub=esc(sub.text[:30])
    )


def may_report(catalogue: Catalogue, who: Identity, task: Task) -> bool:
    """A contact reports on the tasks of their own bureau only."""
    return who.bureau_id is not None and who.bureau_id in catalogue.bureaus_of(task)


def plain_text(text: str) -> str:
    """An HTML message text as Telegram shows it (tags gone, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def message_rows(
    store: Store, chat_id: int, message_id: int, shown: str | None = None
) -> list[OutboxRow]:
    """The outbox rows a message in a chat carried. A message whose sending got no answer
    (delivery unknown, so no message id) that the user answers after all is found by its
    text (`shown`, as the chat shows it) and recorded as delivered."""
    rows = store.outbox_by_message(chat_id, message_id)
    if rows or not shown:
        return rows
    units: dict[str, list[OutboxRow]] = {}
    for r in store.outbox_unknown_in(chat_id):
        if plain_text(r.text) == shown.strip():
            units.setdefault(r.batch or r.key, []).append(r)
    if not units:
        return []
    store.outbox_found([r.key for r in next(iter(units.values()))], message_id)
    return store.outbox_by_message(chat_id, message_id)


def adopt_pressed(store: Store, chat_id: int, message_id: int, html_text: str) -> None:
    """A button pressed under a message of unknown delivery (a coordinator's copy of a
    request): recorded as delivered, so the copy is edited with the decision like the rest."""
    message_rows(store, chat_id, message_id, plain_text(html_text))


def reminder_row(
    store: Store, who: Identity, chat_id: int, message_id: int, shown: str | None = None
) -> OutboxRow | None:
    """The outbox row of the one item a reminder message is about (the presser's own row
    when a deputy's message carries the item for a colleague on leave too); None when the
    message carried several items or none."""
    rows = message_rows(store, chat_id, message_id, shown)
    if len({(r.task_id, r.subtask_id, r.indicator_id) for r in rows}) != 1:
        return None
    return next((r for r in rows if r.recipient == who.member_id), rows[0])


__all__ = [
    "adopt_pressed",
    "item_label",
    "may_report",
    "message_rows",
    "plain_text",
    "reminder_row",
]


def task_buttons(tasks: Sequence[Task]) -> tuple[tuple[Button, ...], ...]:
    """One button per task (number and the start of its title): /update TASK."""
    return tuple((Button(f"{t.label}. {t.title[:14]}", pack(PickTask(t.id))),) for t in tasks[:40])
