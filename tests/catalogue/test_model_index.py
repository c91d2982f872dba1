"""Catalogue lookups through indexes give what the linear searches gave: same results, same
order, KeyError where they raised. The linear versions below are the old code, kept as the
reference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support_big import big_table_yaml
from valid_table import VALID

from bot.core.catalogue import load_catalogue, parse_catalogue
from bot.core.model import (
    Bureau,
    Catalogue,
    Contact,
    Deadline,
    DeadlineKind,
    Document,
    Person,
    Role,
    Section,
    SubTask,
    Task,
)

ROOT = Path(__file__).resolve().parents[2]
MISSING = object()


def _linear(cat: Catalogue, method: str, arg: object) -> object:
    """The old linear implementation of each lookup."""
    contacts = tuple(c for b in cat.bureaus for c in b.contacts)
    every = tuple(b.id for b in cat.bureaus if b.every_task)

    def bureaus_of(task: Task) -> tuple[str, ...]:
        ids: list[str] = [task.lead, *task.cooperating]
        for s in task.subtasks:
            ids.extend([s.lead] if s.lead else [])
            ids.extend(s.cooperating)
        ids.extend(every)
        return tuple(dict.fromkeys(ids))

    by_id = {
        "bureau": cat.bureaus,
        "task": cat.tasks,
        "section": cat.sections,
        "indicator": cat.indicators,
        "contact": contacts,
        "person": cat.people,
    }
    if method in by_id:
        found = next((x for x in by_id[method] if x.id == arg), MISSING)
        return KeyError if found is MISSING else found
    if method == "member_name":
        found = next((x.name for x in (*contacts, *cat.people) if x.id == arg), MISSING)
        return arg if found is MISSING else found
    if method == "bureau_name":
        if not arg:
            return ""
        return next((b.name for b in cat.bureaus if b.id == arg), arg)
    if method == "bureaus_of":
        assert isinstance(arg, Task)
        return bureaus_of(arg)
    if method == "tasks_of":
        return tuple(t for t in cat.tasks if arg in bureaus_of(t))
    if method == "resolve_bureau":
        assert isinstance(arg, str)
        key = arg.strip()
        return next((b for b in cat.bureaus if key == b.id or key in b.names), None)
    raise AssertionError(method)


def _indexed(cat: Catalogue, method: str, arg: object) -> object:
    try:
        return getattr(cat, method)(arg)
    except KeyError:
        return KeyError


def _probes(cat: Catalogue) -> list[tuple[str, object]]:
    """Every lookup with every id and name the catalogue has, and some it has not."""
    ids = {x.id for xs in (cat.bureaus, cat.tasks, cat.sections, cat.indicators, cat.people)
           for x in xs} | {c.id for b in cat.bureaus for c in b.contacts}  # fmt: skip
    names = {n for b in cat.bureaus for n in b.names}
    keys = sorted(ids | names | {"", "nope", " eco ", "t01 "})
    probes: list[tuple[str, object]] = []
    for key in keys:
        for method in ("bureau", "task", "section", "indicator", "contact", "person",
                       "member_name", "bureau_name", "tasks_of", "resolve_bureau"):  # fmt: skip
            probes.append((method, key))
    probes.append(("bureau_name", None))
    probes += [("bureaus_of", t) for t in cat.tasks]
    return probes


def _same(cat: Catalogue) -> None:
    assert cat.contacts() == tuple(c for b in cat.bureaus for c in b.contacts)
    assert cat.every_task_bureaus() == tuple(b.id for b in cat.bureaus if b.every_task)
    for method, arg in _probes(cat):
        assert _indexed(cat, method, arg) == _linear(cat, method, arg), (method, arg)


@pytest.mark.parametrize("source", ["shipped", "valid", "big"])
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_lookups_match_the_linear_search(source: str) -> None:
    if source == "shipped":
        result = load_catalogue(ROOT / "config" / "tasks.yaml")
    else:
        result = parse_catalogue(VALID if source == "valid" else big_table_yaml(300))
    assert result.catalogue is not None
    _same(result.catalogue)


DUE = Deadline("2025年底", DeadlineKind.FIXED, dt.date(2025, 12, 31))
IDS = st.sampled_from(["a", "b", "c", "d"])


@st.composite
def catalogues(draw: st.DrawFn) -> Catalogue:
    """Catalogues built directly, with ids and names that repeat (no validation in the way)."""
    bureaus = tuple(
        Bureau(
            id=draw(IDS),
            name=draw(st.sampled_from(["甲局", "乙局", "a", "b"])),
            aliases=tuple(draw(st.lists(st.sampled_from(["甲局", "丙局", "c"]), max_size=2))),
            contacts=tuple(
                Contact(draw(IDS), draw(st.sampled_from(["张", "李"])), "x")
                for _ in range(draw(st.integers(0, 2)))
            ),
            every_task=draw(st.booleans()),
        )
        for _ in range(draw(st.integers(0, 4)))
    )
    tasks = tuple(
        Task(
            id=draw(IDS),
            number=i + 1,
            section=draw(IDS),
            title=f"任务{i}",
            lead=draw(IDS),
            cooperating=tuple(draw(st.lists(IDS, max_size=3))),
            deadline=DUE,
            subtasks=tuple(
                SubTask(
                    f"s{j}", "子项", draw(st.none() | IDS), tuple(draw(st.lists(IDS, max_size=2)))
                )
                for j in range(draw(st.integers(0, 2)))
            ),
        )
        for i in range(draw(st.integers(0, 4)))
    )
    people = tuple(
        Person(draw(IDS), draw(st.sampled_from(["王", "赵"])), frozenset({Role.ADMIN}))
        for _ in range(draw(st.integers(0, 3)))
    )
    sections = tuple(Section(draw(IDS), "一", "标题") for _ in range(draw(st.integers(0, 3))))
    document = Document("文件", "机关", "1", dt.date(2022, 3, 31))
    return Catalogue(document, sections, bureaus, tasks, people=people)


@settings(max_examples=200, deadline=None)
@given(catalogues())
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_lookups_match_with_repeated_ids_and_names(cat: Catalogue) -> None:
    _same(cat)


def test_bureaus_of_a_task_from_elsewhere_is_computed_for_that_task() -> None:
    """A task object not in the catalogue (same id, other units) gets its own bureaus."""
    result = parse_catalogue(VALID)
    assert result.catalogue is not None
    cat = result.catalogue
    other = Task("t01", 1, "s1", "x", "eco", (), DUE)
    assert cat.bureaus_of(other) == ("eco", "streets")
    assert cat.bureaus_of(cat.task("t01")) == ("econ", "eco", "streets")
