"""The running bot: the python-telegram-bot application, its handlers, the tick job,
live reload of tasks.yaml (file watcher, SIGHUP, /reload)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from pathlib import Path
from typing import Any

from telegram import BotCommand, BotCommandScopeDefault, Update
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot.chat import admin, answers, onboarding, status
from bot.chat.common import DubanContext
from bot.core.i18n import t
from bot.core.model import Role
from bot.core.render import Rendered
from bot.engine import TICK_JOB, Engine, send_with_retry
from bot.reload import Outcome, Reloader
from bot.runtime import Runtime
from bot.transport import RetryingRequest

log = logging.getLogger(__name__)

#: The command menu, in the order shown (published with setMyCommands in zh and en).
MENU = (
    "mytasks",
    "update",
    "report",
    "status",
    "overdue",
    "export",
    "contacts",
    "reload",
    "whoami",
    "help",
)


class Duban:
    """Glue: one runtime, one PTB application, one engine, one reloader."""

    def __init__(
        self,
        runtime: Runtime,
        reloader: Reloader,
        token: str,
        *,
        base_url: str | None = None,
        tick_seconds: float = 30.0,
        watch: bool = True,
        startup_errors: list[str] | None = None,
    ) -> None:
        self.runtime = runtime
        self.reloader = reloader
        self.tick_seconds = tick_seconds
        self.watch = watch
        self.startup_errors = startup_errors or []
        self._reload_lock = asyncio.Lock()
        self._last_failure: str | None = None
        self._watch_task: asyncio.Task[None] | None = None
        builder = (
            ApplicationBuilder()
            .token(token)
            .context_types(ContextTypes(context=DubanContext))
            .defaults(Defaults(tzinfo=runtime.catalogue.tz))
            .rate_limiter(AIORateLimiter(max_retries=3))
            .post_init(self._post_init)
            .post_shutdown(self._post_shutdown)
            .concurrent_updates(False)
            .request(RetryingRequest(connection_pool_size=16))
            .get_updates_request(RetryingRequest(connection_pool_size=2, read_timeout=20.0))
        )
        if base_url:
            base = base_url.rstrip("/")
            builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
        self.app: Application[Any, DubanContext, Any, Any, Any, Any] = builder.build()
        self.engine = Engine(runtime, self.app.bot)
        self.app.bot_data["runtime"] = runtime
        self.app.bot_data["replan"] = self.replan
        self.app.bot_data["reload"] = self.reload
        for feature in (onboarding, answers, status, admin):
            for handler in feature.handlers():
                self.app.add_handler(handler)
        self.app.add_error_handler(self._on_error)

    # -- lifecycle

    async def _post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        rt = self.runtime
        me = await app.bot.get_me()
        rt.bot_username = me.username or rt.bot_username
        rt.store.set_meta("bot_username", rt.bot_username)
        for key in rt.store.outbox_recover():
            log.warning("outbox %s was in flight at the last stop: sending it again", key)
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
                signal.SIGHUP, lambda: asyncio.ensure_future(self.reload("SIGHUP", False))
            )
        if self.watch:
            self._watch_task = asyncio.create_task(self._watch())
        if self.startup_errors:
            text = "\n".join(self.startup_errors)
            await self.tell_admins(text)
        log.info("duban started as @%s on table version %d", rt.bot_username, rt.version)

    async def _post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch_task

    async def publish_commands(self) -> None:
        """The command menu in Chinese (default) and English."""
        for lang in ("zh", "en"):
            commands = [BotCommand(c, t(lang, f"cmd.{c}")) for c in MENU]
            await self.app.bot.set_my_commands(
                commands, scope=BotCommandScopeDefault(), language_code=lang
            )
        default = [BotCommand(c, t(self.runtime.lang, f"cmd.{c}")) for c in MENU]
        await self.app.bot.set_my_commands(default)

    async def _tick_job(self, context: DubanContext) -> None:
        self.runtime.store.set_meta("heartbeat", dt.datetime.now(dt.UTC).isoformat())
        await self.engine.tick()

    def replan(self) -> None:
        """Run the plan soon (after a reply or a reload); a deterministic job id replaces."""
        jq = self.app.job_queue
        if jq is None:
            return
        jq.run_once(
            self._tick_job,
            when=0.05,
            name="duban:replan",
            job_kwargs={"id": "duban:replan", "replace_existing": True},
        )

    async def _on_error(self, update: object, context: DubanContext) -> None:
        log.error("error while handling %s", update, exc_info=context.error)

    # -- reload

    async def tell_admins(self, text: str) -> None:
        """Send a text to every bound admin."""
        rt = self.runtime
        for person in rt.catalogue.with_role(Role.ADMIN):
            chat = rt.chat_id_for(person.id)
            if chat is None:
                continue
            try:
                await send_with_retry(self.app.bot, chat, Rendered(text[:4000]))
            except Exception:
                log.exception("could not tell admin %s", person.id)

    async def reload(self, actor: str, explicit: bool) -> str:
        """Validate tasks.yaml and apply it if good; tell the admins either way."""
        async with self._reload_lock:
            rt = self.runtime
            outcome: Outcome = self.reloader.attempt(
                rt.catalogue, rt.version, rt.now(), actor=actor
            )
            if not outcome.applied and outcome.errors and not explicit:
                # An editor may be half-way through a save: look again before paging anyone.
                await asyncio.sleep(1.0)
                outcome = self.reloader.attempt(rt.catalogue, rt.version, rt.now(), actor=actor)
            if outcome.applied and outcome.catalogue is not None:
                rt.apply(outcome.catalogue, outcome.version)
                self._last_failure = None
                assert outcome.report is not None
                text = outcome.report.render(rt.lang, outcome.version)
                await self.tell_admins(text)
                self.replan()
                return text
            if outcome.unchanged:
                return t(rt.lang, "reload.unchanged", version=rt.version)
            text = self.reloader.failure_text(outcome, rt.lang)
            if explicit or text != self._last_failure:
                self._last_failure = text
                if not explicit:
                    await self.tell_admins(text)
            return text

    async def _watch(self) -> None:
        """Watch the config directory (editors save by rename) and reload on changes."""
        from watchfiles import awatch

        path = self.reloader.config_path.resolve()
        directory = path.parent
        try:
            async for changes in awatch(directory, debounce=300, step=50, recursive=False):
                if any(Path(p).name == path.name for _, p in changes):
                    log.info("%s changed: reloading", path)
                    try:
                        await self.reload("file", False)
                    except Exception:
                        log.exception("reload failed")
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the file watcher stopped")

    def run(self) -> None:
        """Poll Telegram until stopped (SIGINT/SIGTERM); pending updates are never dropped."""
        self.app.run_polling(
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
            poll_interval=0.0,
            timeout=10,
        )
