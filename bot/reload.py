"""Applying a table: at start, on a file change, on SIGHUP and on /reload.

Each candidate is validated completely (the same checks as `duban check`), off the event
loop. A valid one is applied (stored as a new catalogue version, its entities recorded: what
disappeared is archived, what came back is restored; bindings the new table no longer allows
are cut off), in one transaction on the writer thread. An invalid one changes nothing: the
bot keeps the last good table. An edit that removes a large share of the tasks (a third or
more) is held until an admin confirms it. The bot never writes to the YAML.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.core.catalogue import render_problem
from bot.core.diff import Change, ChangeReport, diff_catalogues
from bot.core.documents import ConfigResult, from_texts, load_config
from bot.core.gcpause import paused_gc
from bot.core.history import Record
from bot.core.i18n import t
from bot.core.model import Catalogue
from bot.core.render import esc
from bot.core.workflow import ExtensionState, item_deadline, stale_extensions
from bot.service.members import chats, drop_held, revoke_stale
from storage.repo import Store

log = logging.getLogger(__name__)

#: An edit that removes at least this share of the tasks waits for an admin's confirmation.
LARGE_REMOVAL = 1 / 3


@dataclass
class Outcome:
    """What an attempt to apply a table did."""

    applied: bool
    version: int
    catalogue: Catalogue | None = None
    report: ChangeReport | None = None
    errors: list[str] = field(default_factory=list)
    unchanged: bool = False
    held: bool = False  # a large removal, waiting for an admin's confirmation
    sha256: str = ""
    revoked: list[str] = field(default_factory=list)
    #: Files that are broken now and keep their last good version.
    broken: list[str] = field(default_factory=list)
    partial: bool = False  # other files of the config are good (and applied, if they changed)


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
    """Task ids reused for a clearly different task: another section and another title, or
    the id of a removed (archived) task brought back under another title (its history, a
    closure included, would become the new task's)."""
    known = {e.id: e for e in store.entities("task")}
    errors = []
    for task in catalogue.tasks:
        old = known.get(task.id)
        if old is None or old.section is None:
            continue
        moved = old.section != task.section
        revived = old.archived_at is not None
        if (moved or revived) and old.title != task.title:
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


def last_good(
    store: Store, config_path: Path, stored: tuple[dict[str, str], str | None] | None = None
) -> tuple[int, Catalogue | None]:
    """The last applied version and its table (from the database; `stored`: what
    `stored_config` already read)."""
    version = store.latest_version_id()
    if version is None:
        return 0, None
    texts, primary_file = stored if stored is not None else stored_config(store)
    with paused_gc():
        catalogue = from_texts(texts, primary_file, config_path.is_dir())
    return version, catalogue


def stored_config(store: Store) -> tuple[dict[str, str], str | None]:
    """What a reload needs from the database: the text of each file of the last applied
    version (a file broken now keeps it) and the primary document's file."""
    version = store.latest_version_id()
    texts = store.version_texts(version) if version is not None else {}
    return texts, store.get_meta("primary_file")


def validate(
    path: Path, texts: dict[str, str] | None = None, primary_file: str | None = None
) -> ConfigResult:
    """Read and validate the table file, or each file of the config directory (run it off
    the event loop: it can take a while); `texts` stand in for files broken now."""
    with paused_gc():  # a large table is hundreds of thousands of objects that all stay
        return load_config(path, texts, primary_file)


def removes_too_much(current: Catalogue | None, new: Catalogue) -> bool:
    """Whether an edit drops a large share (a third or more) of the tasks."""
    if current is None or len(current.tasks) < 3:
        return False
    gone = current.task_ids - new.task_ids
    return len(gone) >= LARGE_REMOVAL * len(current.tasks)


def apply(
    store: Store,
    result: ConfigResult,
    current: Catalogue | None,
    version: int,
    record: Record,
    now: dt.datetime,
    *,
    actor: str = "system",
    confirmed: bool = False,
) -> Outcome:
    """Apply a validated table if it is good, different and not a large removal (unless
    `confirmed`); one transaction on the writer thread."""
    lang = (
        current.language if current else (result.catalogue.language if result.catalogue else "zh")
    )
    errors = [render_problem(p, lang) for p in result.errors]
    broken = [f.name for f in result.broken]
    partial = bool(broken) and len(result.files) > len(broken)
    if errors:
        log.warning("table %s: %d errors in %s", result.file, len(errors), ", ".join(broken))
    if not result.ok or result.catalogue is None:
        return Outcome(False, version, errors=errors, sha256=result.sha256, broken=broken)
    new = result.catalogue
    with paused_gc(), store.transaction():
        latest = store.latest_version()
        if latest is not None and latest[1] == result.sha256 and current is not None:
            return Outcome(
                False, version, catalogue=current, unchanged=True, sha256=result.sha256,
                errors=errors, broken=broken, partial=partial,
            )  # fmt: skip
        reuse = id_reuse_errors(store, new, result.file, lang)
        if reuse:
            return Outcome(False, version, errors=reuse, sha256=result.sha256)
        report = (
            diff_catalogues(current, new, now=now, record=record)
            if current is not None
            else ChangeReport(())
        )
        if removes_too_much(current, new) and not confirmed:
            return Outcome(
                False, version, catalogue=new, report=report, held=True, sha256=result.sha256
            )
        documents = {d.file or result.primary_file: d.id for d in new.docs}
        new_version = store.add_version(
            sha256=result.sha256,
            source=result.file,
            text=result.text,
            summary=report.summary(),
            at=now,
            files={name: (documents.get(name, ""), text) for name, text in result.texts.items()},
        )
        if store.get_meta("primary_file") is None and result.primary_file:
            store.set_meta("primary_file", result.primary_file)
        report = close_stale_extensions(store, new, report, now, actor)
        archived, restored = store.sync_entities(entities_of(new), new_version, now)
        before = chats(current, store.bindings()) if current is not None else {}
        revoked = [b.member_id for b in revoke_stale(store, new, now)]
        after = chats(new, store.bindings())
        store.outbox_reroute(before, after)
        drop_held(store, before, after, now)
        store.audit(
            now, actor, "apply_table",
            {"version": new_version, "archived": archived, "restored": restored, "revoked": revoked},
        )  # fmt: skip
    log.info("table version %d applied (%d changes)", new_version, len(report.changes))
    return Outcome(
        True, new_version, new, report, errors, sha256=result.sha256, revoked=revoked,
        broken=broken, partial=partial,
    )  # fmt: skip


def close_stale_extensions(
    store: Store, new: Catalogue, report: ChangeReport, now: dt.datetime, actor: str
) -> ChangeReport:
    """The admin edited the deadline of an item with an approved extension (or removed the
    item): the edit wins, the extension is closed, and the change report says so."""
    closed = stale_extensions(new, store.extensions())
    changes = []
    for ext in closed:
        gone = ext.task_id not in new.task_ids
        task = None if gone else new.task(ext.task_id)
        sub = task.subtask(ext.subtask_id) if task and ext.subtask_id else None
        now_text = "" if task is None else item_deadline(task, sub).text
        note = t(new.language, "ext.closed_note", old=ext.old_text, new=now_text or "—")
        store.decide_extension(ext.id, ExtensionState.CLOSED, actor, now, note)
        changes.append(
            Change(
                "extension_closed",
                {
                    "number": task.label if task else ext.task_id,
                    "extended": ext.new_text,
                    "old": ext.old_text,
                    "new": now_text or "—",
                },
            )
        )
    if not changes:
        return report
    return replace(report, changes=(*report.changes, *changes))


def failure_text(outcome: Outcome, file: str, lang: str, limit: int = 15) -> str:
    """The errors for the admins, with file and line. When other files of the config were
    applied, says that the broken ones keep their last good version."""
    if outcome.partial and (outcome.applied or outcome.unchanged):
        lines = [t(lang, "reload.file_kept", files=esc("、".join(outcome.broken)),
                   count=len(outcome.errors))]  # fmt: skip
        lines += [esc(e) for e in outcome.errors[:limit]]
        if len(outcome.errors) > limit:
            lines.append(t(lang, "reload.more", count=len(outcome.errors) - limit))
        return "\n".join(lines)
    names = "、".join(outcome.broken) if outcome.broken else Path(file).name
    lines = [
        t(
            lang,
            "reload.failed",
            file=esc(names),
            count=len(outcome.errors),
            version=outcome.version,
        )
    ]
    lines += [esc(e) for e in outcome.errors[:limit]]
    if len(outcome.errors) > limit:
        lines.append(t(lang, "reload.more", count=len(outcome.errors) - limit))
    return "\n".join(lines)


def held_text(outcome: Outcome, lang: str) -> str:
    """A large removal, shown to the admins with the change report, waiting for them."""
    assert outcome.report is not None
    return t(lang, "reload.held") + "\n\n" + outcome.report.render(lang, None)
