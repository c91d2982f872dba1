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


def shipped_with_ids(ids: dict[str, int]) -> str:
    """The shipped table with Telegram ids for some of its people, by their placeholder name
    (`{"生态环境局联络员（示例）": 2001}`)."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "config" / "tasks.yaml").read_text("utf-8")
    for name, uid in ids.items():
        line = next(x for x in text.splitlines(keepends=True) if x.strip() == f"name: {name}")
        indent = line[: len(line) - len(line.lstrip())]
        text = text.replace(line, f"{line}{indent}telegram_id: {uid}\n", 1)
    return text
