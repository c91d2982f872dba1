"""The running bot: the python-telegram-bot application, its handlers, the inbox, the tick
job, live reload of tasks.yaml (file watcher, SIGHUP, /reload)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
)

from bot.chat import admin, answers, buttons, dashboard, menus, onboarding, status, workflow
from bot.chat.common import DubanContext, answer_press, keyboard
from bot.core.clock import SimulatedClock
from bot.core.i18n import t
from bot.core.protocol import ConfirmReload, ReloadAction, pack
from bot.core.render import Button, Rendered
from bot.engine import TICK_JOB, Engine, markup
from bot.inbox import DubanApplication, InboxQueue
from bot.limiter import Limiter
from bot.reload import Outcome, apply, failure_text, held_text, stored_config, validate
from bot.runtime import Runtime
from bot.service.base import Identity
from bot.transport import RetryingRequest
from bot.web.server import Dashboard, WebOptions
from storage.inbox import REDELIVERY_WINDOW, Inbox, inbox_path
from storage.repo import Store

log = logging.getLogger(__name__)

#: Every command of the menus (published by role with setMyCommands: bot/chat/menus.py).
MENU = menus.ALL
#: A saved file is read only once its size and time stay the same this long.
SETTLE_SECONDS = 3.0


class Duban:
    """Glue: one runtime, one PTB application, one engine, the inbox, live reload."""

    def __init__(
        self,
        runtime: Runtime,
        token: str,
        *,
        base_url: str | None = None,
        tick_seconds: float = 30.0,
        watch: bool = True,
        startup_errors: list[str] | None = None,
        request: Any = None,
        updates_request: Any = None,
        proxy: str | None = None,
        pace: bool = True,
        web: WebOptions | None = None,
    ) -> None:
        self.runtime = runtime
        #: The dashboard's web server (`duban run --web-port`), started with the bot.
        self.web = Dashboard.of(runtime, token, web) if web is not None else None
        self.tick_seconds = tick_seconds
        self.watch = watch
        self.startup_errors = startup_errors or []
        self._reload_lock = asyncio.Lock()
        self._reported: set[tuple[tuple[int, int, str], ...]] = set()
        self._held: Outcome | None = None
        self._disk_warned: dt.datetime | None = None  # when the admins were told the disk is full
        #: When each stranger was last answered (`bot.chat.common.answered_stranger_lately`).
        self.stranger_answers: dict[int, tuple[dt.datetime, int]] = {}
        self._watch_task: asyncio.Task[None] | None = None
        self._pruned_at = dt.datetime.now(dt.UTC)
        self.inbox = Inbox(inbox_path(runtime.db_path), owner=runtime.reader.get_meta("db_id"))
        builder = (
            ApplicationBuilder()
            .application_class(DubanApplication)
            .token(token)
            .context_types(ContextTypes(context=DubanContext))
            .defaults(Defaults(tzinfo=runtime.catalogue.tz))
            .post_init(self._post_init)
            .post_shutdown(self._post_shutdown)
            .concurrent_updates(False)
            .update_queue(InboxQueue(self.inbox, runtime.clock))
            .request(request or RetryingRequest(connection_pool_size=16, proxy=proxy))
            .get_updates_request(
                updates_request
                or RetryingRequest(connection_pool_size=2, read_timeout=20.0, proxy=proxy)
            )
        )
        if pace:  # PTB's builder types its limiter by what was set before: none here
            limiter: Any = Limiter()
            builder = builder.rate_limiter(limiter)
        if base_url:
            base = base_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        self.app: Application[Any, DubanContext, Any, Any, Any, Any] = builder.build()
        assert isinstance(self.app, DubanApplication)
        self.app.inbox = self.inbox
        self.engine = Engine(runtime, self.app.bot)
        self.app.before_stop.append(self.engine.stop)
        self.app.bot_data["duban"] = self
        for feature in (onboarding, answers, status, dashboard, admin, workflow, buttons):
            for handler in feature.handlers():
                self.app.add_handler(handler)
        for handler in onboarding.fallback():  # last in group 0: only when nothing matched
            self.app.add_handler(handler)
        self.app.add_error_handler(self.app.on_error)

    # -- lifecycle

    async def _post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        rt = self.runtime
        me = await app.bot.get_me()
        rt.bot_username = me.username or rt.bot_username
        await rt.write(Store.set_meta, "bot_username", rt.bot_username)
        for key in await rt.write(Store.outbox_recover):
            log.warning("outbox %s was in flight at the last stop: sending it again", key)
        await self.app.resume_inbox(rt.reader)  # type: ignore[attr-defined]
        await self._forget_old_updates(str(me.id))
        await self.publish_commands()
        jq = app.job_queue
        assert jq is not None
        jq.run_repeating(
            self._tick_job,
            interval=self.tick_seconds,
            first=0.1,
            name=TICK_JOB,
            job_kwargs={
                "id": TICK_JOB,
                "replace_existing": True,
                "max_instances": 1,
                "coalesce": True,
                "misfire_grace_time": None,
            },
        )
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP", explicit=False))
            )
            if isinstance(rt.clock, SimulatedClock):  # a rehearsal: `duban demo --interactive`
                loop.add_signal_handler(signal.SIGUSR1, rt.clock.pause)
                loop.add_signal_handler(signal.SIGUSR2, rt.clock.resume)
        if self.watch:
            self._watch_task = asyncio.create_task(self._watch())
        await self.start_web()
        if self.startup_errors:
            await self.tell_admins("\n".join(self.startup_errors))
        log.info("duban started as @%s on table version %d", rt.bot_username, rt.version)

    async def _post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task
        await self.stop_web()
        await self.engine.settle()

    async def start_web(self) -> None:
        """Start the dashboard's web server, if there is one; a port already taken is said
        in the log and the bot runs on without it."""
        if self.web is None:
            return
        try:
            await self.web.start()
        except OSError as err:
            log.error(t(self.runtime.lang, "run.web_failed", port=self.web.port, error=err))
            self.web = None

    async def stop_web(self) -> None:
        """Stop the dashboard's web server."""
        if self.web is not None:
            await self.web.stop()

    async def publish_commands(self) -> None:
        """The default menu (what anyone may use), then each bound member's menu by role."""
        await menus.publish_default(self.app.bot)
        await menus.publish_all(self.app.bot, self.runtime)

    async def _tick_job(self, context: DubanContext) -> None:
        await self.heartbeat()
        await self.engine.tick()
        if dt.datetime.now(dt.UTC) - self._pruned_at > dt.timedelta(hours=1):
            await self._forget_old_updates(None)

    async def _forget_old_updates(self, bot_id: str | None) -> None:
        """Forget update ids outside the redelivery window; all of them when the token now
        belongs to another bot than last time (its update ids start elsewhere)."""
        rt = self.runtime
        now = dt.datetime.now(dt.UTC)
        self._pruned_at = now
        if bot_id is not None:
            before = rt.reader.get_meta("bot_id")
            if before is not None and before != bot_id:
                log.warning("the token is another bot's (id %s, was %s)", bot_id, before)
                await rt.write(Store.forget_processed, None)
                self.inbox.forget_handled()
            await rt.write(Store.set_meta, "bot_id", bot_id)
        await rt.write(Store.forget_processed, rt.now() - REDELIVERY_WINDOW)  # the marks' clock
        self.inbox.prune(now)

    async def heartbeat(self) -> None:
        """Record that the bot is alive (for `duban health`)."""
        with contextlib.suppress(Exception):
            await self.runtime.write(
                Store.set_meta, "heartbeat", dt.datetime.now(dt.UTC).isoformat()
            )

    async def member_bound(self, user_id: int) -> None:
        """Someone started the bot: what waited for their chat can go now."""
        rt = self.runtime
        member = rt.identify(user_id).member_id
        await rt.write(Store.outbox_adopt, member, user_id)
        await menus.publish_member(self.app.bot, rt, user_id)
        self.engine.wake()

    # -- telling admins

    async def tell_admins(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> None:
        """Send a text to every bound admin (directly: it is about the bot itself)."""
        for chat in self.runtime.admins():
            try:
                await self.app.bot.send_message(
                    chat,
                    text[:4000],
                    parse_mode="HTML",
                    reply_markup=markup(Rendered(text, buttons)),
                )
            except TelegramError as err:  # e.g. the admin never started the bot
                log.warning("could not tell admin chat %s: %s", chat, err)

    async def warn_disk(self, where: str) -> None:
        """Tell the admins the data directory is nearly full (at most once an hour)."""
        now = dt.datetime.now(dt.UTC)
        if self._disk_warned is not None and now - self._disk_warned < dt.timedelta(hours=1):
            return
        self._disk_warned = now
        await self.tell_admins(t(self.runtime.lang, "evidence.disk_admin", path=where))

    # -- reload

    async def reload(self, actor: str, *, explicit: bool, confirmed: bool = False) -> Rendered:
        """Validate tasks.yaml (off the loop) and apply it if good; tell the admins."""
        async with self._reload_lock:
            rt = self.runtime
            texts, primary_file = stored_config(rt.reader)
            result = await asyncio.to_thread(validate, rt.config_path, texts, primary_file)
            if confirmed and (self._held is None or self._held.sha256 != result.sha256):
                return Rendered(t(rt.lang, "reload.nothing_held"))
            outcome = await rt.write(
                apply, result, rt.base, rt.version, rt.record.copy(), rt.now(),
                actor=actor, confirmed=confirmed,
            )  # fmt: skip
            return await self._after(outcome, explicit=explicit, file=result.file)

    async def _after(self, outcome: Outcome, *, explicit: bool, file: str) -> Rendered:
        rt = self.runtime
        if outcome.applied and outcome.catalogue is not None:
            self._held = None
            rt.apply(outcome.catalogue, outcome.version)
            assert outcome.report is not None
            text = outcome.report.render(rt.lang, outcome.version)
            if outcome.errors:  # a broken file kept its last good version; the others applied
                text += "\n\n" + failure_text(outcome, file, rt.lang)
            await self.tell_admins(text)
            await menus.publish_all(self.app.bot, rt)
            asyncio.get_running_loop().create_task(self.engine.tick())
            return Rendered(text)
        if outcome.unchanged and outcome.errors:
            text = failure_text(outcome, file, rt.lang)
            if not explicit:
                await self.tell_admins(text)
            return Rendered(text)
        if outcome.unchanged:
            return Rendered(t(rt.lang, "reload.unchanged", version=rt.version))
        if outcome.held:
            self._held = outcome
            text = held_text(outcome, rt.lang)
            sha = outcome.sha256[:12]
            choice = (
                (
                    Button(
                        t(rt.lang, "button.apply"), pack(ConfirmReload(ReloadAction.APPLY, sha))
                    ),
                    Button(
                        t(rt.lang, "button.discard"), pack(ConfirmReload(ReloadAction.DISCARD, sha))
                    ),
                ),
            )
            if not explicit:  # an admin who asked gets it as the answer, with the buttons
                await self.tell_admins(text, choice)
            return Rendered(text, choice)
        text = failure_text(outcome, file, rt.lang)
        if not explicit:
            await self.tell_admins(text)
        return Rendered(text)

    async def confirm_reload(self, update: Update, who: Identity, cb: ConfirmReload) -> None:
        """确认应用 / 放弃 under a held table edit."""
        query = update.callback_query
        assert query is not None
        rt = self.runtime
        held = self._held
        if held is None or not held.sha256.startswith(cb.sha):
            await answer_press(update, t(rt.lang, "reload.nothing_held"), alert=True)
            return
        await answer_press(update)
        if cb.action is ReloadAction.DISCARD:
            self._held = None
            text = t(rt.lang, "reload.discarded")
        else:
            text = (await self.reload(f"tg:{who.user_id}", explicit=True, confirmed=True)).text
        if query.message is not None:
            with contextlib.suppress(Exception):
                await query.edit_message_reply_markup(reply_markup=keyboard(()))
        await self.app.bot.send_message(
            query.message.chat.id if query.message else who.user_id, text[:4000], parse_mode="HTML"
        )

    def _serve(self, webhook: Webhook | None) -> None:
        common: dict[str, Any] = {
            "allowed_updates": Update.ALL_TYPES,
            "drop_pending_updates": False,
            "bootstrap_retries": -1,
            "close_loop": False,
        }
        if webhook is None:
            self.app.run_polling(poll_interval=0.0, timeout=10, **common)
            return
        self.app.run_webhook(
            listen=webhook.host,
            port=webhook.port,
            url_path=webhook.path,
            webhook_url=webhook.url,
            secret_token=webhook.secret,
            **common,
        )

    async def _watch(self) -> None:
        """Watch the config directory (editors save by rename); reload each save once it
        has stopped changing, and report every rejected save."""
        from watchfiles import awatch

        path = self.runtime.config_path.resolve()
        directory = path if path.is_dir() else path.parent
        try:
            async for changes in awatch(directory, debounce=300, step=50, recursive=False):
                changed = sorted({Path(p) for _, p in changes if self._watched(path, Path(p))})
                if not changed:
                    continue
                stamps = [await settled(p) for p in changed]
                stamp = tuple(x for x in stamps if x is not None)
                if stamp:  # each save once (a rejected one is reported once)
                    if stamp in self._reported:
                        continue
                    self._reported.add(stamp)
                elif not path.is_dir():
                    continue  # the table file was removed: keep the table in force
                log.info("%s changed: reloading", ", ".join(p.name for p in changed))
                try:
                    await self.reload("file", explicit=False)
                except Exception:
                    log.exception("reload failed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the file watcher stopped")

    @staticmethod
    def _watched(config: Path, changed: Path) -> bool:
        """Whether a changed file is part of the config: the table file, or any `*.yaml` of
        the config directory (added, edited or removed)."""
        if config.is_dir():
            return changed.suffix == ".yaml" and not changed.name.startswith(".")
        return changed.name == config.name

    def run(self, webhook: Webhook | None = None) -> None:
        """Take updates until stopped (SIGINT/SIGTERM): long polling, or with `webhook` a web
        server Telegram posts to (python-telegram-bot's webhook runner, checking the secret
        header). Pending updates are never dropped.

        No network or a rejected token is said in one line and tried again with backoff:
        the bot keeps trying rather than exiting (a token can be fixed while it waits)."""
        delay = 5.0
        while True:
            try:
                self._serve(webhook)
                return
            except InvalidToken:
                log.error(t(self.runtime.lang, "run.token_rejected", delay=int(delay)))
            except NetworkError as err:
                log.error(t(self.runtime.lang, "run.unreachable", error=err, delay=int(delay)))
            time.sleep(delay)
            delay = min(delay * 2, 600.0)


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram posts updates to `url`; the bot listens on host:port (behind a
    reverse proxy that terminates TLS) and accepts only requests with the secret header."""

    url: str
    host: str
    port: int
    secret: str

    @property
    def path(self) -> str:
        """The URL's path, where the bot listens."""
        return urlsplit(self.url).path.strip("/")


async def settled(path: Path, quiet: float = SETTLE_SECONDS) -> tuple[int, int, str] | None:
    """Wait until a file's size and modification time stay the same for `quiet` seconds;
    its (size, mtime_ns, name) stamp, or None if it vanished."""
    last: tuple[int, int] | None = None
    stable_since = asyncio.get_running_loop().time()
    while True:
        try:
            st = await asyncio.to_thread(path.stat)
        except FileNotFoundError:
            return None
        now = asyncio.get_running_loop().time()
        if (st.st_size, st.st_mtime_ns) != last:
            last, stable_since = (st.st_size, st.st_mtime_ns), now
        elif now - stable_since >= quiet:
            return (st.st_size, st.st_mtime_ns, path.name)
        await asyncio.sleep(min(0.25, quiet / 4))
