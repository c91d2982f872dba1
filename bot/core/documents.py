"""Several documents in one bot: `config/` holds a table per document (`*.yaml`) and,
optionally, the people and bureaus they share (`people.yaml`).

Each file is validated on its own; the good ones are merged into one `Catalogue` the rest of
the bot runs on. The primary document (the one a database first followed: `tasks.yaml`,
else the first file by name) keeps its ids as written, so a database of a single table
needs no rewrite of its history; the others' tasks, sub-items, sections and indicators are
keyed `<document>.<id>` (ids never contain a dot) and numbered `<short>-<number>` for people.

A file that is broken keeps its own last good text (given by the caller, from the
database) and does not stop the others; a file that appears adds a document, a file that
is removed drops it (its tasks are archived by the reload, their records kept).

Pure: file reading only; no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.core.catalogue import (
    DOC_ID_RE,
    LoadResult,
    Problem,
    Problems,
    Severity,
    Shared,
    SharedResult,
    load_catalogue,
    load_shared,
    parse_catalogue,
    parse_shared,
)
from bot.core.model import (
    Bureau,
    CalendarOverrides,
    Catalogue,
    Contact,
    Document,
    Indicator,
    Person,
    Policy,
    PolicyOverride,
    Section,
    Task,
)

PEOPLE_FILE = "people.yaml"
#: The policy keys that hold for the whole bot (the primary document's); the others are
#: per task and so may differ by document.
GLOBAL_POLICY = ("send_time", "working_hours", "digest_weekday", "catch_up_grace_hours")
#: The most documents one config may hold.
MAX_DOCUMENTS = 50


def qualified(document_id: str, item_id: str) -> str:
    """An id of another document than the primary: `<document>.<id>`."""
    return f"{document_id}.{item_id}"


def document_id_of(file: str) -> str:
    """A document's id from its file name when it does not give one: `water.yaml` ->
    `water` (lowercase ascii, at most 12 characters), else `doc`."""
    stem = re.sub(r"[^a-z0-9_-]", "", Path(file).stem.lower())[:12]
    return stem if DOC_ID_RE.match(stem) else "doc"


@dataclass(frozen=True)
class FileResult:
    """One file of the config: what validating it found, and what is in force for it."""

    name: str
    result: LoadResult | SharedResult
    #: The text in force: the file's when it is good, its last good text when it is not,
    #: "" when it has none (a new file that is broken, or a removed one).
    text_in_force: str = ""

    @property
    def ok(self) -> bool:
        """Whether the file as it is now is good."""
        if isinstance(self.result, SharedResult):
            return self.result.shared is not None
        return self.result.catalogue is not None

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The file's errors."""
        return self.result.errors


@dataclass(frozen=True)
class ConfigResult(Problems):
    """A config (one table, or a directory of them) validated and merged.

    Shaped like a `LoadResult` for the reload: `catalogue` is what to apply (None when
    nothing can be), `sha256` covers every text in force, `errors` are the errors of the files
    that keep their last good version (or that stop everything when `catalogue` is None).
    """

    catalogue: Catalogue | None
    files: tuple[FileResult, ...]
    file: str  # the config path as given
    merge_problems: tuple[Problem, ...] = ()
    texts: Mapping[str, str] = field(default_factory=dict)  # file name -> text in force
    primary_file: str = ""  # the primary document's file

    @property
    def ok(self) -> bool:
        """True when there is a table to apply."""
        return self.catalogue is not None

    @property
    def sha256(self) -> str:
        """One hash over every file's text in force (a single table: that file's hash)."""
        if len(self.texts) == 1:  # a single table: its own hash, in a directory or not
            return hashlib.sha256(next(iter(self.texts.values())).encode()).hexdigest()
        h = hashlib.sha256()
        for name in sorted(self.texts):
            h.update(name.encode() + b"\0" + self.texts[name].encode() + b"\0")
        return h.hexdigest()

    @property
    def text(self) -> str:
        """The primary file's text in force (what a database of a single table keeps)."""
        return self.texts.get(self.primary_file) or next(iter(self.texts.values()), "")

    @property
    def problems(self) -> tuple[Problem, ...]:  # type: ignore[override]  # computed here
        """Every problem: each file's, then those of the merge."""
        return (*(p for f in self.files for p in f.result.problems), *self.merge_problems)

    @property
    def broken(self) -> tuple[FileResult, ...]:
        """The files that are broken now."""
        return tuple(f for f in self.files if not f.ok)


