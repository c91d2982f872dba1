"""The dashboard's HTML, rendered on the server: the overview (the table in the attachment's
layout, counts, filters), a task's page (card, sub-items, history, indicator charts), the
indicators, the bureaus, and the pages that say no.

Every piece of table or user text is escaped here. Links are relative, so the pages work
both at /app/ and behind a reverse proxy under another path.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from string import Template

from bot.core.compose import fmt_value, target_text
from bot.core.history import Reading, Record, StatusUpdate, UpdateKind
from bot.core.i18n import colon, join, paren, semi
from bot.core.model import Deadline, Document, Indicator, Section, Task
from bot.core.render import shown
from bot.core.status import ItemStatus, Light, indicator_status, reason_text
from bot.service.base import World
from bot.web import chart
from bot.web.model import (
    TASK_LIGHTS,
    BureauFigures,
    DocumentFigures,
    Event,
    Filters,
    Groups,
    Overview,
    TaskRow,
)


def e(text: object) -> str:
    """Escape text for HTML (attributes included), without bidirectional controls."""
    return html.escape(shown(str(text)), quote=True)


@dataclass(frozen=True)
class Page:
    """A page to send: its title, body and HTTP status; `root` leads back to /app/."""

    title: str
    body: str
    name: str
    status: int = 200
    root: str = "./"


def _template() -> Template:
    text = resources.files("bot.web").joinpath("templates/page.html").read_text("utf-8")
    return Template(text)


def document(page: Page, lang: str, who: str = "", nav: bool = True) -> str:
    """The whole HTML document around a page's body."""
    links = ""
    if nav:
        items = [
            ("", "web.nav.overview"),
            ("indicators", "web.nav.indicators"),
            ("bureaus", "web.nav.bureaus"),
        ]
        links = "".join(
            f'<a href="{page.root}{href}" data-nav="{href or "overview"}">{e(_t(lang, key))}</a>'
            for href, key in items
        )
    return _template().substitute(
        lang="zh-CN" if lang == "zh" else "en",
        title=e(page.title),
        root=page.root,
        page=e(page.name),
        status=page.status,
        brand=e(_t(lang, "web.title")),
        nav=links,
        who=who,
        body=page.body,
    )


def _t(lang: str, key: str, **params: object) -> str:
    from bot.core.i18n import t

    return t(lang, key, **params)


def light(lang: str, value: Light) -> str:
    """The coloured dot (drawn by CSS: no emoji font needed) with its name as a tooltip."""
    name = _t(lang, "web.light.none") if value is Light.NONE else _t(lang, f"light.{value.value}")
    return (
        f'<span class="light light-{value.value}" data-light="{value.value}" title="{e(name)}" '
        f'role="img" aria-label="{e(name)}"></span>'
    )


def days_text(world: World, status: ItemStatus) -> str:
    """还有 N 天 / 逾期 N 天 / 今天到期 / 持续推进 / 已办结."""
    if status.light is Light.DONE:
        return world.t("light.done")
    left = status.days_left
    if left is None:
        return world.t("web.ongoing")
    if left > 0:
        return world.t("web.days_left", days=left)
    if left == 0:
        return world.t("web.due_today")
    if status.deadline.is_ongoing:
        return world.t("web.milestone_passed", days=-left)
    return world.t("web.days_overdue", days=-left)


def deadline_html(deadline: Deadline) -> str:
    """The deadline as worded, and the date it means."""
    due = f'<small class="due">{deadline.due.isoformat()}</small>' if deadline.due else ""
    return f'<span class="worded">{e(deadline.text)}</span>{due}'


def bureaus_html(world: World, ids: tuple[str, ...], open_: bool = False) -> str:
    """Bureau names joined the language's way (等有关部门 when the table says so)."""
    if not ids:
        return f'<span class="muted">{e(world.t("word.none"))}</span>'
    text = join(world.lang, (world.catalogue.bureau_name(b) for b in ids))
    if open_:
        text += ("" if world.lang == "zh" else " ") + world.t("tasks.others_concerned")
    return e(text)


def kind_name(world: World, kind: UpdateKind) -> str:
    """正常推进 / 存在风险 / … / 已办结."""
    return world.t("update.confirmed" if kind is UpdateKind.CLOSED else f"update.{kind.value}")


