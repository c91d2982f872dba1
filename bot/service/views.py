"""What coordinators and contacts read: the table at a glance, a task, a bureau, overdue
items, archived tasks, a bureau's open tasks, the contacts. Read-only: the current state
(`Record`, in memory) and a few indexed queries; nothing here reads the whole history."""

from __future__ import annotations

import datetime as dt

from bot.core.compose import fmt_value, latest_text, target_text
from bot.core.history import Record, StatusUpdate
from bot.core.i18n import colon, join, paren, semi
from bot.core.model import Task
from bot.core.ranking import BureauFigures, figures
from bot.core.render import deadline_line, document_counts, document_line, esc, task_card
from bot.core.status import (
    ItemStatus,
    Light,
    Reason,
    counts,
    indicator_status,
    is_overdue,
    reason_text,
    table_status,
    task_status,
)
from bot.core.workflow import Evidence, Extension
from bot.service.answers import open_tasks, status_name
from bot.service.base import Identity, World
from bot.service.leave import leave_lines
from storage.repo import Store

HISTORY_ROWS = 10


def _row(world: World, st: ItemStatus, task: Task) -> str:
    line = world.t(
        "status.row",
        icon=st.light.icon,
        number=task.label,
        title=esc(task.title),
        lead=esc(world.catalogue.bureau_name(task.lead)),
        deadline=esc(task.deadline.text),
    )
    if st.claim is not None:
        line += world.t("status.claim_pending")
    return line


def _indicator_lines(world: World, record: Record, document: str | None = None) -> list[str]:
    cat = world.catalogue
    primary = cat.document.id
    shown = [i for i in cat.indicators if document is None or (i.document or primary) == document]
    if not shown:
        return []
    lines = [world.t("status.indicators")]
    for ind in shown:
        ist = indicator_status(world.catalogue, ind, record, world.now)
        latest = (
            f"{fmt_value(ist.latest)} {esc(ind.unit)}"
            if ist.latest is not None
            else world.t("indicator.no_reading")
        )
        lines.append(
            world.t(
                "status.indicator_row",
                icon=ist.light.icon,
                name=esc(ind.name),
                latest=latest,
                target=target_text(ind, world.lang),
            )
        )
    return lines


def _delivery_lines(world: World, reader: Store) -> list[str]:
    lines = []
    for state, key in (("failed", "status.failed_sends"), ("unknown", "status.delivery_unknown")):
        rows = reader.outbox_rows(state)
        if rows:
            items = join(world.lang, (esc(r.key) for r in rows[:5]))
            lines.append("\n" + world.t(key, count=len(rows), items=items))
    return lines


def overview_lines(
    world: World, record: Record, reader: Store, document: str | None = None
) -> list[str]:
    """Counts by light, then tasks by section with light, lead and deadline, red first.
    With several documents and none chosen: each document's counts (drill into one with
    `document`, its id)."""
    cat = world.catalogue
    if cat.several and document is None:
        return documents_lines(world, record, reader)
    statuses = table_status(cat, record, world.now, world.calendar)
    doc = cat.document_of(document) if document is not None and cat.several else None
    if doc is not None:
        mine = {x.id for x in cat.tasks_in(doc.id)}
        statuses = [s for s in statuses if s.task_id in mine]
    c = counts(statuses)
    lines = (
        [] if doc is None else [world.t("doc.heading", label=esc(doc.label), title=esc(doc.title))]
    )
    lines.append(
        world.t(
            "status.header",
            now=world.time(world.now),
            total=len(statuses),
            red=c[Light.RED],
            yellow=c[Light.YELLOW],
            green=c[Light.GREEN],
            done=c[Light.DONE],
        )
    )
    by_task = {s.task_id: s for s in statuses}
    for section in cat.sections:
        tasks = [x for x in cat.tasks if x.section == section.id and x.id in by_task]
        if not tasks:
            continue
        tasks.sort(key=lambda x: (by_task[x.id].light.rank, x.order))
        lines.append(world.t("status.section", number=section.number, title=esc(section.title)))
        lines.extend(_row(world, by_task[x.id], x) for x in tasks)
    lines += _indicator_lines(world, record, doc.id if doc is not None else None)
    lines += _delivery_lines(world, reader)
    lines.append(world.t("status.hint") + world.t("status.drill"))
    return lines


