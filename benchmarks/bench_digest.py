"""The coordinators' weekly digest on the large deployment: its text, the chart and the
workbook, built as the engine builds them (each in a worker thread with a connection of its
own); whether answers keep their pace meanwhile is `bench_chat.answers_during_digest`."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import ROUNDS, Figure
from benchmarks.data import NOW, Deployment
from benchmarks.rig import start_runtime
from bot.core.clock import FixedClock


def digest(dep: Deployment) -> list[Figure]:
    """Seconds for the digest text, its chart and its workbook."""
    from bot.reports.bundle import chart, workbook
    from bot.reports.digest import digest_for

    fig = Figure("weekly digest with workbook and chart", "s", 5)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        copy = dep.copy(Path(tmp))
        runtime = start_runtime(copy, FixedClock(NOW))
        try:
            world = runtime.world()
            for _ in range(ROUNDS):
                t0 = time.perf_counter()
                digest_for(copy.db, world)
                t1 = time.perf_counter()
                png = chart(copy.db, world)
                t2 = time.perf_counter()
                xlsx = workbook(copy.db, world)
                t3 = time.perf_counter()
                fig.add(t3 - t0)
                for key, value in (
                    ("text_s", t1 - t0),
                    ("chart_s", t2 - t1),
                    ("workbook_s", t3 - t2),
                ):
                    fig.extra.setdefault(key, []).append(round(value, 2))
                fig.extra["workbook_kib"] = len(xlsx) // 1024
                fig.extra["chart_kib"] = len(png) // 1024
        finally:
            runtime.close()
    return [fig]