def answer_html(world: World, u: StatusUpdate | None) -> str:
    """Who answered, when, what, with the note."""
    if u is None:
        return f'<span class="muted">{e(world.t("web.no_answer"))}</span>'
    note = f'<span class="note">{e(u.note[:300])}</span>' if u.note else ""
    return (
        f'<span class="who">{e(world.catalogue.member_name(u.by))}</span> '
        f'<time datetime="{u.at.isoformat()}">{e(world.time(u.at))}</time> '
        f'<span class="kind">{e(kind_name(world, u.kind))}</span>{note}'
    )


def progress_html(progress: int | None) -> str:
    """A bar with the percentage, or a dash."""
    if progress is None:
        return '<span class="muted">—</span>'
    value = max(0, min(100, progress))
    return f'<progress max="100" value="{value}">{value}%</progress><small>{value}%</small>'


def reasons_html(world: World, status: ItemStatus) -> str:
    """Why the light is what it is."""
    if not status.reasons:
        return ""
    text = semi(world.lang).join(reason_text(world.lang, r) for r in status.reasons)
    return f'<div class="reasons">{e(text)}</div>'


def indicator_cards(
    world: World, record: Record, indicators: list[Indicator], readings: dict[str, list[Reading]]
) -> str:
    """Each indicator: light, latest reading, target, due date, owner and its chart."""
    cat, lang = world.catalogue, world.lang
    out = []
    for ind in indicators:
        st = indicator_status(cat, ind, record, world.now)
        latest = (
            f"{fmt_value(st.latest)} {e(ind.unit)}"
            if st.latest is not None
            else e(world.t("indicator.no_reading"))
        )
        when = paren(lang, e(world.time(st.latest_at))) if st.latest_at else ""
        rows = readings.get(ind.id, [])
        facts = [
            (world.t("web.ind.latest"), latest + when),
            (world.t("web.ind.target"), target_text(ind, lang)),
            (world.t("web.ind.due"), deadline_html(ind.due)),
            (world.t("web.ind.owner"), e(cat.bureau_name(ind.owner))),
            (world.t("web.ind.count"), e(world.t("web.ind.readings", count=len(rows)))),
        ]
        dl = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in facts)
        out.append(
            f'<article class="indicator" data-indicator="{e(ind.id)}" '
            f'data-light="{st.light.value}"><h3>{light(lang, st.light)} {e(ind.name)}</h3>'
            f"{reasons_html_ind(world, st.reasons)}<dl>{dl}</dl>"
            f"{chart.svg(ind, rows, lang, cat.tz)}</article>"
        )
    return "".join(out)


def reasons_html_ind(world: World, reasons: tuple[object, ...]) -> str:
    """An indicator's reasons (off target, behind pace, no reading)."""
    from bot.core.status import Reason

    texts = [reason_text(world.lang, r) for r in reasons if isinstance(r, Reason)]
    return f'<div class="reasons">{e(semi(world.lang).join(texts))}</div>' if texts else ""


# -- the overview


def overview_page(world: World, ov: Overview) -> Page:
    """Counts, filters and the table by section (by document, then section, when there are
    several documents and none is picked)."""
    body = [
        _heading(world, ov),
        _documents(world, ov),
        _counts(world, ov),
        _filters(world, ov.filters),
        f'<p class="shown" data-shown="{ov.shown}">'
        f"{e(world.t('web.shown', shown=ov.shown, total=ov.total))}</p>",
    ]
    if not ov.groups:
        body.append(f'<p class="empty">{e(world.t("web.none_match"))}</p>')
    body.append(_columns(world))
    if ov.by_document:
        for doc, groups in ov.by_document:
            body.append(
                f'<section class="docgroup" data-doc="{e(doc.id)}">'
                f'<div class="doc-head"><h2>{_doc_name(doc)}</h2>'
                f"<p>{e(doc.issuer)} {e(doc.number)}</p></div>"
                f"{_sections(world, groups, 3)}</section>"
            )
    else:
        body.append(_sections(world, ov.groups, 2))
    width = number_width(world.catalogue.tasks)
    if width:  # labels like 节水-12: the number column as wide as the longest
        body = [f'<div class="table" style="--num: {width}em">', *body, "</div>"]
    return Page(world.t("web.title"), "\n".join(body), "overview")


def number_width(tasks: Sequence[Task]) -> float:
    """The width (em) the number column needs for the longest label of another document
    (`节水-12`), with its light; 0 when the default (4.2em, room for `99999`) holds."""
    labels = [t.label for t in tasks if t.prefix]
    longest = max((sum(1.0 if ord(c) > 0x2E7F else 0.6 for c in x) for x in labels), default=0)
    needed = round(longest + 1.6, 1)
    return needed if needed > 4.2 else 0


