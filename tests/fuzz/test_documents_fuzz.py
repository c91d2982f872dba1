"""The table fuzzer on a config of two documents: one file of `config/` mutated (the shipped
table, the sample water table, or a shared people.yaml), the others left as they are.

For every case, with the config's last good texts given as the bot gives them: loading never
raises; the config always yields a table; a file that is broken now has errors naming it and
stands on its last good text (its document exactly as before), and every file that was not
touched reads exactly as before. A slice runs in `make test`; `make fuzz` runs them all.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from fuzz_mutations import MUTATIONS

from bot.core.documents import ConfigResult, load_config
from bot.core.model import Catalogue

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (ROOT / "config" / "tasks.yaml").read_text("utf-8")
WATER = (ROOT / "tests" / "fixtures" / "documents" / "water.yaml").read_text("utf-8")
FULL = __import__("os").environ.get("DUBAN_FUZZ") == "full"
CASES = 400 if FULL else 40
FIRST_SEED = 20_240_301
NAMES = sorted(MUTATIONS)


def _split(text: str) -> tuple[str, str]:
    """The shipped table as people.yaml and a table without people and bureaus."""
    start, end = text.index("\npeople:"), text.index("\nsections:")
    return text[start:end], text[:start] + text[end:]


def _files(shared: bool) -> dict[str, str]:
    if not shared:
        return {"tasks.yaml": SHIPPED, "water.yaml": WATER}
    people, tasks = _split(SHIPPED)
    return {"people.yaml": people, "tasks.yaml": tasks, "water.yaml": WATER}


def _write(config: Path, files: dict[str, str | bytes]) -> None:
    shutil.rmtree(config, ignore_errors=True)
    config.mkdir(parents=True)
    for name, body in files.items():
        if isinstance(body, bytes):
            (config / name).write_bytes(body)
        else:
            (config / name).write_bytes(body.encode("utf-8", "surrogatepass"))


def _by_document(cat: Catalogue, doc_id: str) -> list[tuple[str, str, str]]:
    return [(t.id, t.title, t.deadline.text) for t in cat.tasks_in(doc_id)]


def _mutate(seed: int) -> tuple[bool, str, str, str | bytes]:
    rng = random.Random(seed)
    shared = rng.random() < 0.3
    files = _files(shared)
    target = rng.choice(sorted(files))
    name = NAMES[seed % len(NAMES)]
    for attempt in range(len(NAMES)):
        mutation = MUTATIONS[name if attempt == 0 else rng.choice(NAMES)]
        try:
            detail, out, _ = mutation(rng, files[target])
        except (StopIteration, ValueError, IndexError):
            continue  # not applicable to this file (e.g. no aliases in water.yaml)
        return shared, target, f"{mutation.__name__}: {detail}", out
    return shared, target, "none", files[target]


@pytest.mark.parametrize("chunk", range(0, CASES, 20), ids=lambda c: f"seeds+{c}")
@pytest.mark.slow  # many random cases: in make test, not make test-fast
def test_one_mutated_file_never_stops_the_others(chunk: int, tmp_path: Path) -> None:
    failures = []
    for seed in range(FIRST_SEED + chunk, FIRST_SEED + min(chunk + 20, CASES)):
        shared, target, detail, body = _mutate(seed)
        config = tmp_path / f"c{seed}"
        files: dict[str, str | bytes] = dict(_files(shared))
        _write(config, files)
        good = load_config(config)
        assert good.ok and not good.errors, [str(p) for p in good.errors]
        files[target] = body
        _write(config, files)
        try:
            result = load_config(config, good.texts, good.primary_file)
        except Exception as err:  # the point of a fuzzer: nothing may raise
            failures.append(f"seed={seed} {target} {detail}: raised {err!r}")
            continue
        problems = _check(result, good, target)
        if problems:
            failures.append(f"seed={seed} {target} {detail}: " + "; ".join(problems))
    assert not failures, "\n".join(failures)


def _check(result: ConfigResult, good: ConfigResult, target: str) -> list[str]:
    out = []
    if result.catalogue is None or good.catalogue is None:
        return ["no table at all"]
    broken = [f.name for f in result.broken]
    for f in result.broken:  # another file may break only by losing a bureau it names
        if f.name != target and any(p.code != "unknown_bureau" for p in f.errors):
            out.append(f"{f.name} broken, though not touched")
    for f in result.broken:
        if not f.errors or any(target not in p.file for p in f.errors):
            out.append("a broken file without errors naming it")
    for name, text in good.texts.items():
        if (name != target or name in broken) and result.texts.get(name) != text:
            out.append(f"{name} does not stand on its last good text")
    untouched = [d.id for d in good.catalogue.docs if d.file != target or target in broken]
    if target in ("people.yaml", good.primary_file) and target not in broken:
        untouched = []  # a valid edit of the people may change what any table resolves to
    for doc_id in untouched:
        if _by_document(result.catalogue, doc_id) != _by_document(good.catalogue, doc_id):
            out.append(f"document {doc_id} changed")
    return out
