"""The project's own table fuzzer: seeded mutations of the shipped table and of the small valid
table, each checked against what a reader of `duban check` relies on.

For every mutation: no exception escapes loading; a rejected table has at least one error and
every error has a line (but the whole-file ones: empty, encoding, size), in Chinese and English;
an accepted table means what it says: written back out it reads as the same catalogue, its
normalised form is plain JSON (no NaN), its lists have as many items as the file, every date
lies in its window; its CRLF and BOM versions read the same. A hang fails the run (a watchdog
dumps the stack and exits) and every case must finish within a generous bound.

The normal test run checks a slice of 150 cases (a few seconds); `make fuzz` (DUBAN_FUZZ=full)
runs 1,500. A failure prints the seed; `DUBAN_FUZZ_SEED=<seed>` runs that case alone.
"""

from __future__ import annotations

import faulthandler
import json
import math
import os
import sys
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fuzz_mutations import MUTATIONS, SOURCES, Case, make_case
from fuzz_roundtrip import table_yaml

import bot.core.yaml_reader as yaml_reader
from bot.core.catalogue import (
    LoadResult,
    load_catalogue,
    normalised,
    parse_catalogue,
    render_problem,
)
from bot.core.deadline import EARLIEST, LATEST, deadline_window
from bot.core.model import Catalogue

FULL = os.environ.get("DUBAN_FUZZ") == "full"
ONLY = os.environ.get("DUBAN_FUZZ_SEED")
CASES = 1500 if FULL else 150
CHUNK = 50
FIRST_SEED = 20_220_331  # any fixed number: the run is the same every time
SEEDS = [int(ONLY)] if ONLY else list(range(FIRST_SEED, FIRST_SEED + CASES))
CASE_SECONDS = 30.0  # far above the slowest case (a 20 MB file, ~1 s): only a hang fails it
WHOLE_FILE = {"empty", "file_encoding", "file_too_big", "file_missing"}
DIFFERENTIAL_EVERY = 7  # every 7th case is also read with the pure-Python parser


def _source(name: str) -> Catalogue:
    result = parse_catalogue(SOURCES[name])
    assert result.catalogue is not None
    return result.catalogue


ORIGINALS = {name: _source(name) for name in SOURCES}


def load_table(case: Case, tmp: Path) -> LoadResult:
    """Load a case the way the bot does: text through parse, bytes through a file."""
    if case.data is not None:
        path = tmp / f"case-{case.seed}.yaml"
        path.write_bytes(case.data)
        try:
            return load_catalogue(path)
        finally:
            path.unlink()
    assert case.text is not None
    return parse_catalogue(case.text, "tasks.yaml")


def _guarded(case: Case, tmp: Path) -> tuple[LoadResult | None, list[str]]:
    """Load with a watchdog: a hang dumps every stack and ends the run."""
    faulthandler.dump_traceback_later(CASE_SECONDS * 4, exit=True, file=sys.stderr)
    start = time.monotonic()
    try:
        result = load_table(case, tmp)
    except Exception:  # the invariant under test: nothing escapes
        return None, ["raised:\n" + traceback.format_exc()]
    finally:
        faulthandler.cancel_dump_traceback_later()
    elapsed = time.monotonic() - start
    failures = [f"took {elapsed:.1f} s (bound {CASE_SECONDS} s)"] if elapsed > CASE_SECONDS else []
    return result, failures


def _check_problems(result: LoadResult, text: str | None) -> list[str]:
    failures: list[str] = []
    lines = text.count("\n") + 2 if text is not None else None
    for p in result.problems:
        for lang in ("zh", "en"):
            try:
                render_problem(p, lang)
            except Exception:  # a message that cannot be shown is a failure like a crash
                failures.append(f"{p.code} cannot be rendered in {lang}:\n{traceback.format_exc()}")
        if p.code in WHOLE_FILE:
            if p.line is not None:
                failures.append(f"whole-file problem {p.code} has a line")
        elif not p.is_error:
            continue
        elif p.line is None or p.column is None:
            failures.append(f"error without a place: {render_problem(p)}")
        elif p.line < 1 or p.column < 1 or (lines is not None and p.line > lines):
            failures.append(f"error outside the file: {render_problem(p)}")
    if not result.ok and not result.errors:
        failures.append("rejected without an error")
    return failures