def _sections(world: World, groups: Groups, level: int) -> str:
    return "".join(
        f'<section class="group" data-section="{e(section.id)}">'
        f"<h{level}>{_section_name(world, section)}</h{level}>"
        f"{''.join(task_article(world, r) for r in rows)}</section>"
        for section, rows in groups
    )


def _section_name(world: World, section: Section) -> str:
    """一、优化国土空间开发保护格局 (English: the number, a space, the title)."""
    return f"{e(section.number)}{'、' if world.lang == 'zh' else ' '}{e(section.title)}"


def _doc_name(doc: Document) -> str:
    """A document's short name (when it has one) and title."""
    short = f'<b class="doc-short">{e(doc.short)}</b> ' if doc.short else ""
    return f"{short}{e(doc.title)}"


def _doc_choice(doc: Document, limit: int = 36) -> str:
    """A document as a choice of a list: `节水｜title`, cut short."""
    text = f"{doc.short}｜{doc.title}" if doc.short else doc.title
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _heading(world: World, ov: Overview) -> str:
    cat = world.catalogue
    as_of = e(world.t("web.as_of", now=world.time(world.now)))
    if cat.several and not ov.filters.doc:
        return (
            f'<div class="doc"><h1>{e(world.t("web.docs.title", count=len(cat.docs)))}</h1>'
            f"<p>{as_of}</p></div>"
        )
    doc = cat.document_of(ov.filters.doc) if ov.filters.doc else cat.document
    return f'<div class="doc"><h1>{e(doc.title)}</h1><p>{e(doc.issuer)} {e(doc.number)} · {as_of}</p></div>'


def _documents(world: World, ov: Overview) -> str:
    """Several documents: each one's tasks by light, a link that narrows the page to it."""
    if not ov.documents:
        return ""
    return (
        f'<nav class="docs" aria-label="{e(world.t("web.filter.doc"))}">'
        f"{''.join(_document_card(world, ov.filters, d) for d in ov.documents)}</nav>"
    )


def _document_card(world: World, f: Filters, fig: DocumentFigures) -> str:
    doc = fig.document
    cat = world.catalogue
    sections = {s.id for s in cat.sections if cat.document_of(s).id == doc.id}
    href = f.query(doc=doc.id, section=f.section if f.section in sections else "")
    lights = "".join(
        f'<span class="n" data-count="{x.value}" title="{e(world.t(f"light.{x.value}"))}">'
        f"{light(world.lang, x)} {fig.counts.get(x, 0)}</span>"
        for x in TASK_LIGHTS
    )
    on = " on" if f.doc == doc.id else ""
    return (
        f'<a class="doc-card{on}" href="./{e(href)}" data-doc="{e(doc.id)}">'
        f'<span class="doc-name">{_doc_name(doc)} <small>{e(doc.number)}</small></span>'
        f'<span class="doc-counts">{lights}'
        f'<span class="n total">{e(world.t("web.docs.tasks", total=fig.total))}</span></span></a>'
    )


def _counts(world: World, ov: Overview) -> str:
    f = ov.filters
    chips = [
        f'<a class="chip all" href="./{e(f.query(light=""))}">'
        f"{e(world.t('web.total', total=ov.total))}</a>"
    ]
    for value in TASK_LIGHTS:
        on = " on" if f.light == value.value else ""
        chips.append(
            f'<a class="chip{on}" href="./{e(f.query(light=value.value))}" '
            f'data-count="{value.value}">{light(world.lang, value)} '
            f"{e(world.t(f'light.{value.value}'))} <b>{ov.counts.get(value, 0)}</b></a>"
        )
    chips.append(
        f'<a class="chip" href="./{e(f.query(overdue=True))}" data-count="overdue">'
        f"{e(world.t('web.filter.overdue'))} <b>{ov.overdue}</b></a>"
    )
    return f'<nav class="counts">{"".join(chips)}</nav>'


def _options(choices: list[tuple[str, str]], selected: str) -> str:
    return "".join(
        f'<option value="{e(v)}"{" selected" if v == selected else ""}>{e(label)}</option>'
        for v, label in choices
    )


