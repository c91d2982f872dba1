"""Scheduling and delivery: plan -> outbox -> send, one path for every message.

A short repeating job (`duban:tick`) asks the planner what is due by the bot's clock,
composes it and puts it in the outbox (pending, under its unique key, in one transaction);
the sender takes pending rows and sends them. Messages that operations queue (a claim for
the coordinators, its result for the claimant, an unreachable contact) take the same path.
A summary that does not fit one message goes as several, each row recorded with the message
that carried it.

Sending is paced by one limiter (`bot.limiter.Limiter`: Telegram's 30 messages a second
overall, 1 a second to a chat, 20 a minute to a group), so that 429 is an exception; the
engine keeps enough recipients served at once (`PARALLEL`) to fill the overall rate while each
chat waits its turn, and its sends give way to answers to users (`bulk`).

What happens when a send fails:
* 429: the limiter waits it out and retries; if it still fails the row waits `retry_after`
  and goes again.
* the request cannot have reached Telegram (refused, DNS, no connection in time) or Telegram
  answered 5xx: the transport retries; then the row goes back to pending with backoff, failed
  for good after `MAX_ATTEMPTS`.
* the request may have reached Telegram but its answer never came (read timeout): recorded
  `unknown` (maybe delivered), shown in /status, never sent again by itself.
* 403 (never started, blocked) or 400 "chat not found": failed; the contact is marked
  unreachable and the coordinators are told once.
* any other 400 is a bug of ours: failed, logged, shown in /status.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.core.compose import BUNDLE_AT, compose, compose_bundle
from bot.core.history import Record
from bot.core.nextdue import prepare
from bot.core.planner import Due, Kind, in_working_hours, plan
from bot.core.render import Rendered
from bot.limiter import bulk
from bot.service import leave, notices
from bot.service.base import World
from bot.transport import reached_server
from storage.repo import NewMessage, OutboxRow, Store

if TYPE_CHECKING:
    from bot.reports.bundle import DigestFiles
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TICK_JOB = "duban:tick"
#: Recipients served at once: enough to keep Telegram's 30 messages a second busy while each
#: chat gets one a second, few enough that a crash leaves little in flight (a recipient's
#: messages go one after the other).
PARALLEL = 48
#: Outbox rows taken per round of sending.
BATCH = 5_000


def markup(rendered: Rendered) -> InlineKeyboardMarkup | None:
    """Button specs as an inline keyboard."""
    if not rendered.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
            for row in rendered.buttons
        ]
    )


def row_rendered(row: OutboxRow) -> Rendered:
    """An outbox row's message."""
    from bot.core.render import Button

    return Rendered(
        row.text, tuple(tuple(Button(label, data) for label, data in r) for r in row.buttons)
    )


def _retry_after(err: RetryAfter) -> float:
    value: Any = err.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _message(
    world: World, d: Due, chat_id: int, rendered: Rendered, batch: str | None = None
) -> NewMessage:
    return NewMessage(
        key=d.key, kind=d.kind.value, recipient=d.recipient, chat_id=chat_id, slot=d.slot,
        text=rendered.text,
        buttons=tuple(tuple((b.label, b.data) for b in row) for row in rendered.buttons),
        task_id=d.task_id, subtask_id=d.subtask_id, indicator_id=d.indicator_id,
        bureau_id=d.bureau_id, batch=batch, ref_at=d.ref_at,
    )  # fmt: skip


def compose_messages(world: World, record: Record, due: Sequence[Due]) -> list[NewMessage]:
    """What the due items look like as outbox messages (digests are composed elsewhere)."""
    out: list[NewMessage] = []
    queues: dict[int, list[Due]] = {}
    due, routing = leave.route(world, record, due)  # leave and deputies (bot/service/leave.py)
    for d in due:
        if d.kind is not Kind.DIGEST:
            queues.setdefault(routing.chat[d.key], []).append(d)
    for chat, items in queues.items():
        foldable = [d for d in items if d.kind is not Kind.ESCALATION]
        if len(foldable) >= BUNDLE_AT or (chat in routing.fold and len(foldable) > 1):
            for chunk in compose_bundle(world.catalogue, foldable, world.lang):
                batch = chunk.items[0].key
                rendered = routing.marked([d.key for d in chunk.items], chunk.rendered)
                out += [_message(world, d, chat, rendered, batch) for d in chunk.items]
            items = [d for d in items if d not in foldable]
        for d in items:
            try:
                rendered = compose(world.catalogue, record, d, world.now, world.lang)
            except Exception:  # a bug of ours: one bad item must not stop the others
                log.exception("composing %s failed", d.key)
                continue
            out.append(_message(world, d, chat, routing.marked([d.key], rendered)))
    return routing.finish(out)


