"""What changed between two versions of the table: the change report admins get on reload
and `duban diff` prints. Pure: no Telegram, SQLite or scheduler imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.core.history import Record
from bot.core.i18n import t
from bot.core.model import Catalogue
from bot.core.planner import upcoming


@dataclass(frozen=True)
class Change:
    """One line of the change report: an i18n key (`diff.<code>`) and its parameters."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChangeReport:
    """Everything that changed, plus what it does to the schedule."""

    changes: tuple[Change, ...]
    reminders_added: int = 0
    reminders_cancelled: int = 0

    @property
    def empty(self) -> bool:
        """No change at all."""
        return not self.changes

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (stored with the version)."""
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.code] = counts.get(c.code, 0) + 1
        return {
            "changes": counts,
            "reminders_added": self.reminders_added,
            "reminders_cancelled": self.reminders_cancelled,
        }

    def render(self, lang: str, version: int | None = None, escape: bool = True) -> str:
        """The report as text (HTML-escaped for chat unless escape=False)."""
        import html

        def e(v: object) -> str:
            return html.escape(str(v), quote=False) if escape else str(v)

        lines = []
        if version is not None:
            lines.append(t(lang, "diff.header", version=version))
        if not self.changes:
            lines.append(t(lang, "diff.none"))
        for c in self.changes:
            lines.append(t(lang, f"diff.{c.code}", **{k: e(v) for k, v in c.params.items()}))
        if self.reminders_added or self.reminders_cancelled:
            lines.append(
                t(
                    lang,
                    "diff.schedule",
                    added=self.reminders_added,
                    cancelled=self.reminders_cancelled,
                )
            )
        text = "\n".join(lines)
        if not escape:
            text = text.replace("<b>", "").replace("</b>", "")
        return text


def _names(cat: Catalogue, ids: tuple[str, ...]) -> str:
    out = []
    for b in ids:
        try:
            out.append(cat.bureau(b).name)
        except KeyError:
            out.append(b)
    return "、".join(out) or "—"


def diff_catalogues(
    old: Catalogue,
    new: Catalogue,
    *,
    now: dt.datetime | None = None,
    record: Record | None = None,
) -> ChangeReport:
    """Compare two tables by id; with `now`, also count reminders added and cancelled."""
    changes: list[Change] = []
    old_tasks = {x.id: x for x in old.tasks}
    new_tasks = {x.id: x for x in new.tasks}
    # a document added or removed as a whole is one line, not a line per task
    old_docs, new_docs = {d.id: d for d in old.docs}, {d.id: d for d in new.docs}
    came = {i for i in new_docs if i not in old_docs and new.several}
    went = {i for i in old_docs if i not in new_docs and old.several}
    for doc_id in sorted(came):
        doc = new_docs[doc_id]
        count = len(new.tasks_in(doc_id))
        changes.append(
            Change("document_added", {"label": doc.label, "title": doc.title, "count": count})
        )
    for doc_id in sorted(went):
        doc = old_docs[doc_id]
        count = len(old.tasks_in(doc_id))
        changes.append(
            Change("document_removed", {"label": doc.label, "title": doc.title, "count": count})
        )
    for tid, task in new_tasks.items():
        if tid not in old_tasks:
            if task.document not in came:
                changes.append(Change("task_added", {"number": task.label, "title": task.title}))
            continue
        before = old_tasks[tid]
        n = task.label
        if before.title != task.title:
            changes.append(
                Change("task_renamed", {"number": n, "old": before.title, "new": task.title})
            )
        if before.number != task.number:
            changes.append(
                Change("task_renumbered", {"title": task.title, "old": before.label, "new": n})
            )
        if before.deadline != task.deadline:
            changes.append(
                Change(
                    "deadline_moved",
                    {"number": n, "old": before.deadline.text, "new": task.deadline.text},
                )
            )
        if before.lead != task.lead:
            changes.append(
                Change(
                    "lead_changed",
                    {
                        "number": n,
                        "old": _names(old, (before.lead,)),
                        "new": _names(new, (task.lead,)),
                    },
                )
            )
        if set(before.cooperating) != set(task.cooperating):
            changes.append(
                Change(
                    "cooperating_changed",
                    {
                        "number": n,
                        "old": _names(old, before.cooperating),
                        "new": _names(new, task.cooperating),
                    },
                )
            )
        old_subs = {s.id for s in before.subtasks}
        new_subs = {s.id for s in task.subtasks}
        if old_subs != new_subs:
            changes.append(
                Change(
                    "subtasks_changed",
                    {
                        "number": n,
                        "added": len(new_subs - old_subs),
                        "removed": len(old_subs - new_subs),
                    },
                )
            )
    for tid, task in old_tasks.items():
        if tid not in new_tasks and task.document not in went:
            changes.append(Change("task_removed", {"number": task.label, "title": task.title}))
    old_b = {b.id: b for b in old.bureaus}
    new_b = {b.id: b for b in new.bureaus}
    for bid, b in new_b.items():
        if bid not in old_b:
            changes.append(Change("bureau_added", {"name": b.name}))
        elif old_b[bid].name != b.name:
            changes.append(Change("bureau_renamed", {"old": old_b[bid].name, "new": b.name}))
    for bid, b in old_b.items():
        if bid not in new_b:
            changes.append(Change("bureau_removed", {"name": b.name}))
    old_c = {c.id: c for c in old.contacts()}
    new_c = {c.id: c for c in new.contacts()}
    for cid, c in new_c.items():
        if cid not in old_c:
            changes.append(
                Change("contact_added", {"name": c.name, "bureau": _names(new, (c.bureau_id,))})
            )
    for cid, c in old_c.items():
        if cid not in new_c:
            changes.append(
                Change("contact_removed", {"name": c.name, "bureau": _names(old, (c.bureau_id,))})
            )
    old_p = {p.id: p for p in old.people}
    new_p = {p.id: p for p in new.people}
    changes += [
        Change("person_added", {"name": p.name}) for i, p in new_p.items() if i not in old_p
    ]
    changes += [
        Change("person_removed", {"name": p.name}) for i, p in old_p.items() if i not in new_p
    ]
    old_i = {i.id: i for i in old.indicators}
    new_i = {i.id: i for i in new.indicators}
    for iid, ind in new_i.items():
        if iid not in old_i:
            changes.append(Change("indicator_added", {"name": ind.name}))
        elif old_i[iid] != ind:
            changes.append(Change("indicator_changed", {"name": ind.name}))
    changes += [
        Change("indicator_removed", {"name": x.name}) for i, x in old_i.items() if i not in new_i
    ]
    if old.policy != new.policy:
        changes.append(Change("policy_changed"))
    added = cancelled = 0
    if now is not None:
        hist = record or Record()
        until = now + dt.timedelta(days=90)
        before_keys = {d.key for d in upcoming(old, now, hist, until)}
        after_keys = {d.key for d in upcoming(new, now, hist, until)}
        added = len(after_keys - before_keys)
        cancelled = len(before_keys - after_keys)
    return ChangeReport(tuple(changes), added, cancelled)