def _filters(world: World, f: Filters) -> str:
    cat = world.catalogue
    bureaus = [("", world.t("web.filter.all_bureaus"))] + [(b.id, b.name) for b in cat.bureaus]
    lights = [("", world.t("web.filter.all_lights"))]
    lights += [(x.value, world.t(f"light.{x.value}")) for x in TASK_LIGHTS]
    check = ' checked="checked"'
    return (
        '<form class="filters" method="get" action="./">'
        f'<input type="search" name="q" value="{e(f.q)}" '
        f'placeholder="{e(world.t("web.filter.q"))}" aria-label="{e(world.t("web.filter.q"))}">'
        f"{_doc_select(world, f)}"
        f'<select name="bureau" aria-label="{e(world.t("web.filter.bureau"))}">'
        f"{_options(bureaus, f.bureau)}</select>"
        f'<select name="light" aria-label="{e(world.t("web.filter.light"))}">'
        f"{_options(lights, f.light)}</select>"
        f'<select name="section" aria-label="{e(world.t("web.filter.section"))}">'
        f"{_section_options(world, f)}</select>"
        f'<label><input type="checkbox" name="overdue" value="1"{check if f.overdue else ""}>'
        f"{e(world.t('web.filter.overdue'))}</label>"
        f'<label><input type="checkbox" name="sort" value="red"{check if f.red_first else ""}>'
        f"{e(world.t('web.filter.red_first'))}</label>"
        f'<button type="submit">{e(world.t("web.filter.apply"))}</button>'
        f'<a class="clear" href="./">{e(world.t("web.filter.clear"))}</a></form>'
    )


def _doc_select(world: World, f: Filters) -> str:
    """The 文件 filter (several documents only)."""
    cat = world.catalogue
    if not cat.several:
        return ""
    docs = [("", world.t("web.filter.all_docs"))] + [(d.id, _doc_choice(d)) for d in cat.docs]
    return (
        f'<select name="doc" aria-label="{e(world.t("web.filter.doc"))}">'
        f"{_options(docs, f.doc)}</select>"
    )


def _section_options(world: World, f: Filters) -> str:
    """The sections: of the document picked; with several documents and none picked, under
    each document's name."""
    cat = world.catalogue
    sep = "、" if world.lang == "zh" else " "
    first = _options([("", world.t("web.filter.all_sections"))], f.section)

    def choices(sections: list[Section]) -> str:
        return _options([(s.id, f"{s.number}{sep}{s.title}") for s in sections], f.section)

    if not cat.several:
        return first + choices(list(cat.sections))
    if f.doc:
        return first + choices([s for s in cat.sections if cat.document_of(s).id == f.doc])
    return first + "".join(
        f'<optgroup label="{e(d.short or _doc_choice(d, 20))}">'
        f"{choices([s for s in cat.sections if cat.document_of(s).id == d.id])}</optgroup>"
        for d in cat.docs
    )


def _columns(world: World) -> str:
    keys = ("number", "task", "lead", "cooperating", "deadline", "progress", "last", "days")
    cells = "".join(f"<span>{e(world.t(f'web.col.{k}'))}</span>" for k in keys)
    return f'<div class="cols" aria-hidden="true">{cells}</div>'


def task_article(world: World, row: TaskRow, root: str = "./") -> str:
    """One task in the table's layout, its sub-items folded under it."""
    task, st = row.task, row.status
    claim = f'<span class="claim">{e(world.t("web.claim_pending"))}</span>' if st.claim else ""
    subs = ""
    if row.subs:
        items = "".join(
            f'<li data-light="{s.status.light.value}">{light(world.lang, s.status.light)} '
            f'<span class="sub-text">{e(s.sub.text)}</span> '
            f'<small class="sub-meta">{bureaus_html(world, (s.lead,))}'
            f"{' · ' + deadline_html(s.status.deadline) if s.sub.deadline else ''} · "
            f"{e(days_text(world, s.status))}</small></li>"
            for s in row.subs
        )
        subs = (
            f'<details class="subs"><summary>{e(world.t("web.subtasks", count=len(row.subs)))}'
            f"</summary><ol>{items}</ol></details>"
        )
    overdue = ' data-overdue="1"' if row.overdue else ""
    return (
        f'<article class="task" data-task="{e(task.id)}" data-number="{e(task.label)}" '
        f'data-light="{st.light.value}"{overdue}><div class="cells">'
        f'<span class="c-number">{light(world.lang, st.light)} {e(task.label)}</span>'
        f'<span class="c-task"><a href="{root}task/{e(task.id)}">{e(task.title)}</a>{claim}'
        f"{reasons_html(world, st)}</span>"
        f'<span class="c-lead" data-label="{e(world.t("web.col.lead"))}">'
        f"{bureaus_html(world, (task.lead,))}</span>"
        f'<span class="c-coop" data-label="{e(world.t("web.col.cooperating"))}">'
        f"{bureaus_html(world, task.cooperating, task.cooperating_open)}</span>"
        f'<span class="c-deadline" data-label="{e(world.t("web.col.deadline"))}">'
        f"{deadline_html(task.deadline)}</span>"
        f'<span class="c-progress" data-label="{e(world.t("web.col.progress"))}">'
        f"{progress_html(st.progress)}</span>"
        f'<span class="c-last" data-label="{e(world.t("web.col.last"))}">'
        f"{answer_html(world, row.last)}</span>"
        f'<span class="c-days days-{st.light.value}">{e(days_text(world, st))}</span>'
        f"</div>{subs}</article>"
    )


