"""The planner one year ahead (`upcoming`, what `duban plan --days 365` runs) at 1,000, 2,000,
5,000 and 10,000 tasks: a curve, in the results and as docs/images/planner-curve.png.

Each round starts cold: a catalogue parsed anew and a new working calendar, so no cache of an
earlier round helps. The record is empty (a new deployment: nothing sent yet), so every
message of the year is planned.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from pathlib import Path

from benchmarks.common import ROUNDS, Figure
from benchmarks.data import NOW, table_text
from bot.core.catalogue import parse_catalogue
from bot.core.history import Record
from bot.core.planner import upcoming
from bot.core.workdays import WorkCalendar

SIZES = (1_000, 2_000, 5_000, 10_000)
ROOT = Path(__file__).resolve().parents[1]
PNG = ROOT / "docs" / "images" / "planner-curve.png"


def planner_curve(sizes: tuple[int, ...] = SIZES, png: Path | None = PNG) -> list[Figure]:
    """One figure per size (the 10,000-task one against the 1 s mark)."""
    figures = []
    for n in sizes:
        text = table_text(n)
        fig = Figure(f"planner, one year ahead, {n:,} tasks", "s", 1.0 if n == 10_000 else None)
        for _ in range(ROUNDS):
            result = parse_catalogue(text, f"big-{n}.yaml")
            cat = result.catalogue
            assert cat is not None
            gc.collect()
            t0 = time.perf_counter()
            items = upcoming(
                cat, NOW, Record(), NOW + dt.timedelta(days=365), WorkCalendar(cat.calendar)
            )
            fig.add(time.perf_counter() - t0)
            fig.extra["messages"] = len(items)
            del items, cat, result
        figures.append(fig)
    base = figures[0]
    for fig, n in zip(figures, sizes, strict=True):
        fig.extra["per_1000_tasks_s"] = round(fig.median / (n / 1000), 4)
        fig.extra["vs_linear"] = round(fig.median / (base.median * n / sizes[0]), 2)
    if png is not None:
        draw(figures, sizes, png)
    return figures


def draw(figures: list[Figure], sizes: tuple[int, ...], png: Path) -> None:
    """The curve: median seconds by tasks, the linear extrapolation of the first point, the
    1 s mark."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(7, 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    medians = [f.median for f in figures]
    mins = [f.min for f in figures]
    ax.plot(sizes, medians, marker="o", color="#3E63DD", label="median of rounds")
    ax.plot(sizes, mins, marker=".", linestyle=":", color="#3E63DD", alpha=0.6, label="min")
    linear = [medians[0] * n / sizes[0] for n in sizes]
    ax.plot(sizes, linear, linestyle="--", color="#888888", label="linear from 1,000 tasks")
    ax.axhline(1.0, color="#E5484D", linestyle="--", label="mark: 1 s at 10,000 tasks")
    for n, m, f in zip(sizes, medians, figures, strict=True):
        ax.annotate(f"{m:.2f} s\n{f.extra['messages']:,} msgs", (n, m), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=7)  # fmt: skip
    ax.set_xlabel("tasks in the table")
    ax.set_ylabel("seconds")
    ax.set_title("duban: planning every message one year ahead (upcoming, 365 days)")
    ax.set_xlim(0, sizes[-1] * 1.08)
    ax.set_ylim(0, max([*medians, 1.0]) * 1.3)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
