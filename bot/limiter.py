"""One sending limiter that keeps to Telegram's rules, so that 429 is an exception, not the
pacing mechanism (python-telegram-bot's `BaseRateLimiter`, replacing its `AIORateLimiter`,
which paces the overall rate but lets one chat get a burst, and waits for 429s to pace it).

The rules (`Rules`; Telegram publishes them loosely, the emulator enforces them exactly):

* overall: at most 30 messages in any second. A message counts from when its request leaves
  until one second after its answer came back: Telegram counts it at some instant in between,
  so however the network delays it, the 30 in Telegram's window are never more than the 30
  counted here. Starts are spread evenly (one every 1/30 s, a few at once to catch up
  after a delay), not sent in bursts of 30.
* a private chat: one message a second, after a burst of at most 3 (Telegram tolerates short
  bursts; the emulator 5): a token bucket per chat.
* a group (a negative chat id, or a @channel name): 20 messages in any minute, counted like
  the overall rule.

Only requests that send a message count (`SENDS`): answering a button press, editing a
message, reading updates are not messages and are never held.

Answers to users go before queued bulk sends: the engine marks its sends as bulk (`bulk()`),
and a waiting answer takes the next free slot (of its chat, and overall). A 429 that still
comes (the limits changed, another client of the same token) is waited out: the chat and the
overall rate pause for its `retry_after`, the request is retried (at most `max_retries`
times, then the 429 goes to the caller), and it is counted (`stats`).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import itertools
import logging
import math
import time
from collections import deque
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

#: Bot API methods that send a message (what the flood limits count).
SENDS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo", "sendAnimation",
        "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue",
        "sendContact", "sendPoll", "sendDice", "sendSticker", "sendInvoice", "sendPaidMedia",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip

#: Starts that may go at once to catch up with the even pace after the event loop was late.
CATCH_UP = 3

_BULK: ContextVar[bool] = ContextVar("duban_bulk_send", default=False)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Sends made inside this block (in this task) wait behind answers to users."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


@dataclass(frozen=True)
class Rules:
    """Telegram's flood limits."""

    overall: int = 30  # messages in any `window` seconds, all chats together
    window: float = 1.0
    chat_rate: float = 1.0  # a private chat: messages a second...
    chat_burst: int = 3  # ...after a burst of this many
    group: int = 20  # a group: messages in any `group_window` seconds
    group_window: float = 60.0


@dataclass
class _Chat:
    """What a chat's next message waits for."""

    ready: float = 0.0  # private: the bucket's theoretical arrival time (GCRA)
    held: float = 0.0  # a 429's retry_after ends
    done: deque[float] = field(default_factory=deque)  # group: answers of the last minute
    flying: int = 0  # group: requests in flight


@dataclass(order=True)
class _Waiter:
    priority: int
    seq: int
    chat: int | str | None = field(compare=False)
    future: asyncio.Future[None] = field(compare=False)


def _chat_key(raw: object) -> int | str | None:
    if raw is None:
        return None
    try:
        return int(str(raw))
    except ValueError:
        return str(raw)  # @channelusername


