"""The status chart (PNG): tasks by light per bureau, and each indicator against its target.

Chinese labels need a CJK font; the search order is `$DUBAN_FONT` (a .ttf/.otf/.ttc
file), the Noto Sans CJK SC shipped by the `mplfonts` package (a dependency), then
system fonts (e.g. Debian's `fonts-noto-cjk`). No font, no chart: a chart
of empty boxes is a bug, so `find_cjk_font` raises instead.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import math
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.history import History, Reading, Record
from bot.core.i18n import t
from bot.core.model import Bureau, Catalogue, Indicator
from bot.core.status import Light, indicator_status, table_status
from bot.core.workdays import WorkCalendar

# Names are text: `$…$` in a bureau or indicator name is not TeX (mathtext failed the whole
# chart, and with it the digest's and /status chart, on an unbalanced `$\frac{a}{b$`).
matplotlib.rcParams["text.parse_math"] = False

COLOURS = {
    Light.RED: "#E5484D",
    Light.YELLOW: "#F5B800",
    Light.GREEN: "#30A46C",
    Light.DONE: "#A0A0A0",
}
SYSTEM_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Noto Sans CJK JP",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
)
WIDTH_PX, HEIGHT_PX, DPI = 1600, 1000, 100
#: The most bureaus and indicators one chart draws (legible, and drawn in about a second).
MAX_BUREAUS = 30
MAX_INDICATORS = 8


class FontMissing(RuntimeError):
    """No font with Chinese glyphs was found."""


def _packaged_font() -> Path | None:
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / "fonts" / "NotoSansCJKsc-Regular.otf"
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """The font file used for Chinese labels (registered with matplotlib)."""
    candidates: list[Path] = []
    if os.environ.get("DUBAN_FONT"):
        candidates.append(Path(os.environ["DUBAN_FONT"]))
    packaged = _packaged_font()
    if packaged is not None:
        candidates.append(packaged)
    for family in SYSTEM_FONTS:
        try:
            found = font_manager.findfont(
                font_manager.FontProperties(family=family), fallback_to_default=False
            )
        except ValueError:
            continue
        candidates.append(Path(found))
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return path
    raise FontMissing(
        "no CJK font found: install fonts-noto-cjk, or set DUBAN_FONT to a .ttf/.otf/.ttc file"
    )


def _family() -> str:
    path = find_cjk_font()
    return font_manager.FontProperties(fname=str(path)).get_name()


def render_chart(
    catalogue: Catalogue, history: History, now: dt.datetime, *, lang: str = "zh"
) -> bytes:
    """The chart as PNG bytes, 1600×1000 pixels, from a history (`duban chart --as-of`)."""
    readings = {ind.id: history.readings_for(ind.id) for ind in catalogue.indicators}
    return render_chart_of(catalogue, history.record(), readings, now, lang=lang)


def render_chart_of(
    catalogue: Catalogue,
    record: Record,
    readings: Mapping[str, Sequence[Reading]],
    now: dt.datetime,
    *,
    lang: str = "zh",
) -> bytes:
    """The chart as PNG bytes, 1600×1000 pixels, from the current state and each indicator's
    readings. At most `MAX_BUREAUS` bureaus (those with the most red, then yellow tasks) and
    `MAX_INDICATORS` indicators (the worst first) are drawn, so a large table stays legible
    (and quick to draw); the title says how many were left out."""
    family = _family()
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    indicators = _worst_indicators(catalogue, record, now)
    statuses = {
        s.task_id: s.light
        for s in table_status(catalogue, record, now, WorkCalendar(catalogue.calendar))
    }
    bureaus, by_light = _shown_bureaus(catalogue, statuses)
    today = now.astimezone(catalogue.tz).date()
    title = t(lang, "chart.title", title=catalogue.document.number, date=today.isoformat())
    left_out = len(catalogue.indicators) - len(indicators)
    if left_out:
        title += "\n" + t(lang, "chart.more_indicators", count=left_out)
    fig.suptitle(title, fontfamily=family, fontsize=14)
    grid = _grid(fig, [b.name for b in bureaus], len(indicators), two_lines=bool(left_out))
    total = sum(1 for b in catalogue.bureaus if catalogue.tasks_of(b.id))
    _bureau_bars(fig.add_subplot(grid[:, 0]), bureaus, by_light, total, lang, family)
    for i, ind in enumerate(indicators):
        ax = fig.add_subplot(grid[i // 2, 1 + i % 2])
        _indicator_plot(ax, catalogue, readings.get(ind.id, ()), ind.id, lang, family)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _width(text: str) -> int:
    """A label's width in half-em units: a Chinese character is two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _grid(fig: Figure, names: list[str], indicators: int, *, two_lines: bool) -> Any:
    """The figure's grid with fixed margins: the bureaus' names on the left get what the
    longest needs (a half-em is about 7 px at 10 pt). Matplotlib's constrained layout would
    measure every label instead, which took longer than drawing the chart."""
    cols = 2 if indicators else 0
    rows = max(1, math.ceil(indicators / 2)) if indicators else 1
    longest = max((_width(n) for n in names), default=8)
    left = min(0.3, (longest * 7 + 24) / WIDTH_PX)
    return fig.add_gridspec(
        rows, 1 + cols, width_ratios=[1.4] + [1] * cols, left=left, right=0.985,
        top=0.88 if two_lines else 0.91, bottom=0.11, wspace=0.18, hspace=0.62,
    )  # fmt: skip


