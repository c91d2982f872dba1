"""A `$` in a bureau's or an indicator's name is text, not TeX: the chart (and so the weekly
digest's chart and /status chart) is drawn, never an error (found by the red team: mathtext
failed on `$\\frac{a}{b$`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from bot.core.catalogue import load_catalogue
from bot.core.history import History
from bot.reports.chart import render_chart


def test_dollar_signs_in_names_are_drawn_as_text() -> None:
    cat = load_catalogue(Path(__file__).resolve().parents[2] / "config" / "tasks.yaml").catalogue
    assert cat is not None
    bureaus = tuple(
        replace(b, name="生态$\\frac{a}{b$环境局") if b.id == "eco" else b for b in cat.bureaus
    )
    indicators = tuple(replace(i, name=f"{i.name}$^{{x$", unit="$m^3$") for i in cat.indicators)
    cat = replace(cat, bureaus=bureaus, indicators=indicators)
    png = render_chart(cat, History([], [], []), dt.datetime(2025, 12, 1, tzinfo=dt.UTC))
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
