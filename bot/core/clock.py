"""The clock is a parameter: real time in production, simulated in rehearsals and tests."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current instant (aware, UTC)."""

    def now(self) -> dt.datetime:
        """The current instant."""
        ...

    def real_seconds(self, simulated: float) -> float:
        """Real seconds that `simulated` seconds of this clock take."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        """The current instant, in UTC."""
        return dt.datetime.now(dt.UTC)

    def real_seconds(self, simulated: float) -> float:
        """Real seconds that `simulated` seconds take (the same here)."""
        return simulated


class SimulatedClock:
    """A clock that starts at a given instant and runs `speed` times faster than real time."""

    def __init__(
        self,
        start: dt.datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock's start must be an aware datetime")
        if speed <= 0:
            raise ValueError("the clock's speed must be positive")
        self.start = start.astimezone(dt.UTC)
        self.speed = speed
        self._monotonic = monotonic
        self._t0 = monotonic()
        self._paused_at: float | None = None

    def now(self) -> dt.datetime:
        """The simulated instant, in UTC."""
        running = (self._paused_at or self._monotonic()) - self._t0
        return self.start + dt.timedelta(seconds=running * self.speed)

    def started_ago(self, seconds: float) -> None:
        """Line the clock up with another that started `seconds` (real time) ago."""
        self._t0 = self._monotonic() - seconds

    def pause(self) -> None:
        """Stop the clock (a rehearsal waits while someone types)."""
        if self._paused_at is None:
            self._paused_at = self._monotonic()

    def resume(self) -> None:
        """Let the clock run on from where it stopped."""
        if self._paused_at is not None:
            self._t0 += self._monotonic() - self._paused_at
            self._paused_at = None

    def real_seconds(self, simulated: float) -> float:
        """Real seconds that `simulated` seconds take."""
        return simulated / self.speed


class FixedClock:
    """A clock that stands still until moved: for tests."""

    def __init__(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("the clock needs an aware datetime")
        self.instant = instant

    def now(self) -> dt.datetime:
        """The instant it was set to."""
        return self.instant

    def advance(self, delta: dt.timedelta) -> None:
        """Move the clock forward."""
        self.instant += delta

    def real_seconds(self, simulated: float) -> float:
        """Real seconds that `simulated` seconds take (the same here)."""
        return simulated
