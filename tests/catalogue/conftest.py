"""Fixtures for the catalogue tests."""

from __future__ import annotations

import pytest
from valid_table import VALID


@pytest.fixture
def valid_yaml() -> str:
    """The valid table's text."""
    return VALID