def _counts(cat: Catalogue, text: str) -> list[str]:
    """The catalogue has as many items as the file's lists."""
    data = yaml_reader.read_yaml(text).data
    assert isinstance(data, dict)

    def n(value: Any) -> int:
        return len(value) if isinstance(value, list) else 0

    tasks = data.get("tasks") or []
    pairs = {
        "tasks": (len(cat.tasks), n(tasks)),
        "subtasks": (
            sum(len(t.subtasks) for t in cat.tasks),
            sum(n(t.get("subtasks")) for t in tasks),
        ),
        "bureaus": (len(cat.bureaus), n(data.get("bureaus"))),
        "contacts": (
            len(cat.contacts()),
            sum(n(b.get("contacts")) for b in data.get("bureaus") or []),
        ),
        "sections": (len(cat.sections), n(data.get("sections"))),
        "indicators": (len(cat.indicators), n(data.get("indicators"))),
        "people": (len(cat.people), n(data.get("people"))),
    }
    return [f"{k}: catalogue {a}, file {b}" for k, (a, b) in pairs.items() if a != b]


def _written(value: Any, mark: Any) -> str | None:
    """A scalar as the file writes it (text as is, a number as typed)."""
    if isinstance(value, str):
        return value.strip()
    return mark.raw.strip() if mark is not None and mark.raw is not None else None


def _texts(cat: Catalogue, text: str) -> list[str]:
    """Every text field holds what the file says, not what YAML made of it (1.10, 0o17...)."""
    read = yaml_reader.read_yaml(text)
    data, marks = read.data, read.marks
    assert isinstance(data, dict) and marks is not None
    out: list[str] = []

    def compare(where: str, got: str, items: dict[str, Any], item_marks: Any, key: str) -> None:
        if items.get(key) is None:
            return
        child = item_marks.children.get(key) if isinstance(item_marks.children, dict) else None
        want = _written(items[key], child)
        if want is not None and got != want:
            out.append(f"{where}.{key}: file says {want!r}, catalogue has {got!r}")

    doc, doc_marks = data["document"], marks.children["document"]  # type: ignore[index]
    for key in ("title", "issuer", "number"):
        compare("document", getattr(cat.document, key), doc, doc_marks, key)
    task_marks = marks.children["tasks"].children  # type: ignore[index]
    for i, (task, item) in enumerate(zip(cat.tasks, data["tasks"], strict=True)):
        for key in ("title", "description", "source"):
            compare(f"tasks[{i}]", getattr(task, key), item, task_marks[i], key)
        sub_items = item.get("subtasks") or []
        sub_marks = task_marks[i].children.get("subtasks")
        for j, (sub, sub_item) in enumerate(zip(task.subtasks, sub_items, strict=True)):
            compare(f"tasks[{i}].subtasks[{j}]", sub.text, sub_item, sub_marks.children[j], "text")
    bureau_marks = marks.children["bureaus"].children  # type: ignore[index]
    for i, (bureau, item) in enumerate(zip(cat.bureaus, data["bureaus"], strict=True)):
        compare(f"bureaus[{i}]", bureau.name, item, bureau_marks[i], "name")
    return out


def _windows(cat: Catalogue) -> list[str]:
    """Every value lies where the rules say it must."""
    window = deadline_window(cat.document.date)
    out: list[str] = []
    if not EARLIEST <= cat.document.date <= LATEST:
        out.append(f"document date {cat.document.date}")
    deadlines = [t.deadline for t in cat.tasks]
    deadlines += [s.deadline for t in cat.tasks for s in t.subtasks if s.deadline]
    deadlines += [i.due for i in cat.indicators]
    out += [
        f"deadline {d.text}" for d in deadlines if d.due and not window[0] <= d.due <= window[1]
    ]
    out += [f"task number {t.number}" for t in cat.tasks if not 1 <= t.number <= 99_999]
    ids = [c.telegram_id for c in cat.contacts()] + [p.telegram_id for p in cat.people]
    out += [f"telegram id {i}" for i in ids if i is not None and not 0 < i < 2**52]
    for ind in cat.indicators:
        numbers = [ind.target, ind.baseline, *(ind.range or ())]
        out += [f"{ind.id}: {x}" for x in numbers if x is not None and not math.isfinite(x)]
    offsets = [cat.policy.reminder_offsets_days]
    offsets += [
        t.policy.reminder_offsets_days
        for t in cat.tasks
        if t.policy and t.policy.reminder_offsets_days
    ]
    out += [
        f"offsets {o}"
        for o in offsets
        if o and (len(set(o)) != len(o) or not all(0 <= x <= 3650 for x in o))
    ]
    return out