class Engine:
    """Plans into the outbox and sends from it."""

    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self._tick_lock = asyncio.Lock()
        self._flush_lock = asyncio.Lock()
        self._wakeups: set[asyncio.Task[int]] = set()
        self._files: tuple[dt.date, DigestFiles] | None = None
        self.ticks = 0
        self.stopping = False

    # -- planning

    async def tick(self) -> int:
        """Put what is due now in the outbox, then send what is pending; messages sent."""
        if self._tick_lock.locked() or self.stopping:
            return 0
        async with self._tick_lock:
            self.ticks += 1
            rt = self.runtime
            world = rt.world()
            if in_working_hours(world.catalogue, world.now, world.calendar):
                # the day's slots, off the loop (on a large table the first tick of a day
                # takes a while); planning then only checks them against the record
                await asyncio.to_thread(prepare, world.catalogue, world.calendar, world.now)
            unreachable = set(rt.reader.unreachable())
            due = [
                d
                for d in plan(world.catalogue, world.now, rt.record, world.calendar)
                if d.recipient in world.chats and d.recipient not in unreachable
            ]
            messages = compose_messages(world, rt.record, due)
            messages += await self._digests(world, [d for d in due if d.kind is Kind.DIGEST])
            if messages:
                await rt.write(Store.outbox_add, messages, world.now)
        return await self.flush()

    async def _digests(self, world: World, due: list[Due]) -> list[NewMessage]:
        if not due:
            return []
        text = await self.digest_text(world)
        return [_message(world, d, world.chats[d.recipient], Rendered(text)) for d in due]

    async def digest_text(self, world: World) -> str:
        """The weekly digest's text (its files are built with it and kept for the sends)."""
        return (await self.digest(world))[0]

    async def digest(self, world: World) -> tuple[str, DigestFiles]:
        """The weekly digest's text and files, built in processes of their own
        (`bot.reports.bundle.digest`); the files are kept for the coordinators' copies."""
        from bot.reports.bundle import digest

        text, files = await asyncio.to_thread(digest, self.runtime.db_path, world)
        self._files = (self._digest_day(world), files)
        return text, files

    def _digest_day(self, world: World) -> dt.date:
        return world.now.astimezone(world.catalogue.tz).date()

    async def digest_files(self, world: World) -> DigestFiles:
        """The files of today's digest: those built with its text, else built now (a digest
        left pending over a restart)."""
        if self._files is not None and self._files[0] == self._digest_day(world):
            return self._files[1]
        return (await self.digest(world))[1]

    # -- sending

    async def stop(self, grace: float = 8.0) -> None:
        """Stop sending: messages already handed to Telegram finish, the rest stay pending
        (sent after the restart); waits at most `grace` seconds."""
        self.stopping = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                async with self._tick_lock, self._flush_lock:
                    pass  # the running tick and sends are done
                await self.settle()

    def wake(self) -> None:
        """Send what is pending soon (after an operation queued messages)."""
        task = asyncio.get_running_loop().create_task(self.flush())
        self._wakeups.add(task)
        task.add_done_callback(self._wakeups.discard)

    async def settle(self) -> None:
        """Wait until the sends started by `wake` are done (tests, shutdown)."""
        while self._wakeups:
            await asyncio.gather(*list(self._wakeups), return_exceptions=True)

    async def flush(self) -> int:
        """Send every pending message that may go now; how many went out."""
        sent = 0
        async with self._flush_lock:
            while not self.stopping:
                rows = self.runtime.reader.outbox_due(self.runtime.now(), BATCH)
                rows = [r for r in rows if r.chat_id is not None]
                if not rows:
                    return sent
                done = await self._send_all(rows)
                if done == 0:
                    return sent
                sent += done
            return sent

    async def _send_all(self, rows: list[OutboxRow]) -> int:
        """Send rows (a summary's rows as one message): recipients in turn, one message each
        per round, so every chat advances at the overall pace and none waits at the end for
        its own one a second; a recipient's messages in order, one at a time; `PARALLEL`
        messages at most between claimed and answered."""
        units: dict[str, list[OutboxRow]] = {}
        for r in rows:
            units.setdefault(r.batch or r.key, []).append(r)
        queues: dict[str, list[list[OutboxRow]]] = {}
        for unit in units.values():
            queues.setdefault(unit[0].recipient, []).append(unit)
        turns = deque(
            unit
            for round_ in itertools.zip_longest(*queues.values())
            for unit in round_
            if unit is not None
        )
        locks = {recipient: asyncio.Lock() for recipient in queues}

        async def worker() -> int:
            sent = 0
            with bulk():
                while turns and not self.stopping:  # what is not handed over stays pending
                    unit = turns.popleft()
                    async with locks[unit[0].recipient]:
                        try:
                            sent += await self.send_unit(unit)
                        except Exception:  # one bad message must not stop the others
                            log.exception("sending %s failed", unit[0].key)
            return sent

        results = await asyncio.gather(*(worker() for _ in range(min(PARALLEL, len(turns)))))
        return sum(results)

    async def send_unit(self, rows: list[OutboxRow]) -> int:
        """Send one message (a single row or a summary's rows); rows sent."""
        rt = self.runtime
        keys = [r.key for r in rows]
        claimed = await rt.write(Store.outbox_claim, keys)
        if not claimed:
            return 0
        first = claimed[0]
        assert first.chat_id is not None
        keys = [r.key for r in claimed]
        try:
            message = await self._send(first.chat_id, row_rendered(first))
        except Exception as err:
            await self._failed(claimed, err)
            return 0
        await rt.write(Store.outbox_sent, keys, message.message_id, rt.now())
        log.info(
            "sent %s to %s (message %s)", ",".join(keys[:3]), first.recipient, message.message_id
        )
        if first.kind == Kind.DIGEST.value:
            await self.digest_attachments(first.chat_id)
        return len(keys)

    async def _send(self, chat_id: int, rendered: Rendered) -> Message:
        return await self.bot.send_message(
            chat_id, rendered.text, parse_mode="HTML", reply_markup=markup(rendered)
        )

    async def _failed(self, rows: list[OutboxRow], err: Exception) -> None:
        rt = self.runtime
        now = rt.now()
        keys = [r.key for r in rows]
        recipient = rows[0].recipient
        if isinstance(err, Forbidden) or (
            isinstance(err, BadRequest) and "chat not found" in err.message.lower()
        ):
            await rt.write(Store.outbox_failed, keys, f"{type(err).__name__}: {err}", now)
            if await rt.write(notices.unreachable, rt.world(), recipient, str(err)):
                self.wake()
            return
        if isinstance(err, BadRequest):
            log.error("Telegram refused %s: %s", keys[0], err.message)
            await rt.write(Store.outbox_failed, keys, f"400 {err.message}", now)
            return
        if isinstance(err, RetryAfter):
            later = now + dt.timedelta(seconds=_retry_after(err))
            await rt.write(Store.outbox_retry, keys, "429", later)
            return
        if isinstance(err, TelegramError) and reached_server(err):
            log.warning("no answer from Telegram for %s (%s): delivery unknown", keys[0], err)
            await rt.write(Store.outbox_unknown, keys, f"{type(err).__name__}: {err}", now)
            return
        if not isinstance(err, TelegramError):
            log.error("sending %s failed: %r", keys[0], err)
        attempts = max(r.attempts for r in rows)
        if attempts >= MAX_ATTEMPTS:
            log.error("giving up on %s after %d attempts: %s", keys[0], attempts, err)
            await rt.write(Store.outbox_failed, keys, str(err) or repr(err), now)
            return
        later = now + dt.timedelta(seconds=min(600, 5 * 2**attempts))
        await rt.write(Store.outbox_retry, keys, str(err) or repr(err), later)

    async def digest_attachments(self, chat_id: int) -> None:
        """The chart, the workbook of the week and every answer as CSV, attached to the
        digest (best effort)."""
        world = self.runtime.world()
        try:
            files = await self.digest_files(world)
            day = f"{world.now.astimezone(world.catalogue.tz):%Y%m%d}"
            await self.bot.send_photo(chat_id, InputFile(files.png, filename="chart.png"))
            await self.bot.send_document(
                chat_id, InputFile(files.xlsx, filename=f"duban-{day}.xlsx")
            )
            await self.bot.send_document(
                chat_id,
                InputFile(files.csv, filename=f"duban-updates-{day}.csv"),
                caption=world.t("digest.csv_caption", count=files.answers),
            )
        except Exception:
            log.exception("digest attachments failed")
