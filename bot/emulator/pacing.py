"""What a benchmark needs to judge a bot's pacing: the messages the emulator accepted,
each with its chat and the emulator's clock, summed up as rates and window maxima."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any


def max_in_window(times: Sequence[float], seconds: float) -> int:
    """The most instants of `times` (sorted) within any window [t, t + seconds)."""
    best = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best


def summary(sends: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Of accepted sends ({chat_id, t, ok}; refused ones, ok false, are left out):

    count, span (s from first to last), rate (messages a second over the span; 0 for
    fewer than two), max_per_second (overall, any 1 s window), and per chat
    {chat_id: {count, max_per_second, max_per_minute}} (1 s and 60 s windows).
    """
    accepted = sorted((s for s in sends if s.get("ok", True)), key=lambda s: float(s["t"]))
    times = [float(s["t"]) for s in accepted]
    by_chat: dict[int, list[float]] = defaultdict(list)
    for s in accepted:
        by_chat[int(s["chat_id"])].append(float(s["t"]))
    span = times[-1] - times[0] if times else 0.0
    return {
        "count": len(times),
        "span": span,
        "rate": (len(times) - 1) / span if span > 0 else 0.0,
        "max_per_second": max_in_window(times, 1.0),
        "chats": {
            chat: {
                "count": len(ts),
                "max_per_second": max_in_window(ts, 1.0),
                "max_per_minute": max_in_window(ts, 60.0),
            }
            for chat, ts in sorted(by_chat.items())
        },
    }