# -- a task


def task_page(
    world: World,
    record: Record,
    row: TaskRow,
    events: list[Event],
    indicators: list[Indicator],
    readings: dict[str, list[Reading]],
) -> Page:
    """A task's card, sub-items, history and indicators."""
    task, cat = row.task, world.catalogue
    section = cat.section(task.section)
    parts = [f'<p class="back"><a href="../">← {e(world.t("web.task.back"))}</a></p>']
    if cat.several:
        doc = cat.document_of(task)
        parts.append(
            f'<p class="doc-of" data-doc="{e(doc.id)}"><a href="../?doc={e(doc.id)}">'
            f'{_doc_name(doc)}</a> <span class="doc-number">{e(doc.number)}</span></p>'
        )
    parts += [
        f'<p class="section">{_section_name(world, section)}</p>',
        f'<h1 data-task="{e(task.id)}" data-light="{row.status.light.value}">'
        f"{light(world.lang, row.status.light)} "
        f"{e(world.t('render.task_heading', number=task.label, title=task.title))}</h1>",
        task_article(world, row, root="../"),
        _description(world, task),
        f"<h2>{e(world.t('web.task.history'))}</h2>",
        history_html(world, events),
    ]
    if indicators:
        parts.append(f"<h2>{e(world.t('web.task.indicators'))}</h2>")
        parts.append(
            f'<div class="indicators">{indicator_cards(world, record, indicators, readings)}</div>'
        )
    title = world.t("render.task_heading", number=task.label, title=task.title)
    return Page(title, "\n".join(parts), "task", root="../")


def _description(world: World, task: Task) -> str:
    out = ""
    if task.description:
        out += f'<p class="description">{e(task.description)}</p>'
    if task.source:
        out += f'<p class="source muted">{e(world.t("web.task.source"))}{colon(world.lang)}{e(task.source)}</p>'
    return out


