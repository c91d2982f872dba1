"""Shared fixtures."""

from __future__ import annotations

import pytest
from support import table

from bot.core.model import Catalogue


@pytest.fixture
def cat() -> Catalogue:
    """The small valid table of the validation tests."""
    return table()
