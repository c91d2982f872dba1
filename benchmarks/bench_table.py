"""Validating and applying a 10,000-task table (about 6 MB of YAML), and reloading it after an
edit of one task, each round in a fresh process (`python -m benchmarks.bench_table child DIR`)
so that its peak memory (VmHWM, the process's whole resident peak) is the table's alone.

Applying is what a first start does (`bot.reload.apply` on an empty database: the version
stored, every entity recorded); reloading is what a save of the file does (validate the new
text, diff it against the table in force, store the new version).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROUNDS, Figure

TASKS = 10_000
ROOT = Path(__file__).resolve().parents[1]


def _hwm_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(where: Path) -> dict[str, Any]:
    """One round, in this (fresh) process."""
    import datetime as dt

    from benchmarks.data import NOW, table_text
    from bot.core.history import Record
    from bot.reload import apply, validate
    from storage.repo import Store

    text = table_text(TASKS)
    config = where / "tasks.yaml"
    config.write_text(text, encoding="utf-8")
    base_mib = _hwm_mib()
    store = Store.open(where / "duban.db")
    t0 = time.perf_counter()
    result = validate(config)
    t1 = time.perf_counter()
    outcome = apply(store, result, None, 0, Record(), NOW, confirmed=True)
    t2 = time.perf_counter()
    assert outcome.applied and outcome.catalogue is not None
    first_mib = _hwm_mib()
    config.write_text(text.replace("    title: 任务0", "    title: 任务0（修订）", 1), "utf-8")
    t3 = time.perf_counter()
    again = validate(config)
    later = NOW + dt.timedelta(hours=1)
    reloaded = apply(store, again, outcome.catalogue, outcome.version, Record(), later)
    t4 = time.perf_counter()
    assert reloaded.applied and reloaded.report is not None
    store.close()
    return {
        "validate_s": t1 - t0,
        "apply_s": t2 - t1,
        "reload_s": t4 - t3,
        "peak_mib": first_mib,
        "peak_after_reload_mib": _hwm_mib(),
        "baseline_mib": base_mib,
        "changes": len(reloaded.report.changes),
        "yaml_mib": round(len(text.encode()) / 2**20, 1),
    }


def table() -> list[Figure]:
    """Time and peak memory of validating and applying; the reload beside them."""
    both = Figure(f"validating and applying a {TASKS:,}-task table", "s", 2.0)
    memory = Figure(f"validating and applying a {TASKS:,}-task table: peak RSS", "MiB", 300)
    reload = Figure(f"reloading the {TASKS:,}-task table after an edit", "s", None)
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.bench_table", "child", tmp],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        both.add(r["validate_s"] + r["apply_s"])
        both.extra.setdefault("validate_s", []).append(round(r["validate_s"], 2))
        both.extra.setdefault("apply_s", []).append(round(r["apply_s"], 2))
        memory.add(r["peak_mib"])
        memory.extra["interpreter_and_imports_mib"] = round(r["baseline_mib"], 1)
        memory.extra.setdefault("after_reload_mib", []).append(round(r["peak_after_reload_mib"]))
        reload.add(r["reload_s"])
        both.extra["yaml_mib"] = r["yaml_mib"]
    return [both, memory, reload]


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        print(json.dumps(child(Path(sys.argv[2]))))
