"""Speed and memory of validating a table far larger than any real one: `make bench`.

10,000 tasks, 33,000 sub-items, 200 bureaus with aliases and two contacts each (about 6 MB).
Measured on a shared 2-core machine when written: about 1.5 s and 84 MB traced peak (the
pure-Python loader took 13-23 s and 400 MB).
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support_big import big_table_yaml

from bot.core.catalogue import parse_catalogue


@pytest.fixture(scope="module")
def text() -> str:
    return big_table_yaml(10_000)


def test_validate_ten_thousand_tasks(benchmark, text) -> None:  # type: ignore[no-untyped-def]
    result = benchmark.pedantic(parse_catalogue, args=(text, "big.yaml"), rounds=3, iterations=1)
    assert result.ok and len(result.catalogue.tasks) == 10_000


def test_memory_of_validating_ten_thousand_tasks(benchmark, text) -> None:  # type: ignore[no-untyped-def]
    """Peak traced memory of one validation (extra info, in MiB)."""

    def validate() -> int:
        tracemalloc.start()
        parse_catalogue(text, "big.yaml")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak = benchmark.pedantic(validate, rounds=1, iterations=1)
    benchmark.extra_info["peak_mib"] = round(peak / 2**20)
    assert peak > 0