def _check_accepted(case: Case, cat: Catalogue, result: LoadResult) -> list[str]:
    failures: list[str] = []
    try:
        json.dumps(normalised(cat, result.warnings), allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        failures.append(f"normalised is not plain JSON: {exc}")
    again = parse_catalogue(table_yaml(cat))
    if again.catalogue != cat:
        errors = [render_problem(p) for p in again.errors][:3]
        failures.append(f"written back out it reads differently: {errors}")
    text = result.text.removeprefix("\ufeff")
    failures += _counts(cat, text)
    if not failures:
        failures += _texts(cat, text)
    failures += _windows(cat)
    variant = "\ufeff" + text.replace("\r\n", "\n").replace("\n", "\r\n")
    if parse_catalogue(variant).catalogue != cat:
        failures.append("its CRLF + BOM version reads differently")
    return failures


def _differential(case: Case, result: LoadResult, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pure-Python parser (the fallback without libyaml) accepts exactly the same tables."""
    if case.text is None or len(case.text) > 200_000 or case.seed % DIFFERENTIAL_EVERY:
        return []
    with monkeypatch.context() as m:
        m.setattr(yaml_reader, "_CParser", None)
        pure = parse_catalogue(case.text, "tasks.yaml")
    if pure.catalogue != result.catalogue or pure.ok != result.ok:
        return [
            f"pure parser disagrees: ok {pure.ok} vs {result.ok}; {[p.code for p in pure.errors][:3]}"
        ]
    return []


def check(case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[str]]:
    """The outcome of one case ('accepted'/'rejected'/'crashed') and what failed."""
    result, failures = _guarded(case, tmp)
    if result is None:
        return "crashed", failures
    failures += _check_problems(result, case.text)
    if result.catalogue is not None:
        failures += _check_accepted(case, result.catalogue, result)
    if case.same_as_source and result.catalogue != ORIGINALS[case.source]:
        failures.append("should read exactly as the source table")
    failures += _differential(case, result, monkeypatch)
    return ("accepted" if result.ok else "rejected"), failures


CHUNKS = [SEEDS[i : i + CHUNK] for i in range(0, len(SEEDS), CHUNK)]


@pytest.mark.parametrize("seeds", CHUNKS, ids=[f"seeds {c[0]}-{c[-1]}" for c in CHUNKS])
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_mutated_tables(seeds: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every mutation is rejected with located errors or accepted meaning what it says."""
    report: list[str] = []
    outcomes: Counter[str] = Counter()
    for seed in seeds:
        case = make_case(seed)
        outcome, failures = check(case, tmp_path, monkeypatch)
        outcomes[outcome] += 1
        if failures:
            report.append(case.describe() + "\n  " + "\n  ".join(failures))
    assert not report, f"{len(report)} of {len(seeds)} cases failed:\n" + "\n".join(report)
    if len(seeds) == CHUNK:  # a degenerate fuzzer would only ever accept, or only reject
        assert outcomes["accepted"] >= 5 and outcomes["rejected"] >= 5, outcomes


def test_the_slice_covers_every_mutation() -> None:
    """Each kind of damage is in the default slice, so a normal run exercises all of them."""
    kinds = {make_case(seed).mutation for seed in range(FIRST_SEED, FIRST_SEED + 150)}
    assert kinds == set(MUTATIONS)


def test_cases_are_reproducible() -> None:
    assert make_case(FIRST_SEED + 17) == make_case(FIRST_SEED + 17)