def documents_lines(world: World, record: Record, reader: Store) -> list[str]:
    """/status with several documents: each document's counts by light, then how to open one."""
    cat = world.catalogue
    statuses = table_status(cat, record, world.now, world.calendar)
    lines = [world.t("doc.overview", count=len(cat.docs), now=world.time(world.now))]
    lines += document_counts(cat, statuses, world.lang)
    lines += _delivery_lines(world, reader)
    lines.append("\n" + world.t("doc.pick", example=esc(cat.docs[-1].label)))
    return lines


def _history_row(world: World, u: StatusUpdate) -> str:
    progress = (
        colon(world.lang) + world.t("status.progress", progress=u.progress)
        if u.progress is not None
        else ""
    )
    note = colon(world.lang) + esc(u.note[:200]) if u.note else ""
    if u.corrects:
        note += world.t("status.correction")
    return world.t(
        "status.history_row",
        time=world.time(u.at),
        who=esc(world.catalogue.member_name(u.by)),
        status=status_name(world, u.kind),
        progress=progress,
        note=note,
    )


def task_lines(world: World, record: Record, reader: Store, task: Task) -> list[str]:
    """A task's card, reasons, sub-items (each with its own light) and recent history."""
    cat, lang = world.catalogue, world.lang
    st = task_status(cat, task, record, world.now, world.calendar)
    lines = task_card(cat, task, None, world.now, lang, st.light.value)
    if st.claim is not None:
        lines[-1] += world.t("status.claim_pending")
    if st.progress is not None:
        lines.append(world.t("status.progress", progress=st.progress))
    if st.reasons:
        lines.append(
            world.t(
                "status.reasons",
                reasons=semi(lang).join(esc(reason_text(lang, r)) for r in st.reasons),
            )
        )
    if task.subtasks:
        lines.append(world.t("status.subtasks"))
        for sub, sst in zip(task.subtasks, st.subtasks, strict=False):
            deadline = deadline_line(sst.deadline, world.now, cat, lang)
            extra = world.t("answer.sub_follows_task") if sst.follows_task else ""
            if sst.claim is not None:
                extra = world.t("update.done_claimed")
            detail = deadline + (semi(lang) + extra if extra else "")
            lines.append(f"{sst.light.icon} {esc(sub.text)}{paren(lang, detail)}")
    ids = [i.id for i in cat.indicators if i.task == task.id]
    for ind_id in ids:
        ind = cat.indicator(ind_id)
        lines.append(f"📈 {esc(ind.name)}{colon(lang)}{latest_text(cat, record, ind, lang)}")
    lines += extension_lines(world, reader.extensions(task_id=task.id))
    lines += evidence_lines(world, task, reader.evidence(task.id))
    lines.append(world.t("status.recent"))
    updates = reader.updates(task.id, last=HISTORY_ROWS)
    if not updates:
        lines.append(world.t("status.no_history"))
    lines.extend(_history_row(world, u) for u in reversed(updates))
    return lines


def section_lines(world: World, record: Record, section_id: str) -> list[str]:
    """A section's tasks with lights, red first."""
    cat = world.catalogue
    section = next(s for s in cat.sections if s.id == section_id)
    tasks = [x for x in cat.tasks if x.section == section_id]
    sts = {x.id: task_status(cat, x, record, world.now, world.calendar) for x in tasks}
    tasks.sort(key=lambda x: (sts[x.id].light.rank, x.order))
    lines = [
        world.t(
            "status.section_header",
            number=esc(section.number),
            title=esc(section.title),
            count=len(tasks),
        )
    ]
    lines += [_row(world, sts[x.id], x) for x in tasks]
    return lines


def extension_lines(world: World, extensions: list[Extension]) -> list[str]:
    """A task's extension requests: waiting, approved, refused, closed (newest last)."""
    if not extensions:
        return []
    cat = world.catalogue
    lines = [world.t("ext.section")]
    for e in extensions:
        if e.task_id in cat.task_ids and e.subtask_id:
            sub = cat.task(e.task_id).subtask(e.subtask_id)
            item = esc(sub.text[:30]) if sub else esc(e.subtask_id)
        else:
            item = world.t("ext.task_item", number=_number(world, e.task_id))
        who = esc(cat.member_name(e.decided_by or e.requested_by))
        when = world.time(e.decided_at or e.requested_at)
        lines.append(
            world.t(
                f"ext.row_{e.state.value}",
                item=item,
                new=esc(e.new_text),
                old=esc(e.old_text),
                who=who,
                time=when,
                reason=esc(e.reason[:200]),
                note=esc(e.note[:200]),
            )
        )
    return lines