def load_config(
    path: str | Path,
    last_good: Mapping[str, str] | None = None,
    primary_file: str | None = None,
) -> ConfigResult:
    """Read and validate a config: a table file, or a directory of tables (`*.yaml`) with an
    optional `people.yaml`. `last_good` (file name -> text) stands in for files that are
    broken now; `primary_file` is the file of the document the database first followed (a
    new database: `tasks.yaml`, else the first file by name). Never raises.

    One set of people and bureaus: `people.yaml`'s, then the primary table's; the other
    tables use them by name and may add their own, never redefine one."""
    p = Path(path)
    last_good = last_good or {}
    if not p.is_dir():
        result = load_catalogue(p)
        text = result.text if result.ok else last_good.get(p.name, "")
        catalogue = result.catalogue
        if catalogue is None and text:
            catalogue = parse_catalogue(text, str(p)).catalogue
        if catalogue is not None:
            catalogue = _identified(catalogue, p.name)
        texts = {p.name: text} if text and catalogue is not None else {}
        fr = FileResult(p.name, result, texts.get(p.name, ""))
        return ConfigResult(catalogue, (fr,), str(p), (), texts, p.name)
    try:
        names = sorted(
            f.name for f in p.iterdir() if f.suffix == ".yaml" and not f.name.startswith(".")
        )
    except OSError:
        names = []

    def read(name: str, shared: Shared | None) -> LoadResult | SharedResult:
        if name == PEOPLE_FILE:
            return load_shared(p / name)
        return load_catalogue(p / name, shared=shared)

    return _assemble(str(p), names, read, last_good, primary_file)


def from_texts(
    texts: Mapping[str, str], primary_file: str | None, directory: bool
) -> Catalogue | None:
    """The catalogue of stored texts (file name -> text): a version as it was applied."""
    if not directory and len(texts) == 1:
        name, text = next(iter(texts.items()))
        catalogue = parse_catalogue(text, name).catalogue
        return _identified(catalogue, name) if catalogue is not None else None

    def read(name: str, shared: Shared | None) -> LoadResult | SharedResult:
        if name == PEOPLE_FILE:
            return parse_shared(texts[name], name)
        return parse_catalogue(texts[name], name, shared=shared)

    return _assemble("", sorted(texts), read, {}, primary_file).catalogue


def _identified(catalogue: Catalogue, file: str) -> Catalogue:
    """A single table whose document carries its id (its own, else the file's name)."""
    doc_id = catalogue.document.id or document_id_of(file)
    return replace(catalogue, document=replace(catalogue.document, id=doc_id))


def _assemble(
    where: str,
    names: Sequence[str],
    read: Callable[[str, Shared | None], LoadResult | SharedResult],
    last_good: Mapping[str, str],
    primary_file: str | None,
) -> ConfigResult:
    """Validate the files of a directory (`read` each by name) and merge the good ones."""
    results: list[FileResult] = []
    shared: Shared | None = None
    if PEOPLE_FILE in names:
        sr = read(PEOPLE_FILE, None)
        assert isinstance(sr, SharedResult)
        text = sr.text if sr.shared is not None else last_good.get(PEOPLE_FILE, "")
        shared = sr.shared if sr.shared is not None else _shared_of(text)
        results.append(FileResult(PEOPLE_FILE, sr, text if shared is not None else ""))
    tables = [n for n in names if n != PEOPLE_FILE]
    if primary_file not in tables:
        primary_file = primary_file or ("tasks.yaml" if "tasks.yaml" in tables else None)
        primary_file = primary_file or (tables[0] if tables else None)
    tables.sort(key=lambda n: n != primary_file)  # the primary first: its people count
    skipped = tables[MAX_DOCUMENTS:]
    tables = tables[:MAX_DOCUMENTS]
    parts: list[tuple[str, str, Catalogue]] = []  # (file, document id, table)
    taken: dict[str, str] = {}
    for name in tables:
        result = read(name, shared)
        assert isinstance(result, LoadResult)
        catalogue, text = result.catalogue, result.text
        if catalogue is None:
            text = last_good.get(name, "")
            catalogue = parse_catalogue(text, name, shared=shared).catalogue if text else None
        doc_id = (catalogue.document.id if catalogue else "") or document_id_of(name)
        if catalogue is not None and doc_id in taken:
            problem = Problem(Severity.ERROR, "document_id_taken", "document.id", None,
                              file=result.file, params={"value": doc_id, "first": taken[doc_id]})  # fmt: skip
            result = replace(result, catalogue=None, problems=(*result.problems, problem))
            catalogue = None
        results.append(FileResult(name, result, text if catalogue is not None else ""))
        if catalogue is None:
            continue
        taken[doc_id] = name
        parts.append((name, doc_id, catalogue))
        if name == primary_file:  # the others use the primary's people and bureaus
            origin = {i: shared.file_of(i) for i in shared.ids()} if shared else {}
            shared = Shared(catalogue.people, catalogue.bureaus, name, origin)
    texts = {r.name: r.text_in_force for r in results if r.text_in_force}
    if not parts:
        return ConfigResult(None, tuple(results), where, texts=texts)
    main = parts[0][1] if parts[0][0] == primary_file else ""
    merged, problems = merge(parts, main)
    if skipped:
        files = "、".join(skipped[:5]) + ("…" if len(skipped) > 5 else "")
        problems.append(_warn("too_many_documents", where, limit=MAX_DOCUMENTS, files=files))
    return ConfigResult(merged, tuple(results), where, tuple(problems), texts, primary_file or "")


