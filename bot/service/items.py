"""What several operations say about an item: its label, and who may report on it."""

from __future__ import annotations

from bot.core.model import Catalogue, SubTask, Task
from bot.core.render import esc
from bot.service.base import Identity, World


def item_label(world: World, task: Task, sub: SubTask | None) -> str:
    """任务 2「打好蓝天保卫战」, or with the sub-item named."""
    if sub is None:
        return world.t("msg.claim_item_task", number=task.number, title=esc(task.title))
    return world.t(
        "msg.claim_item_sub", number=task.number, title=esc(task.title), sub=esc(sub.text[:30])
    )


def may_report(catalogue: Catalogue, who: Identity, task: Task) -> bool:
    """A contact reports on the tasks of their own bureau only."""
    return who.bureau_id is not None and who.bureau_id in catalogue.bureaus_of(task)


__all__ = ["item_label", "may_report"]
