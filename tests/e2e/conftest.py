"""Fixtures of the end-to-end tests (see e2e_support)."""

from __future__ import annotations

from e2e_support import emulator, env

__all__ = ["emulator", "env"]