def evidence_lines(world: World, task: Task, evidence: list[Evidence]) -> list[str]:
    """A task's evidence (佐证材料), oldest first."""
    from bot.service.evidence import size_text

    if not evidence:
        return []
    lines = [world.t("evidence.section")]
    for e in evidence:
        sub = task.subtask(e.subtask_id) if e.subtask_id else None
        item = f"{esc(sub.text[:20])}{colon(world.lang)}" if sub else ""
        lines.append(
            world.t(
                "evidence.row", item=item, name=esc(e.file_name), size=size_text(e.size),
                who=esc(world.catalogue.member_name(e.by)), time=world.time(e.at),
                sha=e.sha256[:12],
            )
        )  # fmt: skip
    return lines


def _number(world: World, task_id: str) -> str:
    cat = world.catalogue
    return cat.task(task_id).label if task_id in cat.task_ids else task_id


def bureau_lines(
    world: World, record: Record, bureau_id: str, reader: Store | None = None
) -> list[str]:
    """A bureau's tasks with lights, red first."""
    cat = world.catalogue
    tasks = list(cat.tasks_of(bureau_id))
    sts = {x.id: task_status(cat, x, record, world.now, world.calendar) for x in tasks}
    tasks.sort(key=lambda x: (sts[x.id].light.rank, x.order))
    lines = [
        world.t("status.bureau_header", bureau=esc(cat.bureau_name(bureau_id)), count=len(tasks))
    ]
    for x in tasks:
        role = world.t("word.lead") if x.lead == bureau_id else world.t("word.cooperating")
        lines.append(_row(world, sts[x.id], x) + paren(world.lang, role))
    away = leave_lines(world, cat.bureau(bureau_id).contacts)
    if away:
        lines += [world.t("leave.section"), *away]
    if reader is not None:
        lines += answer_lines(world, record, reader, bureau_id)
    return lines


#: The period of the answer figures in /status BUREAU.
RANKING_DAYS = 30


def answer_lines(world: World, record: Record, reader: Store, bureau_id: str) -> list[str]:
    """回复情况: the bureau's answer figures over the last 30 days and its rank."""
    start = world.now - dt.timedelta(days=RANKING_DAYS)
    statuses = table_status(world.catalogue, record, world.now, world.calendar)
    ranked = figures(
        world.catalogue, reader.history_since(start), start, world.now, world.calendar, statuses
    )
    for n, f in enumerate(ranked, 1):
        if f.bureau_id == bureau_id:
            return [world.t("rank.section", days=RANKING_DAYS), figures_text(world, f),
                    world.t("rank.place", rank=n, total=len(ranked))]  # fmt: skip
    return []


def figures_text(world: World, f: BureauFigures) -> str:
    """发出提醒 12 条，已回复 10 条（83%）…"""
    return world.t(
        "rank.figures", sent=f.sent, answered=f.answered,
        rate=f"{f.rate:.0%}" if f.rate is not None else "—", within=f.within_day,
        median=f"{f.median_hours:.1f}" if f.median_hours is not None else "—",
        followups=f.followups, escalations=f.escalations, overdue=f.overdue,
    )  # fmt: skip


def overdue_lines(world: World, record: Record) -> list[str]:
    """逾期: tasks past a fixed deadline (their own or a sub-item's) and not closed; then the
    tasks that are red for another reason, grouped under that reason (e.g. 报告遇到困难)."""
    cat, lang = world.catalogue, world.lang
    statuses = table_status(cat, record, world.now, world.calendar)
    overdue = [s for s in statuses if is_overdue(s)]
    lines = (
        [world.t("overdue.header", count=len(overdue))] if overdue else [world.t("overdue.none")]
    )
    for st in overdue:
        why = semi(lang).join(esc(reason_text(lang, r)) for r in st.reasons)
        lines.append(_row(world, st, cat.task(st.task_id)) + (f"\n　{why}" if why else ""))
    groups: dict[str, list[ItemStatus]] = {}
    for st in statuses:
        if st.light is Light.RED and not is_overdue(st):
            reason = next((r for r in st.reasons if _red(r)), st.reasons[0] if st.reasons else None)
            groups.setdefault(reason_text(lang, reason) if reason else "", []).append(st)
    for why, sts in groups.items():
        lines.append(world.t("overdue.reason_header", reason=esc(why), count=len(sts)))
        lines.extend(_row(world, st, cat.task(st.task_id)) for st in sts)
    return lines


