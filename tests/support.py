"""Helpers shared by the tests: the small valid table, times in the office's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from catalogue.valid_table import VALID

from bot.core.catalogue import parse_catalogue
from bot.core.model import Catalogue

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """'2025-12-01 09:00' in Asia/Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def table(text: str = VALID) -> Catalogue:
    """A catalogue from YAML text (fails the test if it does not validate)."""
    result = parse_catalogue(text, "tasks.yaml")
    assert result.catalogue is not None, [p.code for p in result.errors]
    return result.catalogue
