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

    def now(self) -> dt.datetime:
        """The simulated instant, in UTC."""
        return self.start + dt.timedelta(seconds=(self._monotonic() - self._t0) * self.speed)

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
