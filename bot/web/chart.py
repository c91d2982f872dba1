"""An indicator's readings plotted against its target line, as inline SVG drawn on the
server: no script, no CDN, Chinese labels as text (the browser's own CJK font draws them).

Pure: no aiohttp, Telegram or SQLite imports.
"""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

from bot.core.compose import fmt_value
from bot.core.history import Reading
from bot.core.i18n import t
from bot.core.model import Direction, Indicator

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 40


def goal(indicator: Indicator) -> float | None:
    """The value the target line is drawn at: the target itself; for a reduction with a
    baseline, the baseline reduced by the target percentage; without a baseline the readings
    are the reduction achieved in percent, so the line is the target percentage."""
    value = indicator.target_value()
    if value is None and indicator.direction is Direction.REDUCE_BY_PCT:
        return indicator.target
    return value


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _span(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if hi - lo < 1e-9:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.12
    return lo - pad, hi + pad


def _times(readings: list[Reading], due: dt.date | None, tz: ZoneInfo) -> tuple[float, float]:
    stamps = [r.at.timestamp() for r in readings]
    if due is not None:
        stamps.append(dt.datetime.combine(due, dt.time(12), tzinfo=tz).timestamp())
    lo, hi = min(stamps), max(stamps)
    if hi - lo < 86400:
        lo, hi = lo - 86400 * 15, hi + 86400 * 15
    return lo, hi


def svg(indicator: Indicator, readings: list[Reading], lang: str, tz: ZoneInfo) -> str:
    """The chart of one indicator: a line of its readings (a dot each, with its date and
    value as a tooltip), the dashed target line labelled with the target, the due date."""
    points = [r for r in readings if r.value is not None]
    target = goal(indicator)
    unit = indicator.unit
    title = _e(indicator.name)
    head = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{title}" data-indicator="{_e(indicator.id)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<text class="chart-title" x="{LEFT}" y="20">{title}（{_e(unit)}）</text>'
        if lang == "zh"
        else f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{title}" data-indicator="{_e(indicator.id)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<text class="chart-title" x="{LEFT}" y="20">{title} ({_e(unit)})</text>'
    )
    if not points:
        return (
            head
            + f'<text class="chart-empty" x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">'
            + _e(t(lang, "web.chart.no_readings"))
            + "</text></svg>"
        )
    values = [float(r.value) for r in points if r.value is not None]
    lo, hi = _span(values + ([target] if target is not None else []))
    t0, t1 = _times(points, indicator.due.due, tz)

    def x(stamp: float) -> float:
        return LEFT + (stamp - t0) / (t1 - t0) * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return TOP + (hi - value) / (hi - lo) * (HEIGHT - TOP - BOTTOM)

    parts = [head, _axes(lo, hi, t0, t1, y, tz)]
    if target is not None:
        label = t(lang, "web.chart.target", value=fmt_value(target), unit=unit)
        parts.append(
            f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(target):.1f}" '
            f'y2="{y(target):.1f}" stroke-dasharray="6 4"/>'
            f'<text class="target-label" x="{WIDTH - RIGHT}" y="{y(target) - 5:.1f}" '
            f'text-anchor="end">{_e(label)}</text>'
        )
    coords = [(x(r.at.timestamp()), y(float(r.value or 0))) for r in points]
    parts.append(
        '<polyline class="readings" fill="none" points="'
        + " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
        + '"/>'
    )
    for r, (a, b) in zip(points, coords, strict=True):
        when = r.at.astimezone(tz).strftime("%Y-%m-%d")
        tip = f"{when} {fmt_value(float(r.value or 0))} {unit}"
        parts.append(
            f'<circle class="reading" cx="{a:.1f}" cy="{b:.1f}" r="4"><title>{_e(tip)}</title>'
            "</circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _axes(lo: float, hi: float, t0: float, t1: float, y: object, tz: ZoneInfo) -> str:
    assert callable(y)
    out = [
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" '
        f'y2="{HEIGHT - BOTTOM}"/>'
    ]
    for i in range(5):
        value = lo + (hi - lo) * i / 4
        out.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{_e(fmt_value(round(value, 1)))}</text>"
        )
    for stamp, anchor, pos in ((t0, "start", LEFT), (t1, "end", WIDTH - RIGHT)):
        day = dt.datetime.fromtimestamp(stamp, tz).strftime("%Y-%m-%d")
        out.append(
            f'<text class="tick" x="{pos}" y="{HEIGHT - BOTTOM + 18}" '
            f'text-anchor="{anchor}">{day}</text>'
        )
    return "".join(out)
