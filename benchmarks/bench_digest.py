"""The coordinators' weekly digest on the large deployment: its text, the chart, the workbook
of the week and every answer as CSV, built as the engine builds them (`Engine.digest`: in
processes of their own, from the database); whether answers keep their pace meanwhile is
`bench_chat.answers_during_digest`."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROUNDS, Figure
from benchmarks.data import NOW, Deployment
from benchmarks.rig import Rig
from bot.core.clock import FixedClock


async def build(rig: Rig) -> dict[str, float]:
    """One digest as the engine builds it: seconds for the text and for the files."""
    world = rig.runtime.world()
    t0 = time.perf_counter()
    _, files = await rig.duban.engine.digest(world)
    return {
        "seconds": time.perf_counter() - t0,
        "xlsx_kib": len(files.xlsx) // 1024,
        "csv_kib": len(files.csv) // 1024,
        "png_kib": len(files.png) // 1024,
    }


def digest(dep: Deployment) -> list[Figure]:
    """Seconds for the digest text and its files."""
    fig = Figure("weekly digest with workbook and chart", "s", 5)
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        rig = Rig(dep.copy(Path(tmp)), FixedClock(NOW))

        async def body() -> list[dict[str, float]]:
            await rig.start()
            try:
                return [await build(rig) for _ in range(ROUNDS)]
            finally:
                await rig.stop()

        for r in asyncio.run(body()):
            fig.add(r["seconds"])
            for key in ("xlsx_kib", "csv_kib", "png_kib"):
                fig.extra[key] = r[key]
    fig.note = "text, chart, workbook of the week, every answer as CSV"
    return [fig]
