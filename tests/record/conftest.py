"""Fixtures for the tests of the record (the harness fixture lives in tests/conftest.py)."""

from __future__ import annotations

from harness import emulator_http

__all__ = ["emulator_http"]