def _worst_indicators(catalogue: Catalogue, record: Record, now: dt.datetime) -> list[Indicator]:
    """The indicators to draw: all of them, or the `MAX_INDICATORS` worst (red, then yellow,
    then those without a reading), in table order."""
    if len(catalogue.indicators) <= MAX_INDICATORS:
        return list(catalogue.indicators)
    ranked = sorted(
        enumerate(catalogue.indicators),
        key=lambda p: (indicator_status(catalogue, p[1], record, now).light.rank, p[0]),
    )
    return [ind for _, ind in sorted(ranked[:MAX_INDICATORS], key=lambda p: p[0])]


def _shown_bureaus(
    catalogue: Catalogue, statuses: dict[str, Light]
) -> tuple[list[Bureau], dict[Light, list[int]]]:
    """The bureaus to draw (table order; the `MAX_BUREAUS` with the most red, then yellow
    tasks when there are more) and their task counts by light."""
    bureaus = [b for b in catalogue.bureaus if catalogue.tasks_of(b.id)]
    counts = {b.id: Counter(statuses.get(x.id) for x in catalogue.tasks_of(b.id)) for b in bureaus}
    if len(bureaus) > MAX_BUREAUS:
        worst = sorted(
            range(len(bureaus)),
            key=lambda n: (
                -counts[bureaus[n].id][Light.RED],
                -counts[bureaus[n].id][Light.YELLOW],
                n,
            ),
        )
        bureaus = [bureaus[n] for n in worst[:MAX_BUREAUS]]
    by_light = {
        light: [counts[b.id][light] for b in bureaus]
        for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.DONE)
    }
    return bureaus, by_light


def _bureau_bars(
    ax: object,
    bureaus: list[Bureau],
    by_light: dict[Light, list[int]],
    total: int,
    lang: str,
    family: str,
) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    names = [b.name for b in bureaus]
    left = [0] * len(bureaus)
    for light, counts in by_light.items():
        ax.barh(
            names, counts, left=left, color=COLOURS[light], label=t(lang, f"light.{light.value}")
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    title = t(lang, "chart.bureaus")
    if len(bureaus) < total:
        title = t(lang, "chart.bureaus_top", count=len(bureaus), total=total)
    ax.set_title(title, fontfamily=family)
    ax.set_xlabel(t(lang, "chart.tasks"), fontfamily=family)
    for label in ax.get_yticklabels():
        label.set_fontfamily(family)
    ax.legend(prop={"family": family}, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=4)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _indicator_plot(
    ax: object,
    catalogue: Catalogue,
    history: Sequence[Reading],
    indicator_id: str,
    lang: str,
    family: str,
) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ind = catalogue.indicator(indicator_id)
    readings = [r for r in history if r.value is not None]
    goal = ind.target_value()
    if goal is None and ind.direction.value == "reduce_by_pct":
        goal = ind.target
    ax.set_title(f"{ind.name}（{ind.unit}）", fontfamily=family, fontsize=10)
    if readings:
        xs = [r.at.astimezone(catalogue.tz).replace(tzinfo=None) for r in readings]
        ax.plot(xs, [r.value for r in readings], marker="o", color="#3E63DD")  # type: ignore[arg-type]
        ax.tick_params(axis="x", labelsize=7, labelrotation=30)
    else:
        ax.text(
            0.5,
            0.5,
            t(lang, "chart.no_data"),
            ha="center",
            va="center",
            fontfamily=family,
            transform=ax.transAxes,
            color="#888888",
        )
        ax.set_xticks([])
    if goal is not None:
        ax.axhline(
            goal, linestyle="--", color="#E5484D", label=f"{t(lang, 'chart.target')} {goal:g}"
        )
        ax.legend(prop={"family": family, "size": 8}, loc="best")
