"""Reports of one document among several (issue #15): which document an id belongs to, the
catalogue of one document, the history about it, and the document someone names.

Plain functions over the catalogue and the history (no openpyxl: the chat's /export uses
`pick_document` in the bot's own process). Another document's ids are `<document>.<id>` and
ids never hold a dot otherwise, so an id tells its document even once it left the table
(an archived task, an old answer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot.core.history import History
from bot.core.i18n import join, paren
from bot.core.model import Catalogue, Document


def owner(catalogue: Catalogue, item_id: str | None) -> Document:
    """The document a task, sub-item or indicator id belongs to (the primary's ids are as
    written; an id of no other document is the primary's)."""
    head, dot, _ = (item_id or "").partition(".")
    if dot and head != catalogue.document.id:
        for doc in catalogue.documents:
            if doc.id == head:
                return doc
    return catalogue.document


def belongs(catalogue: Catalogue, document_id: str) -> Callable[[str | None], bool]:
    """Whether a task, sub-item or indicator id is of one document (`owner`)."""

    def mine(item_id: str | None) -> bool:
        return item_id is not None and owner(catalogue, item_id).id == document_id

    return mine


def _key(text: str) -> str:
    return "".join(text.split()).lower()


def pick_document(catalogue: Catalogue, text: str) -> Document | None:
    """The document named by id, short name, 文号 or title (`Catalogue.find_document`); a
    single table answers to its own names."""
    if catalogue.several:
        return catalogue.find_document(text)
    doc = catalogue.document
    key = _key(text)
    names = {_key(n) for n in (doc.id, doc.short, doc.number, doc.title) if n}
    return doc if key and key in names else None


def document_choices(catalogue: Catalogue, lang: str) -> str:
    """The documents as someone may name them: `tasks、water（节水）`."""
    return join(
        lang,
        (
            d.id + (paren(lang, d.short) if d.short and d.short != d.id else "")
            for d in catalogue.docs
        ),
    )


def only(catalogue: Catalogue, document_id: str) -> Catalogue:
    """The catalogue of one document: its sections, tasks and indicators under its own title.
    People and bureaus stay whole (the record names them). A single table: itself."""
    if not catalogue.several:
        return catalogue
    doc = catalogue.document_of(document_id)
    mine = belongs(catalogue, doc.id)
    return replace(
        catalogue,
        document=doc,
        sections=tuple(s for s in catalogue.sections if mine(s.id)),
        tasks=tuple(t for t in catalogue.tasks if mine(t.id)),
        indicators=tuple(i for i in catalogue.indicators if mine(i.id)),
        documents=(doc,),
    )


def history_in(catalogue: Catalogue, document_id: str, history: History) -> History:
    """The answers, readings and messages about one document's tasks and indicators."""
    if not catalogue.several:
        return history
    mine = belongs(catalogue, document_id)
    return History(
        [u for u in history.updates if mine(u.task_id)],
        [r for r in history.readings if mine(r.indicator_id)],
        [s for s in history.sent.values() if mine(s.subject)],
    )


def bureaus_named(catalogue: Catalogue) -> frozenset[str]:
    """The bureaus a table names: on its tasks (各街道、镇 included) and as indicator owners."""
    ids = {b for task in catalogue.tasks for b in catalogue.bureaus_of(task)}
    return frozenset(ids | {i.owner for i in catalogue.indicators})
