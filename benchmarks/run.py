"""`make bench`: every figure of issue #12, measured on a generated deployment, written to
benchmarks/results.json and printed as a table.

    python -m benchmarks.run                 # everything (about 8 minutes on 2 cores)
    python -m benchmarks.run planner table   # some groups only (results.json gets those)
    BENCH_ROUNDS=5 python -m benchmarks.run  # more rounds per figure (default 3)

Groups: chat (answers, end to end, /status, tick, planning, answers during a digest),
digest, planner (the curve and its PNG), table (validating and applying 10,000 tasks),
fanout (2,000 reminders, paced and naive), memory (idle RSS of `duban run`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import (
    bench_chat,
    bench_digest,
    bench_fanout,
    bench_memory,
    bench_planner,
    bench_table,
)
from benchmarks.common import ROUNDS, Figure, load, table, write_results
from benchmarks.data import Deployment, big_deployment

RESULTS = Path(__file__).resolve().parent / "results.json"

GROUPS: dict[str, Callable[[Deployment], list[Figure]]] = {
    "chat": bench_chat.run_all,
    "digest": bench_digest.digest,
    "planner": lambda dep: bench_planner.planner_curve(),
    "table": lambda dep: bench_table.table(),
    "fanout": bench_fanout.fan_out,
    "memory": bench_memory.memory,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("groups", nargs="*", help=f"of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the deployment")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    groups = args.groups or list(GROUPS)
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown groups {unknown}: choose from {', '.join(GROUPS)}")
    started = dt.datetime.now(dt.UTC)
    load_before = load()
    t0 = time.perf_counter()
    dep = big_deployment(fresh=args.fresh)
    print(
        f"deployment: {dep.tasks:,} tasks, {dep.contacts} contacts, {dep.updates:,} status "
        f"updates, {dep.messages:,} messages sent"
        + (f" (generated in {dep.seconds:.0f} s)" if dep.seconds else " (cached)"),
        flush=True,
    )
    figures: list[Figure] = []
    for name in groups:
        g0 = time.perf_counter()
        got = GROUPS[name](dep)
        figures += got
        print(f"[{name}: {time.perf_counter() - g0:.0f} s]", flush=True)
        for f in got:
            print(f"  {f.name}: median {f.median:.4g} {f.unit} (rounds {f.rounds})", flush=True)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - t0),
        "rounds": ROUNDS,
        "groups": groups,
        "load_average_before": round(load_before, 2),
        "deployment": {
            "tasks": dep.tasks,
            "contacts": dep.contacts,
            "status_updates": dep.updates,
            "messages_sent": dep.messages,
            "generated_s": round(dep.seconds, 1),
        },
    }
    write_results(args.out, figures, meta)
    print()
    print(table(figures))
    print(f"\n{args.out} written in {meta['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