def history_html(world: World, events: list[Event]) -> str:
    """Every answer, decision and reading of the task, newest first."""
    if not events:
        return f'<p class="muted" data-history="0">{e(world.t("web.task.no_history"))}</p>'
    rows = []
    for ev in events:
        rows.append(
            f'<tr class="event"><td><time datetime="{ev.at.isoformat()}">'
            f"{e(world.time(ev.at))}</time></td>"
            f"<td>{e(world.catalogue.member_name(ev.by))}</td><td>{_event_text(world, ev)}</td></tr>"
        )
    head = "".join(
        f"<th>{e(world.t(k))}</th>" for k in ("web.col.when", "web.col.who", "web.col.what")
    )
    return (
        f'<table class="history" data-history="{len(events)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _event_text(world: World, ev: Event) -> str:
    cat = world.catalogue
    if ev.reading is not None:
        r = ev.reading
        name = cat.indicator(r.indicator_id).name if r.indicator_id in cat.indicator_ids else ""
        unit = cat.indicator(r.indicator_id).unit if name else ""
        value = f"{fmt_value(r.value)} {unit}" if r.value is not None else world.t("web.no_value")
        text = e(world.t("web.event.reading", name=name or r.indicator_id, value=value))
        return text + (f'<span class="note">{e(r.note)}</span>' if r.note else "")
    u = ev.update
    assert u is not None
    what = f'<span class="kind kind-{u.kind.value}">{e(kind_name(world, u.kind))}</span>'
    if u.subtask_id:
        task = cat.task(u.task_id) if u.task_id in cat.task_ids else None
        sub = task.subtask(u.subtask_id) if task else None
        what += f' <small class="muted">{e(sub.text[:24] if sub else u.subtask_id)}</small>'
    if u.progress is not None:
        what += f" <b>{u.progress}%</b>"
    if u.corrects:
        what += f' <small class="muted">{e(world.t("web.correction", id=u.corrects))}</small>'
    if u.note:
        what += f'<span class="note">{e(u.note)}</span>'
    return what


# -- indicators and bureaus


def indicators_page(world: World, record: Record, readings: dict[str, list[Reading]]) -> Page:
    """Every indicator with its chart."""
    cat = world.catalogue
    inds = list(cat.indicators)
    body = f"<h1>{e(world.t('web.nav.indicators'))}</h1>"
    if not inds:
        body += f'<p class="muted">{e(world.t("web.ind.none"))}</p>'
    if not cat.several:
        body += f'<div class="indicators">{indicator_cards(world, record, inds, readings)}</div>'
        return Page(world.t("web.nav.indicators"), body, "indicators")
    for doc in cat.docs:  # several documents: each one's indicators under its name
        mine = [i for i in inds if cat.document_of(i).id == doc.id]
        if mine:
            body += (
                f'<section class="docgroup" data-doc="{e(doc.id)}"><div class="doc-head">'
                f"<h2>{_doc_name(doc)}</h2><p>{e(doc.issuer)} {e(doc.number)}</p></div>"
                f'<div class="indicators">{indicator_cards(world, record, mine, readings)}</div>'
                "</section>"
            )
    return Page(world.t("web.nav.indicators"), body, "indicators")


def bureaus_page(world: World, figures: list[BureauFigures]) -> Page:
    """Per bureau: tasks by light as lead and as cooperating unit, what it owes."""
    keys = ("bureau", "lead", "cooperating", "overdue", "unanswered", "claims", "bound")
    head = "".join(f"<th>{e(world.t(f'web.bureaus.{k}'))}</th>" for k in keys)
    rows = []
    for fig in figures:
        name = world.catalogue.bureau_name(fig.bureau_id)
        cells = [
            f'<a href="./?bureau={e(fig.bureau_id)}">{e(name)}</a>',
            _light_counts(world.lang, fig.lead),
            _light_counts(world.lang, fig.cooperating),
            str(fig.overdue_lead),
            str(fig.unanswered),
            str(fig.claims),
            f"{fig.bound}/{fig.contacts}",
        ]
        tds = "".join(
            f'<td data-label="{e(world.t(f"web.bureaus.{k}"))}">{c}</td>'
            for k, c in zip(keys, cells, strict=True)
        )
        rows.append(f'<tr data-bureau="{e(fig.bureau_id)}">{tds}</tr>')
    body = (
        f"<h1>{e(world.t('web.nav.bureaus'))}</h1>"
        f'<table class="bureaus"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
        f'<p class="muted">{e(world.t("web.bureaus.hint"))}</p>'
    )
    return Page(world.t("web.nav.bureaus"), body, "bureaus")


def _light_counts(lang: str, counts: dict[Light, int]) -> str:
    parts = [f'<span class="n">{light(lang, x)} {n}</span>' for x, n in counts.items() if n]
    return " ".join(parts) or "—"


# -- saying no, and logging in


def message_page(lang: str, status: int, key: str, root: str = "./") -> Page:
    """A page with no task data: 401, 403, 404, logged out."""
    return Page(
        _t(lang, f"{key}.title"),
        f'<section class="message" data-status="{status}"><h1>{e(_t(lang, f"{key}.title"))}</h1>'
        f'<p>{e(_t(lang, f"{key}.body"))}</p><p class="loading" hidden>'
        f"{e(_t(lang, 'web.loading'))}</p></section>",
        "message",
        status,
        root,
    )


def login_page(lang: str, token: str) -> Page:
    """The page a login link opens: a button that uses the link (a link preview that fetches
    the address uses nothing)."""
    return Page(
        _t(lang, "web.login.title"),
        f'<section class="message"><h1>{e(_t(lang, "web.login.title"))}</h1>'
        f'<p>{e(_t(lang, "web.login.body"))}</p><form method="post" action="login">'
        f'<input type="hidden" name="t" value="{e(token)}">'
        f'<button type="submit" id="login">{e(_t(lang, "web.login.button"))}</button>'
        "</form></section>",
        "login",
    )


def who_html(lang: str, name: str, roles: list[str], logout: bool, root: str) -> str:
    """The signed-in user, and a log-out button for a browser session."""
    text = e(name) + e(paren(lang, join(lang, roles)))
    if logout:
        text += (
            f'<form method="post" action="{root}logout" class="logout">'
            f'<button type="submit">{e(_t(lang, "web.logout"))}</button></form>'
        )
    return text
