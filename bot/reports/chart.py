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
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.history import History
from bot.core.i18n import t
from bot.core.model import Catalogue
from bot.core.status import Light, table_status
from bot.core.workdays import WorkCalendar

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
    """The chart as PNG bytes, 1600×1000 pixels."""
    family = _family()
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    fig.set_layout_engine("constrained")
    indicators = list(catalogue.indicators)
    cols = 2 if indicators else 0
    rows = max(1, math.ceil(len(indicators) / 2)) if indicators else 1
    grid = fig.add_gridspec(rows, 1 + cols, width_ratios=[1.4] + [1] * cols)
    today = now.astimezone(catalogue.tz).date()
    fig.suptitle(
        t(lang, "chart.title", title=catalogue.document.number, date=today.isoformat()),
        fontfamily=family,
        fontsize=14,
    )
    _bureau_bars(fig.add_subplot(grid[:, 0]), catalogue, history, now, lang, family)
    for i, ind in enumerate(indicators):
        ax = fig.add_subplot(grid[i // 2, 1 + i % 2])
        _indicator_plot(ax, catalogue, history, ind.id, lang, family)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _bureau_bars(
    ax: object, catalogue: Catalogue, history: History, now: dt.datetime, lang: str, family: str
) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    statuses = {
        s.task_id: s.light
        for s in table_status(catalogue, history.record(), now, WorkCalendar(catalogue.calendar))
    }
    bureaus = [b for b in catalogue.bureaus if catalogue.tasks_of(b.id)]
    names = [b.name for b in bureaus]
    left = [0] * len(bureaus)
    for light in (Light.RED, Light.YELLOW, Light.GREEN, Light.DONE):
        counts = [
            sum(statuses.get(x.id) is light for x in catalogue.tasks_of(b.id)) for b in bureaus
        ]
        ax.barh(
            names, counts, left=left, color=COLOURS[light], label=t(lang, f"light.{light.value}")
        )
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.set_title(t(lang, "chart.bureaus"), fontfamily=family)
    ax.set_xlabel(t(lang, "chart.tasks"), fontfamily=family)
    for label in ax.get_yticklabels():
        label.set_fontfamily(family)
    ax.legend(prop={"family": family}, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=4)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _indicator_plot(
    ax: object, catalogue: Catalogue, history: History, indicator_id: str, lang: str, family: str
) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ind = catalogue.indicator(indicator_id)
    readings = [r for r in history.readings_for(ind.id) if r.value is not None]
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