def _is_group(chat: int | str) -> bool:
    return isinstance(chat, str) or chat < 0


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class Limiter(BaseRateLimiter[int]):
    """Paces every message by Telegram's rules (see the module docstring). `rate_limit_args`
    of a call, when given, is its number of retries after a 429."""

    def __init__(
        self,
        rules: Rules | None = None,
        *,
        max_retries: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rules = rules or Rules()
        self.max_retries = max_retries
        self.clock = clock
        self._spacing = self.rules.window / self.rules.overall
        self._catch_up = CATCH_UP * self._spacing
        self._next_start = -math.inf  # the overall pace's theoretical arrival time (GCRA)
        self._held = -math.inf  # a 429 of unknown cause pauses everything until then
        self._done: deque[float] = deque()  # when the answers of the last window came
        self._flying = 0
        self._chats: dict[int | str, _Chat] = {}
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self.sent = 0
        self.retried_429 = 0
        self.waited = 0.0
        self.max_wait = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Stop the timer; waiting requests are left to their callers' cancellation."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def stats(self) -> dict[str, float]:
        """Messages sent, 429s waited out, total and longest wait for a slot (seconds)."""
        return {
            "sent": self.sent,
            "retried_429": self.retried_429,
            "waited_s": round(self.waited, 3),
            "max_wait_s": round(self.max_wait, 3),
        }

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send when the rules allow; wait out a 429 and try again."""
        if endpoint not in SENDS:
            return await callback(*args, **kwargs)
        chat = _chat_key(data.get("chat_id"))
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        for attempt in itertools.count():
            await self._acquire(chat)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as err:
                self._release(chat)
                self._hold(chat, _seconds(err.retry_after))
                if attempt >= retries:
                    raise
                continue
            except BaseException:
                self._release(chat)
                raise
            self._release(chat)
            self.sent += 1
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    # -- slots

    async def _acquire(self, chat: int | str | None) -> None:
        loop = asyncio.get_running_loop()
        waiter = _Waiter(1 if _BULK.get() else 0, next(self._seq), chat, loop.create_future())
        bisect.insort(self._waiting, waiter)  # answers before bulk sends, each in order
        t0 = self.clock()
        self._pump()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self._release(chat)  # granted, but the caller went away before using it
            raise
        waited = self.clock() - t0
        self.waited += waited
        self.max_wait = max(self.max_wait, waited)

    def _chat(self, chat: int | str) -> _Chat:
        found = self._chats.get(chat)
        if found is None:
            found = self._chats[chat] = _Chat()
        return found

    def _chat_ready(self, chat: int | str | None, now: float) -> float:
        """When the chat's rule lets its next message go."""
        if chat is None:
            return now
        c = self._chat(chat)
        if _is_group(chat):
            while c.done and c.done[0] <= now - self.rules.group_window:
                c.done.popleft()
            ready = now
            if len(c.done) + c.flying >= self.rules.group:
                ready = c.done[0] + self.rules.group_window if c.done else math.inf
            return max(ready, c.held)
        tolerance = (self.rules.chat_burst - 1) / self.rules.chat_rate
        return max(c.ready - tolerance, c.held)

    def _overall_ready(self, now: float) -> float:
        while self._done and self._done[0] <= now - self.rules.window:
            self._done.popleft()
        ready = max(self._next_start - self._catch_up, self._held)
        if len(self._done) + self._flying >= self.rules.overall:
            ready = max(ready, self._done[0] + self.rules.window if self._done else math.inf)
        return ready

    def _grant(self, waiter: _Waiter, now: float) -> None:
        self._flying += 1
        self._next_start = max(self._next_start, now) + self._spacing
        chat = waiter.chat
        if chat is not None:
            c = self._chat(chat)
            if _is_group(chat):
                c.flying += 1
            else:
                c.ready = max(c.ready, now) + 1 / self.rules.chat_rate
        waiter.future.set_result(None)

    def _release(self, chat: int | str | None) -> None:
        now = self.clock()
        self._flying -= 1
        self._done.append(now)
        if chat is not None and _is_group(chat):
            c = self._chat(chat)
            c.flying -= 1
            c.done.append(now)
        self._pump()

    def _hold(self, chat: int | str | None, seconds: float) -> None:
        until = self.clock() + seconds
        self.retried_429 += 1
        log.warning("429 for chat %s: waiting %.1f s", chat, seconds)
        self._held = max(self._held, until)
        if chat is not None:
            c = self._chat(chat)
            c.held = max(c.held, until)
        self._pump()

    def _pump(self) -> None:
        """Grant what may go now, answers first, each chat in order; wake up when the next
        one may."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.clock()
        wake = math.inf
        blocked: set[int | str | None] = set()
        keep: list[_Waiter] = []
        for n, waiter in enumerate(self._waiting):
            if waiter.future.done():
                continue  # cancelled while waiting
            overall = self._overall_ready(now)
            if overall > now:  # nothing more goes now: the rest keep their places
                keep += (w for w in self._waiting[n:] if not w.future.done())
                wake = min(wake, overall)
                break
            ready = self._chat_ready(waiter.chat, now) if waiter.chat not in blocked else math.inf
            if ready > now:  # its chat waits (and so do its chat's later messages)
                keep.append(waiter)
                blocked.add(waiter.chat)
                wake = min(wake, ready)
                continue
            self._grant(waiter, now)
        self._waiting = keep
        if keep and wake < math.inf:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(0.0, wake - now), self._pump)
