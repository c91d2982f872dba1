"""Applying a table: at start, on a file change, on SIGHUP and on /reload.

Each candidate is validated completely (the same checks as `duban check`). A valid one
is applied at once (the runtime's catalogue is replaced as a whole), stored as a new
catalogue version, and its entities are recorded: what disappeared is archived, what
came back is restored. An invalid one changes nothing: the bot keeps the last good table.
The bot never writes to the YAML.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core.catalogue import LoadResult, load_catalogue, parse_catalogue, render_problem
from bot.core.diff import ChangeReport, diff_catalogues
from bot.core.i18n import register, t
from bot.core.model import Catalogue
from storage.repo import Store

log = logging.getLogger(__name__)

register(
    "zh",
    {
        "reload.id_reused": "{file}：任务编号「{id}」曾属于另一项任务（{old_section}「{old_title}」），"
        "现在用于{new_section}「{new_title}」：这会把旧任务的记录挂到新任务上，已拒绝。"
        "请为新任务使用新编号。",
        "reload.failed": "❌ <b>分工表修改未生效</b>：{file} 有 {count} 个错误，机器人继续使用第 {version} 版。",
        "reload.unchanged": "分工表没有变化（第 {version} 版）。",
        "reload.more": "……另有 {count} 个问题，请运行 duban check 查看。",
    },
)
register(
    "en",
    {
        "reload.id_reused": "{file}: task id '{id}' belonged to another task ({old_section} "
        "'{old_title}'), now used for {new_section} '{new_title}': that would attach the old "
        "task's history to the new one, so it is refused. Give the new task a new id.",
        "reload.failed": "❌ <b>Table edit not applied</b>: {file} has {count} errors; the bot "
        "keeps running on version {version}.",
        "reload.unchanged": "The table did not change (version {version}).",
        "reload.more": "... {count} more problems: run duban check.",
    },
)


@dataclass
class Outcome:
    """What an attempt to apply a table did."""

    applied: bool
    version: int
    catalogue: Catalogue | None = None
    report: ChangeReport | None = None
    errors: list[str] = field(default_factory=list)
    unchanged: bool = False


def entities_of(catalogue: Catalogue) -> list[tuple[str, str, str, str | None, dict[str, Any]]]:
    """(kind, id, title, section, data) for every task, sub-item, bureau, contact, indicator."""
    out: list[tuple[str, str, str, str | None, dict[str, Any]]] = []
    for task in catalogue.tasks:
        out.append(
            (
                "task",
                task.id,
                task.title,
                task.section,
                {"number": task.number, "deadline": task.deadline.text, "lead": task.lead},
            )
        )
        out.extend(("subtask", s.id, s.text, task.id, {}) for s in task.subtasks)
    for b in catalogue.bureaus:
        out.append(("bureau", b.id, b.name, None, {"aliases": list(b.aliases)}))
        out.extend(("contact", c.id, c.name, b.id, {}) for c in b.contacts)
    out.extend(("indicator", i.id, i.name, None, {"unit": i.unit}) for i in catalogue.indicators)
    out.extend(("person", p.id, p.name, None, {}) for p in catalogue.people)
    return out


def id_reuse_errors(store: Store, catalogue: Catalogue, file: str, lang: str) -> list[str]:
    """Task ids reused for a clearly different task (another section and another title)."""
    known = {e.id: e for e in store.entities("task")}
    errors = []
    for task in catalogue.tasks:
        old = known.get(task.id)
        if old is None or old.section is None:
            continue
        if old.section != task.section and old.title != task.title:
            errors.append(
                t(
                    lang,
                    "reload.id_reused",
                    file=file,
                    id=task.id,
                    old_section=old.section,
                    old_title=old.title,
                    new_section=task.section,
                    new_title=task.title,
                )
            )
    return errors


class Reloader:
    """Validates and applies tables for one runtime."""

    def __init__(self, store: Store, config_path: Path) -> None:
        self.store = store
        self.config_path = config_path

    def current(self) -> tuple[int, Catalogue | None]:
        """The last applied version and its table (from the database)."""
        latest = self.store.latest_version()
        if latest is None:
            return 0, None
        result = parse_catalogue(latest[2], str(self.config_path))
        return latest[0], result.catalogue

    def attempt(
        self,
        current: Catalogue | None,
        version: int,
        now: Any,
        *,
        actor: str = "system",
        result: LoadResult | None = None,
    ) -> Outcome:
        """Validate the file and apply it if it is good and different."""
        result = result or load_catalogue(self.config_path)
        lang = (
            current.language
            if current
            else (result.catalogue.language if result.ok and result.catalogue else "zh")
        )
        if not result.ok or result.catalogue is None:
            errors = [render_problem(p, lang) for p in result.errors]
            log.warning("table %s rejected: %d errors", self.config_path, len(errors))
            return Outcome(False, version, errors=errors)
        new = result.catalogue
        latest = self.store.latest_version()
        if latest is not None and latest[1] == result.sha256 and current is not None:
            return Outcome(False, version, catalogue=current, unchanged=True)
        reuse = id_reuse_errors(self.store, new, str(self.config_path), lang)
        if reuse:
            return Outcome(False, version, errors=reuse)
        history = self.store.history()
        report = (
            diff_catalogues(current, new, now=now, history=history)
            if current is not None
            else ChangeReport(())
        )
        new_version = self.store.add_version(
            sha256=result.sha256,
            source=str(self.config_path),
            text=result.text,
            summary=report.summary(),
            at=now,
        )
        archived, restored = self.store.sync_entities(entities_of(new), new_version, now)
        self.store.audit(
            now,
            actor,
            "apply_table",
            {"version": new_version, "archived": archived, "restored": restored},
        )
        log.info("table version %d applied (%d changes)", new_version, len(report.changes))
        return Outcome(True, new_version, catalogue=new, report=report)

    def failure_text(self, outcome: Outcome, lang: str, limit: int = 15) -> str:
        """The errors for the admins, with file and line."""
        from bot.core.render import esc

        lines = [
            t(
                lang,
                "reload.failed",
                file=esc(self.config_path.name),
                count=len(outcome.errors),
                version=outcome.version,
            )
        ]
        lines += [esc(e) for e in outcome.errors[:limit]]
        if len(outcome.errors) > limit:
            lines.append(t(lang, "reload.more", count=len(outcome.errors) - limit))
        return "\n".join(lines)
