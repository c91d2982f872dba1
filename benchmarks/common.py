"""What every figure of `make bench` shares: rounds, percentiles, the machine's load, the
results file and the printed table.

A figure is measured in rounds (at least 3); each round gives one value (a p99 of many
presses, the time of one validation...). The results keep every round's value, and report
min and median beside the mark. Benchmarks are not tests: nothing here fails a build; a
figure over its mark is reported as such.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank: the smallest value with p% at or below it)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def load() -> float:
    """The machine's 1-minute load average now."""
    return os.getloadavg()[0]


@dataclass
class Figure:
    """One line of the results: a measured quantity, its rounds and its mark."""

    name: str
    unit: str
    mark: float | None  # None: reported beside a mark, not held to one
    rounds: list[float] = field(default_factory=list)
    better: str = "lower"  # or "higher"
    loads: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    def add(self, value: float) -> None:
        """One round's value, with the load the machine had."""
        self.rounds.append(value)
        self.loads.append(load())

    @property
    def min(self) -> float:
        return min(self.rounds) if self.rounds else math.nan

    @property
    def max(self) -> float:
        return max(self.rounds) if self.rounds else math.nan

    @property
    def median(self) -> float:
        return statistics.median(self.rounds) if self.rounds else math.nan

    @property
    def meets(self) -> bool | None:
        """Whether the median is within the mark (None without a mark)."""
        if self.mark is None or not self.rounds:
            return None
        if self.better == "higher":
            return self.median >= self.mark
        return self.median <= self.mark

    def mark_text(self) -> str:
        if self.mark is None:
            return ""
        return ("≥ " if self.better == "higher" else "≤ ") + _num(self.mark)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "min": _round(self.min),
            "median": _round(self.median),
            "max": _round(self.max),
            "mark": self.mark,
            "mark_text": self.mark_text(),
            "meets": self.meets,
            "unit": self.unit,
            "rounds": [_round(v) for v in self.rounds],
            "load_average": [round(v, 2) for v in self.loads],
            "extra": self.extra,
            "note": self.note,
        }


def _round(value: float) -> float | None:
    if math.isnan(value):
        return None
    return round(value, 4 if abs(value) < 10 else 1)


def _num(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_mib"] = int(mem) // 1024
    except OSError:
        pass
    return info


def table(figures: Sequence[Figure]) -> str:
    """The figures as a Markdown table (what the README quotes)."""
    lines = [
        "| figure | min | median | mark | unit | load avg | |",
        "|---|---:|---:|---:|---|---:|---|",
    ]
    for f in figures:
        verdict = {True: "✅", False: "❌", None: ""}[f.meets]
        loads = f"{statistics.median(f.loads):.2f}" if f.loads else "-"
        lines.append(
            f"| {f.name} | {_num(f.min)} | {_num(f.median)} | {f.mark_text()} | {f.unit} "
            f"| {loads} | {verdict} |"
        )
    return "\n".join(lines)


def write_results(path: Path, figures: Sequence[Figure], meta: dict[str, Any]) -> None:
    """benchmarks/results.json: the machine, the run and every figure."""
    data = {**meta, "machine": machine(), "figures": [f.as_json() for f in figures]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