def _shared_of(text: str) -> Shared | None:
    return parse_shared(text).shared if text else None


def merge(
    parts: Sequence[tuple[str, str, Catalogue]], primary: str
) -> tuple[Catalogue, list[Problem]]:
    """One catalogue of several documents (file, document id, table; the primary first when
    it is there): the primary's table as it is, the others' ids qualified; people and
    bureaus merged by id (the first definition wins); conflicts are warnings, as are another
    document's bot-wide policy values that differ from the first's."""
    problems: list[Problem] = []
    main = parts[0][2]
    documents: list[Document] = []
    sections: list[Section] = []
    tasks: list[Task] = []
    indicators: list[Indicator] = []
    bureaus: dict[str, Bureau] = {}
    people: dict[str, Person] = {}
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    for file, doc_id, cat in parts:
        is_primary = doc_id == primary
        doc = replace(cat.document, id=doc_id, file=file)
        documents.append(doc)
        q = (lambda x: x) if is_primary else (lambda x, d=doc_id: qualified(d, x))
        prefix = "" if is_primary else f"{doc.short or doc_id}-"
        override = None if is_primary else _policy_difference(main.policy, cat.policy)
        if not is_primary:
            differ = [k for k in GLOBAL_POLICY if getattr(cat.policy, k) != getattr(main.policy, k)]
            if differ:
                problems.append(_warn("document_policy_global", file, keys=", ".join(differ)))
        sections += [replace(s, id=q(s.id), document=doc_id) for s in cat.sections]
        for task in cat.tasks:
            tasks.append(
                replace(
                    task,
                    id=q(task.id),
                    section=q(task.section),
                    subtasks=tuple(replace(s, id=q(s.id)) for s in task.subtasks),
                    policy=_fold_policy(override, task.policy),
                    document=doc_id,
                    prefix=prefix,
                )
            )
        indicators += [
            replace(i, id=q(i.id), task=q(i.task) if i.task else None, document=doc_id)
            for i in cat.indicators
        ]
        for b in cat.bureaus:
            _merge_bureau(bureaus, b, file, problems)
        for person in cat.people:
            first = people.setdefault(person.id, person)
            if first != person:
                problems.append(_warn("member_conflict", file, value=person.id))
        holidays |= cat.calendar.holidays
        workdays |= cat.calendar.workdays
    both = holidays & workdays
    if both:
        days = "、".join(sorted(d.isoformat() for d in both))
        problems.append(_warn("calendar_conflict", parts[0][0], days=days))
    catalogue = Catalogue(
        document=documents[0],
        sections=tuple(sections),
        bureaus=tuple(bureaus.values()),
        tasks=tuple(tasks),
        indicators=tuple(indicators),
        people=tuple(people.values()),
        policy=main.policy,
        calendar=CalendarOverrides(frozenset(holidays - both), frozenset(workdays - both)),
        language=main.language,
        documents=tuple(documents),
    )
    return catalogue, problems


def _merge_bureau(out: dict[str, Bureau], b: Bureau, file: str, problems: list[Problem]) -> None:
    """A bureau met again in another document: the same name (else a warning, the first
    name kept); its aliases and contacts added to the first's."""
    first = out.get(b.id)
    if first is None:
        out[b.id] = b
        return
    if first == b:
        return
    if first.name != b.name:
        problems.append(_warn("bureau_conflict", file, value=b.id, first=first.name, second=b.name))
    contacts: dict[str, Contact] = {c.id: c for c in first.contacts}
    for c in b.contacts:
        known = contacts.setdefault(c.id, c)
        if known != c:
            problems.append(_warn("member_conflict", file, value=c.id))
    out[b.id] = replace(
        first,
        aliases=tuple(dict.fromkeys((*first.aliases, *(a for a in b.aliases if a != first.name)))),
        contacts=tuple(contacts.values()),
        every_task=first.every_task or b.every_task,
    )


def _policy_difference(main: Policy, own: Policy) -> PolicyOverride | None:
    """A document's per-task policy values that differ from the primary's, as an override."""
    changes: dict[str, Any] = {}
    for key in vars(PolicyOverride()):
        if getattr(own, key) != getattr(main, key):
            changes[key] = getattr(own, key)
    return PolicyOverride(**changes) if changes else None


def _fold_policy(doc: PolicyOverride | None, task: PolicyOverride | None) -> PolicyOverride | None:
    """A task's own override over its document's."""
    if doc is None:
        return task
    if task is None:
        return doc
    own = {k: v for k, v in vars(task).items() if v is not None}
    return replace(doc, **own)


def _warn(code: str, file: str, **params: Any) -> Problem:
    return Problem(Severity.WARNING, code, "", None, file=file, params=params)
