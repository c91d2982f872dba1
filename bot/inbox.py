"""Updates written down before they are confirmed, handled from there, resumed at a restart.

`InboxQueue` is python-telegram-bot's update queue: the poller (and the webhook server) put
each update into it, and only then ask Telegram for the next ones, which confirms the earlier
ones. Its `put` writes the update to the inbox file first (see `storage.inbox`), so a crash
after that loses nothing.

`DubanApplication.process_update` handles an update from the queue; the handler's operation
marks it handled in the same transaction as its effect. When the database is locked by
another process longer than a write may wait (`storage.repo.Busy`), the update is kept and
tried again later, and so is every later update of the same user (their order matters: a
note follows the button it explains); other users go on meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.core.clock import Clock
from storage.inbox import Inbox
from storage.repo import Busy, Store

log = logging.getLogger(__name__)

#: Seconds between attempts at updates kept while the database was locked.
RETRY_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
#: Updates between prunings of the inbox.
PRUNE_EVERY = 500


class InboxQueue(asyncio.Queue[object]):
    """An update queue that writes each update to the inbox before accepting it."""

    def __init__(self, inbox: Inbox, clock: Clock) -> None:
        super().__init__()
        self.inbox = inbox
        self.clock = clock
        self._puts = 0

    async def put(self, item: object) -> None:
        """Write an update down (durably) and queue it; a redelivered update is dropped."""
        now = dt.datetime.now(dt.UTC)
        fresh = not isinstance(item, Update) or self.inbox.put(item.update_id, item.to_dict(), now)
        if not fresh:
            log.info("update %s was received before: not handled again", item)
            return
        self._puts += 1
        if self._puts % PRUNE_EVERY == 0:
            self.inbox.prune(now)
        await super().put(item)

    def put_stored(self, update: Update) -> None:
        """Queue an update that is already in the inbox (resumed at start)."""
        super().put_nowait(update)


class DubanApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, handling updates from the inbox and keeping those that cannot be
    written yet."""

    inbox: Inbox

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._busy: set[int] = set()
        self._waiting: OrderedDict[int, Update] = OrderedDict()  # update id -> update
        self._blocked: set[int] = set()  # users with updates waiting
        self._retry_task: asyncio.Task[None] | None = None
        #: Awaited first when the application stops (the engine stops sending).
        self.before_stop: list[Callable[[], Awaitable[None]]] = []

    async def stop(self) -> None:
        """Stop: the hooks first (in-flight sends finish), then python-telegram-bot's stop
        (updates already taken in are handled, the rest wait in the inbox)."""
        for hook in self.before_stop:
            await hook()
        await super().stop()

    async def resume_inbox(self, store: Store) -> int:
        """Queue the updates written down but not handled before the last stop."""
        waiting = self.inbox.waiting()
        handled = store.processed([uid for uid, _ in waiting])
        queued = 0
        for uid, payload in waiting:
            if uid in handled:
                self.inbox.done(uid)
                continue
            update = Update.de_json(payload, self.bot)
            assert isinstance(self.update_queue, InboxQueue)
            self.update_queue.put_stored(update)
            queued += 1
        if queued:
            log.warning("%d updates received before the last stop are handled now", queued)
        self.inbox.prune(dt.datetime.now(dt.UTC))
        return queued

    async def process_update(self, update: object) -> None:
        """Handle one update; keep it for later if the database was locked."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        user = update.effective_user.id if update.effective_user else None
        if user is not None and user in self._blocked:
            self._keep(update, user)
            return
        if await self._handle(update):
            return
        self._keep(update, user)

    async def _handle(self, update: Update) -> bool:
        """Handle an update; False when the database was too busy to write it."""
        uid = update.update_id
        self._busy.discard(uid)
        await super().process_update(update)
        if uid in self._busy:
            self._busy.discard(uid)
            return False
        self.inbox.done(uid)
        return True

    def _keep(self, update: Update, user: int | None) -> None:
        log.warning("database busy: update %s kept for later", update.update_id)
        self._waiting[update.update_id] = update
        if user is not None:
            self._blocked.add(user)
        if self._retry_task is None or self._retry_task.done():
            self._retry_task = asyncio.get_running_loop().create_task(self._retry())

    async def _retry(self) -> None:
        attempt = 0
        while self._waiting:
            await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
            attempt += 1
            stuck: set[int] = set()
            for uid, update in list(self._waiting.items()):
                user = update.effective_user.id if update.effective_user else None
                if user is not None and user in stuck:
                    continue
                if await self._handle(update):
                    del self._waiting[uid]
                elif user is not None:
                    stuck.add(user)
            self._blocked = stuck

    async def on_error(self, update: object, context: Any) -> None:
        """The one error handler: a busy database keeps the update; the rest is logged."""
        err = context.error
        if isinstance(update, Update) and isinstance(err, Busy):
            self._busy.add(update.update_id)
            return
        log.error("error while handling %s", update, exc_info=err)
        if isinstance(update, Update):
            self.inbox.done(update.update_id, repr(err)[:500])
