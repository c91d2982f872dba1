"""Scheduling and delivery: the edge between the pure planner and Telegram.

One short repeating job (``duban:tick``, a deterministic name, so re-planning replaces
it instead of adding another) asks the planner what is due by the bot's clock and hands
each item to the outbox. Each message is recorded in SQLite under its unique key
before it is sent; a key already sent is never sent again.

Errors: 429 waits ``retry_after`` and retries; network errors and 5xx retry with
backoff, then go back to pending for the next tick (failed for good after
``MAX_ATTEMPTS``); 403 marks the contact unreachable and alerts the coordinators
once; 400 is a bug of ours: failed, logged, shown in ``/status``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.core.compose import BUNDLE_AT, compose, compose_bundle
from bot.core.history import History
from bot.core.i18n import t
from bot.core.model import Role
from bot.core.planner import Due, Kind, plan
from bot.core.render import Rendered, esc

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TICK_JOB = "duban:tick"


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


def _retry_after_seconds(err: RetryAfter) -> float:
    value: Any = err.retry_after
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return float(value)


async def send_with_retry(
    bot: Bot,
    chat_id: int,
    rendered: Rendered,
    *,
    attempts: int = 4,
    document: tuple[str, bytes] | None = None,
    photo: bytes | None = None,
) -> Message:
    """Send a message, waiting out 429s and retrying network errors with backoff.

    Raises Forbidden and BadRequest at once; other errors after the last attempt.
    """
    delay = 0.5
    for attempt in range(1, attempts + 1):
        try:
            if document is not None:
                return await bot.send_document(
                    chat_id,
                    InputFile(document[1], filename=document[0]),
                    caption=rendered.text or None,
                    parse_mode="HTML",
                )
            if photo is not None:
                return await bot.send_photo(
                    chat_id, InputFile(photo, filename="chart.png"), caption=rendered.text or None
                )
            return await bot.send_message(
                chat_id, rendered.text, parse_mode="HTML", reply_markup=markup(rendered)
            )
        except RetryAfter as err:
            wait = _retry_after_seconds(err)
            log.warning("429 from Telegram for chat %s: waiting %.1fs", chat_id, wait)
            await asyncio.sleep(wait)
        except (Forbidden, BadRequest):
            raise
        except NetworkError as err:
            if attempt == attempts:
                raise
            log.warning("network error for chat %s (%s): retry in %.1fs", chat_id, err, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 8.0)
    raise NetworkError("too many 429 answers")


class Engine:
    """Plans, records and sends; one tick at a time."""

    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self._lock = asyncio.Lock()
        # Recipients served at once: enough to keep Telegram's 30 a second busy, few enough
        # that a crash leaves little in flight.
        self._parallel = asyncio.Semaphore(8)
        self.ticks = 0

    async def tick(self) -> int:
        """Send what is due now; returns the number of messages sent."""
        if self._lock.locked():
            return 0
        async with self._lock:
            self.ticks += 1
            rt = self.runtime
            now = rt.now()
            history = rt.history()
            due = plan(rt.catalogue, now, history, rt.calendar)
            # One queue per recipient, in slot order; recipients in parallel, so a 429 on
            # one chat (about 1 message a second per chat) does not hold up the others.
            queues: dict[str, list[Due]] = {}
            for item in due:
                queues.setdefault(item.recipient, []).append(item)
            results = await asyncio.gather(*(self._drain(q, now, history) for q in queues.values()))
            return sum(results)

    async def _drain(self, items: list[Due], now: dt.datetime, history: History) -> int:
        async with self._parallel:
            return await self._drain_one(items, now, history)

    async def _drain_one(self, items: list[Due], now: dt.datetime, history: History) -> int:
        foldable = [d for d in items if d.kind not in (Kind.DIGEST, Kind.ESCALATION)]
        if len(foldable) >= BUNDLE_AT:
            try:
                bundled = await self.deliver_bundle(foldable, now, history)
            except Exception:
                log.exception("delivering a summary to %s failed", foldable[0].recipient)
                bundled = 0
            items = [d for d in items if d not in foldable]
            sent = bundled
        else:
            sent = 0
        for item in items:
            try:
                if await self.deliver(item, now, history):
                    sent += 1
            except Exception:  # one bad item must not stop the others
                log.exception("delivering %s failed", item.key)
        return sent

    def _chat_for(self, item: Due) -> int | None:
        return self.runtime.chat_id_for(item.recipient)

    async def deliver(self, item: Due, now: dt.datetime, history: History | None = None) -> bool:
        """Record and send one planned message; True when it went out.

        `history` is the tick's (read once per tick); the outbox claim is what prevents a
        second send, not the history.
        """
        rt = self.runtime
        chat_id = self._chat_for(item)
        if chat_id is None:
            # Not bound yet: nothing to send to. The planner offers it again at the next
            # tick, so it goes out once the contact starts the bot; the digest names them.
            return False
        if item.recipient in rt.store.unreachable():
            return False
        history = history or rt.history()
        try:
            if item.kind is Kind.DIGEST:
                rendered = Rendered(self.digest_text(item, now))
            else:
                rendered = compose(rt.catalogue, history, item, now, rt.lang)
        except Exception as err:
            # A bug of ours: record it as failed (shown in /status) instead of retrying forever.
            log.exception("composing %s failed", item.key)
            if rt.store.outbox_claim(
                key=item.key,
                kind=item.kind.value,
                recipient=item.recipient,
                slot=item.slot,
                at=now,
                chat_id=chat_id,
                task_id=item.task_id,
            ):
                rt.store.outbox_failed(item.key, f"compose: {err!r}", rt.now())
            return False
        row = rt.store.outbox_claim(
            key=item.key,
            kind=item.kind.value,
            recipient=item.recipient,
            slot=item.slot,
            at=now,
            chat_id=chat_id,
            task_id=item.task_id,
            subtask_id=item.subtask_id,
            indicator_id=item.indicator_id,
            bureau_id=item.bureau_id,
            text=rendered.text,
        )
        if row is None:
            return False  # already sent, in flight, or failed for good
        try:
            message = await send_with_retry(self.bot, chat_id, rendered)
        except Forbidden as err:
            rt.store.outbox_failed(item.key, f"403 {err.message}", rt.now())
            await self.unreachable(item.recipient, str(err.message))
            return False
        except BadRequest as err:
            rt.store.outbox_failed(item.key, f"400 {err.message}", rt.now())
            if "chat not found" in err.message.lower():
                # an id Telegram does not know for this bot: a contact problem, like a 403
                await self.unreachable(item.recipient, str(err.message))
            else:
                log.error("Telegram refused %s: %s", item.key, err.message)
            return False
        except TelegramError as err:
            if row.attempts >= MAX_ATTEMPTS:
                log.error("giving up on %s after %d attempts: %s", item.key, row.attempts, err)
                rt.store.outbox_failed(item.key, str(err), rt.now())
            else:
                rt.store.outbox_retry(item.key, str(err))
            return False
        rt.store.outbox_sent(item.key, message.message_id, rt.now())
        log.info("sent %s to %s (message %s)", item.key, item.recipient, message.message_id)
        if item.kind is Kind.DIGEST:
            await self.digest_attachments(chat_id, now)
        return True

    async def deliver_bundle(self, items: list[Due], now: dt.datetime, history: History) -> int:
        """Several messages due to one recipient at once, as one summary (each key recorded)."""
        rt = self.runtime
        recipient = items[0].recipient
        chat_id = self.runtime.chat_id_for(recipient)
        if chat_id is None or recipient in rt.store.unreachable():
            return 0
        rendered = compose_bundle(rt.catalogue, history, items, now, rt.lang)
        claimed = [
            d
            for d in items
            if rt.store.outbox_claim(
                key=d.key, kind=d.kind.value, recipient=d.recipient, slot=d.slot, at=now,
                chat_id=chat_id, task_id=d.task_id, subtask_id=d.subtask_id,
                indicator_id=d.indicator_id, bureau_id=d.bureau_id, text=rendered.text,
            )
        ]  # fmt: skip
        if not claimed:
            return 0
        try:
            message = await send_with_retry(self.bot, chat_id, rendered)
        except Forbidden as err:
            for d in claimed:
                rt.store.outbox_failed(d.key, f"403 {err.message}", rt.now())
            await self.unreachable(recipient, str(err.message))
            return 0
        except TelegramError as err:
            for d in claimed:
                rt.store.outbox_retry(d.key, str(err))
            return 0
        for d in claimed:
            rt.store.outbox_sent(d.key, message.message_id, rt.now())
        log.info("sent %d items to %s as one summary", len(claimed), recipient)
        return len(claimed)

    def digest_text(self, item: Due, now: dt.datetime) -> str:
        """The weekly digest for a coordinator."""
        from bot.reports.digest import build_digest

        rt = self.runtime
        history = rt.history()
        bound = {b.member_id for b in rt.store.bindings()}
        open_bureaus = {
            b
            for task in rt.catalogue.tasks
            if not history.closed(task.id)
            for b in rt.catalogue.bureaus_of(task)
        }
        unbound = [
            c.id
            for c in rt.catalogue.contacts()
            if c.id not in bound and c.bureau_id in open_bureaus
        ]
        failed = [r.key for r in rt.store.outbox_rows("failed")]
        return build_digest(
            rt.catalogue,
            history,
            now,
            lang=rt.lang,
            since=now - dt.timedelta(days=7),
            unbound=unbound,
            failed=failed,
        )

    async def digest_attachments(self, chat_id: int, now: dt.datetime) -> None:
        """The chart and the Excel table, attached to the digest (best effort)."""
        rt = self.runtime
        try:
            from bot.reports.chart import render_chart
            from bot.reports.excel import build_workbook

            history = rt.history()
            png = render_chart(rt.catalogue, history, now, lang=rt.lang)
            await send_with_retry(self.bot, chat_id, Rendered(""), photo=png)
            xlsx = build_workbook(
                rt.catalogue,
                history,
                now,
                archived=rt.store.entities("task", archived=True),
                lang=rt.lang,
            )
            name = f"duban-{now.astimezone(rt.catalogue.tz):%Y%m%d}.xlsx"
            await send_with_retry(self.bot, chat_id, Rendered(""), document=(name, xlsx))
        except Exception:
            log.exception("digest attachments failed")

    async def unreachable(self, member_id: str, reason: str) -> None:
        """A 403: mark the contact unreachable and tell the coordinators once."""
        rt = self.runtime
        if not rt.store.mark_unreachable(member_id, rt.now(), reason):
            return
        try:
            contact = rt.catalogue.contact(member_id)
            bureau = rt.catalogue.bureau(contact.bureau_id).name
            name = contact.name
        except KeyError:
            name, bureau = rt.member_name(member_id), ""
        text = t(rt.lang, "msg.unreachable", contact=esc(name), bureau=esc(bureau))
        for person in rt.catalogue.with_role(Role.COORDINATOR):
            chat = rt.chat_id_for(person.id)
            if chat is None:
                continue
            try:
                await send_with_retry(self.bot, chat, Rendered(text))
            except TelegramError as err:
                log.error("could not alert %s about %s: %s", person.id, member_id, err)