def _red(reason: Reason) -> bool:
    """A reason that makes a light red (blocked, an indicator off target...)."""
    inner = reason.params.get("reason") if reason.code == "sub" else reason
    return isinstance(inner, Reason) and inner.code in (
        "blocked",
        "overdue",
        "off_target",
        "no_reading",
    )


def archived_lines(world: World, reader: Store) -> list[str]:
    """Tasks removed from the YAML: archived with their history."""
    rows = reader.entities("task", archived=True)
    if not rows:
        return [world.t("status.archived_none")]
    lines = [world.t("status.archived_header", count=len(rows))]
    for e in rows:
        n = len(reader.updates(e.id))
        when = world.time(e.archived_at) if e.archived_at else ""
        lines.append(
            f"🗄 {esc(e.id)} {esc(e.title)}"
            + paren(world.lang, world.t("status.archived_row", when=when, count=n))
        )
    return lines


def mytasks_lines(world: World, record: Record, who: Identity) -> list[str]:
    """The bureau's open tasks with lights and next deadlines, red first."""
    cat, lang = world.catalogue, world.lang
    tasks = open_tasks(cat, record, who)
    bureau = cat.bureau_name(who.bureau_id)
    if not tasks:
        return [world.t("mytasks.none", bureau=esc(bureau))]
    statuses = [(task_status(cat, x, record, world.now, world.calendar), x) for x in tasks]
    named = cat.spans_documents(who.bureau_id)  # grouped by document, each named
    statuses.sort(key=lambda p: (p[1].order[:2] if named else (), p[0].light.rank, p[1].order))
    lines = [world.t("mytasks.header", bureau=esc(bureau), count=len(tasks))]
    shown = None
    for st, task in statuses:
        if named and task.document != shown:
            shown = task.document
            lines.append("\n" + document_line(cat, task, lang))
        role = world.t("word.lead") if task.lead == who.bureau_id else world.t("word.cooperating")
        lines.append(
            f"{st.light.icon} {task.label}. {esc(task.title)}{paren(lang, role)}\n"
            f"　{deadline_line(task.deadline, world.now, cat, lang)}"
        )
    lines.append("\n" + world.t("mytasks.hint"))
    return lines


def contacts_lines(world: World, reader: Store) -> list[str]:
    """Every contact and person: started the bot (bound) or not, reachable or not."""
    cat, lang = world.catalogue, world.lang
    bound = {b.member_id for b in reader.bindings()}
    unreachable = reader.unreachable()
    members: list[tuple[str, str, str, int | None, bool]] = [
        (c.id, c.name, cat.bureau_name(c.bureau_id), c.telegram_id, c.placeholder)
        for c in cat.contacts()
    ]
    members += [
        (p.id, p.name, join(lang, (world.t(f"role.{r.value}") for r in sorted(p.roles))),
         p.telegram_id, p.placeholder)
        for p in cat.people
    ]  # fmt: skip
    rows = []
    for mid, name, where, tg, placeholder in members:
        extra = [world.t("contacts.bound" if mid in bound else "contacts.unbound")]
        if tg and mid not in bound:
            extra.append(f"id {tg}")
        if placeholder:
            extra.append(world.t("contacts.placeholder"))
        if mid in unreachable:
            extra.append(world.t("contacts.unreachable"))
        rows.append(
            world.t(
                "contacts.row",
                icon="🚫" if mid in unreachable else "✅" if mid in bound else "⬜",
                name=f"{esc(name)} <code>{esc(mid)}</code>",
                where=esc(where),
                extra=join(lang, extra),
            )
        )
    n_bound = sum(1 for m in members if m[0] in bound)
    away = leave_lines(world, cat.contacts())
    return [
        world.t("contacts.header", bound=n_bound, total=len(members)),
        *rows,
        *([world.t("leave.section"), *away] if away else []),
        world.t("contacts.invite_hint"),
    ]
