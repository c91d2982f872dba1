"""The chart of a large table stays legible (issue #12): a table of 200 bureaus and 50
indicators draws the 30 bureaus with the most red, then yellow tasks and the 8 worst
indicators, and says how many it left out; a small table draws everything, as before."""

from __future__ import annotations

import datetime as dt
import struct

from catalogue.valid_table import VALID
from support import SH, table
from support_big import big_table_yaml

from bot.core.history import History, Reading
from bot.core.status import Light
from bot.reports.chart import (
    MAX_BUREAUS,
    MAX_INDICATORS,
    _shown_bureaus,
    _worst_indicators,
    render_chart_of,
)

NOW = dt.datetime(2023, 3, 1, 10, tzinfo=SH)


def test_of_two_hundred_bureaus_the_thirty_with_the_most_red_then_yellow_are_drawn() -> None:
    cat = table(big_table_yaml(300))
    red = {t.id for t in cat.tasks_of("b7")}
    yellow = {t.id for t in cat.tasks_of("b42")} - red
    lights = {t.id: Light.RED if t.id in red else Light.YELLOW if t.id in yellow else Light.GREEN
              for t in cat.tasks}  # fmt: skip
    bureaus, counts = _shown_bureaus(cat, lights)
    ids = [b.id for b in bureaus]
    assert len(ids) == MAX_BUREAUS < len([b for b in cat.bureaus if cat.tasks_of(b.id)])

    def worst(bureau: str) -> tuple[int, int]:
        tasks = cat.tasks_of(bureau)
        return (sum(lights[t.id] is Light.RED for t in tasks),
                sum(lights[t.id] is Light.YELLOW for t in tasks))  # fmt: skip

    left_out = [b.id for b in cat.bureaus if cat.tasks_of(b.id) and b.id not in ids]
    assert min(worst(b) for b in ids) >= max(worst(b) for b in left_out)
    assert "b7" in ids and counts[Light.RED][ids.index("b7")] == len(cat.tasks_of("b7"))


def test_of_fifty_indicators_the_worst_eight_are_drawn_in_table_order() -> None:
    cat = table(big_table_yaml(300))
    low = [Reading(n, f"ind{i}", 1.0, NOW, "c0-1") for n, i in enumerate((3, 30, 44), 1)]
    record = History(readings=low).record()  # off target (at least 50+): yellow, not due yet
    shown = [ind.id for ind in _worst_indicators(cat, record, NOW)]
    assert len(shown) == MAX_INDICATORS < len(cat.indicators)
    assert {"ind3", "ind30", "ind44"} <= set(shown)
    assert shown == sorted(shown, key=lambda i: int(i[3:]))


def test_a_small_table_is_drawn_whole() -> None:
    cat = table(VALID)
    assert len(_worst_indicators(cat, History().record(), NOW)) == len(cat.indicators)
    lights = {t.id: Light.GREEN for t in cat.tasks}
    assert len(_shown_bureaus(cat, lights)[0]) == len(
        [b for b in cat.bureaus if cat.tasks_of(b.id)]
    )


def test_the_large_chart_is_a_png_of_the_expected_size() -> None:
    png = render_chart_of(table(big_table_yaml(300)), History().record(), {}, NOW)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1600, 1000)
