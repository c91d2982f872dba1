"""A local Bot API server that behaves like Telegram, for tests, `make demo` and rehearsals.

The real python-telegram-bot application runs against it unchanged: over HTTP
(`base_url`), or in the same process and event loop through
`bot.emulator.inprocess.InProcessRequest`. It speaks the Bot API (form-encoded, JSON and
multipart bodies; `{"ok": ...}` answers) for the methods duban uses, and enforces
Telegram's rules so that bugs that would hit production show up here first:

* 403 for a private chat whose user never started the bot, or blocked it;
* 400 for an empty text, a text over 4096 characters (visible, UTF-16), a caption
  over 1024, callback data over 64 bytes, HTML or MarkdownV2 that does not parse, an
  edit that changes nothing, a web_app button outside a private chat or not on HTTPS,
  getFile of a file over 20 MB;
* 429 with ``retry_after`` past ~30 messages a second overall, ~1 a second to one
  chat (short bursts allowed), 20 a minute to one group;
* 409 when a second ``getUpdates`` poller or a webhook competes;
* webhooks: with one set, each update is POSTed to it (secret token header), in order,
  retried with backoff until it is answered 2xx;
* privacy mode in groups: the bot sees only commands, replies to its messages and
  mentions.

A control API under ``/control/`` (and the same operations as Python methods of
`Emulator`) lets tests act as users (send text, photos and documents, reply, press a
button, edit, start, block, open a Mini App) and read what the bot sent and when;
faults (5xx, delays, late answers, dropped, refused and timed-out connections) can be
injected for the reliability tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import itertools
import json
import logging
import math
import mimetypes
import random
import re
import time
import urllib.parse
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator import webapp
from bot.emulator.control import ControlApi
from bot.emulator.html import ParseError, parse_html, utf16_len
from bot.emulator.markdown import parse_markdown
from bot.emulator.media import image_size, photo_copies
from bot.emulator.model import (
    ApiError,
    Chat,
    ControlError,
    Faults,
    Limits,
    Reply,
    StoredFile,
    User,
    api_view,
)
from bot.emulator.webhook import push_updates

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Chat",
    "ControlError",
    "Emulator",
    "Faults",
    "Limits",
    "Reply",
    "User",
    "parse_markdown",
    "run",
]

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:DUBAN-LOCAL-EMULATOR"
DEFAULT_USERNAME = "duban_test_bot"
# Parameters that carry JSON objects; in form and multipart bodies they arrive as strings.
JSON_FIELDS = (
    "reply_markup",
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "caption_entities",
)
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
FILE_LIMIT = 50 * 1024 * 1024  # what a bot may upload
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # what getFile serves to a bot
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
USER_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,32}))?")
MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{5,32})")
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = (80, 88, 443, 8443)
# What an inline button does besides callback_data (one of them is required).
BUTTON_ACTIONS = (
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
    "delete the webhook first"
)
HTTPS_WEBHOOK = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
WEBHOOK_PORT = "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


def is_loopback(url: str) -> bool:
    """Whether a URL's host is this machine (localhost, 127.0.0.0/8, ::1)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Emulator:
    """The server's state and handlers.

    `clock` (seconds, monotonic) drives the flood limits and the send log only, so tests
    can move time by hand; long polling and message dates use real time. With
    `allow_http_webhooks`, webhooks and web_app buttons may use http://127.0.0.1 or
    http://localhost URLs (Telegram requires HTTPS). A webhook is retried after
    `webhook_backoff[0]` seconds, doubling up to `webhook_backoff[1]`; one POST waits at
    most `webhook_timeout` seconds. Webhooks are delivered to loopback URLs only: other
    URLs are accepted like Telegram does, but never contacted (no test reaches the
    internet); their updates stay pending.

    An Emulator belongs to one event loop (the one it first waits on).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        username: str = DEFAULT_USERNAME,
        clock: Callable[[], float] = time.monotonic,
        allow_http_webhooks: bool = False,
        webhook_backoff: tuple[float, float] = (0.1, 5.0),
        webhook_timeout: float = 10.0,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.username = username
        self.clock = clock
        self.allow_http_webhooks = allow_http_webhooks
        self.webhook_backoff = webhook_backoff
        self.webhook_timeout = webhook_timeout
        self._initial_limits = dataclasses.replace(limits) if limits else Limits()
        self._initial_faults = dataclasses.replace(faults) if faults else Faults()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name[2:].lower(): (name[2:], getattr(self, name))
            for name in dir(self)
            if name.startswith("m_")
        }
        self.update_ids = itertools.count(1)  # never restarts: a poller's offset stays valid
        self._poll_token = 0
        self._generation = 0
        self._new_update: asyncio.Event | None = None
        self._message_event: asyncio.Event | None = None
        self._pusher: asyncio.Task[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reset()

    # -- state

    def reset(self) -> None:
        """Forget users, chats, updates, files, stats, sends, the webhook; back to the
        limits and faults given at construction. Update ids keep increasing."""
        self._stop_pusher()
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.allowed_updates: list[str] | None = None
        self.webhook = ""
        self.webhook_secret = ""
        self.webhook_max_connections = 40
        self.webhook_error: tuple[int, str] | None = None
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.files: dict[str, StoredFile] = {}
        self.file_paths: dict[str, str] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.requests: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.sends: list[dict[str, Any]] = []
        self._sent_global: deque[float] = deque()
        self._chat_buckets: dict[int, tuple[float, float]] = {}
        self._group_sent: dict[int, deque[float]] = defaultdict(deque)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.limits = dataclasses.replace(self._initial_limits)
        self.set_faults(dataclasses.replace(self._initial_faults))
        self._generation += 1
        if self._new_update is not None:
            self._wake()  # pending long polls return empty

    def set_faults(self, faults: Faults) -> None:
        """Inject faults from now on (the random sequence restarts from `faults.seed`)."""
        self.faults = faults
        self._rng = random.Random(faults.seed)

    def set_limits(self, limits: Limits) -> None:
        """Set the flood limits and forget what was sent so far."""
        self.limits = limits
        self._sent_global.clear()
        self._chat_buckets.clear()
        self._group_sent.clear()

    def _event(self) -> asyncio.Event:
        if self._new_update is None:
            self._new_update = asyncio.Event()
        return self._new_update

    def _msg_event(self) -> asyncio.Event:
        if self._message_event is None:
            self._message_event = asyncio.Event()
        return self._message_event

    def _wake(self) -> None:
        """Wake every pending getUpdates and the webhook pusher (they look again).

        The event is set and replaced, not set and cleared: a waiter that took the event
        before this but only starts waiting on it later (asyncio.wait_for starts its task
        a loop turn later) still finds it set."""
        self._event().set()
        self._new_update = asyncio.Event()

    async def wait_update(self, seconds: float) -> None:
        """Wait until an update is added (or a poller is superseded), at most `seconds`."""
        await _wait(self._event(), seconds)

    def _wake_messages(self) -> None:
        """Wake every pending wait for bot messages."""
        self._msg_event().set()
        self._message_event = asyncio.Event()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro` on the server's side: it goes on when its caller gives up (as an HTTP
        server carries on a request whose client timed out), until `stop()`."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def bot_user(self) -> dict[str, Any]:
        """The bot as a User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "督办", "username": self.username}

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> User:
        """Create a user and their private chat with the bot (or rename the user)."""
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name, username, language_code)
            self.users[user_id] = user
            self.chats[user_id] = Chat(user_id, "private", user=user)
        else:
            user.first_name, user.username, user.language_code = (
                first_name,
                username,
                language_code,
            )
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: list[int],
        kind: str = "group",
        privacy: bool = True,
    ) -> Chat:
        """Create a group (or supergroup) with the bot in it, or add members to one."""
        if kind not in ("group", "supergroup"):
            raise ValueError(f"a group is 'group' or 'supergroup', not {kind!r}")
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = Chat(chat_id, kind, title=title, privacy=privacy)
            self.chats[chat_id] = chat
        else:
            chat.title, chat.privacy = title or chat.title, privacy
        chat.members.update(members)
        return chat

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self.update_ids), kind: payload}
        self.updates.append(update)
        self._wake()
        return update

    def _membership(self, user: User, old: str, new: str) -> None:
        """The my_chat_member update Telegram sends when a user blocks or unblocks the bot."""
        new_member: dict[str, Any] = {"user": self.bot_user(), "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        self._push_update(
            "my_chat_member",
            {
                "chat": self.chats[user.id].as_api(),
                "from": user.as_api(),
                "date": int(time.time()),
                "old_chat_member": {"user": self.bot_user(), "status": old},
                "new_chat_member": new_member,
            },
        )

    def block(self, user_id: int) -> None:
        """The user blocks the bot."""
        user = self._user(user_id)
        if not user.blocked:
            user.blocked = True
            self._membership(user, "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        user = self._user(user_id)
        if user.blocked:
            user.blocked = False
            self._membership(user, "kicked", "member")

    def _user(self, user_id: int) -> User:
        user = self.users.get(user_id)
        if user is None:
            raise ControlError(404, f"no user {user_id}")
        return user

    def _chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ControlError(404, f"no chat {chat_id}")
        return chat

    # -- acting as users (the control API calls these; so can tests in process)

    def user_message(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """A user writes to a chat (their private chat unless `chat_id`); the message.

        Any message in the private chat starts the bot (and unblocks it). In a group with
        privacy mode the bot gets an update only for a command, a reply to one of its
        messages, or a mention.
        """
        content: dict[str, Any] = {"text": text}
        entities = self._user_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_post(user_id, chat_id, reply_to, content)

    def user_start(self, user_id: int, payload: str | None = None) -> dict[str, Any]:
        """The user presses Start (from a deep link with `payload`); the /start message."""
        return self.user_message(user_id, f"/start {payload}" if payload else "/start")

    def user_photo(
        self,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a photo (PNG or JPEG bytes); the message, whose `photo` lists the
        sizes Telegram makes, smallest first, the original last."""
        size = image_size(data)
        if size is None:
            raise ControlError(400, "a photo must be a PNG or JPEG image")
        content = self._user_caption(caption)
        sizes = []
        for copy, width, height in photo_copies(data, *size):
            png = copy[:4] == b"\x89PNG"
            mime = "image/png" if png else "image/jpeg"
            file_id = self._store_file(StoredFile(copy, "", mime, "photo"))
            sizes.append(
                {
                    "file_id": file_id,
                    "file_unique_id": file_id + "u",
                    "width": width,
                    "height": height,
                    "file_size": len(copy),
                }
            )
        return self._user_post(user_id, chat_id, reply_to, {"photo": sizes, **content})

    def user_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user sends a file; the message with its `document` (file_name, mime_type
        guessed from the name when not given)."""
        content = self._user_caption(caption)
        mime = mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        file_id = self._store_file(StoredFile(data, file_name, mime, "document"))
        document = {
            "file_name": file_name,
            "mime_type": mime,
            "file_id": file_id,
            "file_unique_id": file_id + "u",
            "file_size": len(data),
        }
        return self._user_post(user_id, chat_id, reply_to, {"document": document, **content})

    def _user_caption(self, caption: str | None) -> dict[str, Any]:
        if not caption:
            return {}
        if utf16_len(caption) > CAPTION_LIMIT:
            raise ControlError(400, f"a caption is at most {CAPTION_LIMIT} characters")
        content: dict[str, Any] = {"caption": caption}
        entities = self._user_entities(caption)
        if entities:
            content["caption_entities"] = entities
        return content

    def _user_post(
        self, user_id: int, chat_id: int | None, reply_to: int | None, content: dict[str, Any]
    ) -> dict[str, Any]:
        user = self.users.get(user_id) or self.add_user(user_id, f"user{user_id}")
        chat = self._chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            if chat.id != user.id:
                raise ControlError(400, f"user {user_id} cannot write in {chat.id}'s private chat")
            user.started = True
            self.unblock(user.id)
        else:
            chat.members.add(user.id)
        target = None
        if reply_to is not None:
            target = self._find(chat.id, reply_to)
            if target is None:
                raise ControlError(400, "message to reply not found")
        message: dict[str, Any] = {
            "message_id": next(self.message_ids[chat.id]),
            "from": user.as_api(),
            "chat": chat.as_api(),
            "date": int(time.time()),
            **content,
        }
        if target is not None:
            message["reply_to_message"] = api_view(target)
        chat.messages.append({**message, "from_bot": False})
        if self._bot_sees(chat, message, target):
            self._push_update("message", message)
        return message

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """The user presses an inline button of a bot message (by callback data or by its
        label); the callback query id."""
        user = self._user(user_id)
        chat_id = chat_id or user.id
        message = self._find(chat_id, message_id)
        if message is None or not message.get("from_bot"):
            raise ControlError(404, "no such bot message")
        buttons = [
            b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
        ]
        if data is None and text is not None:
            data = next((b.get("callback_data") for b in buttons if b.get("text") == text), None)
        if data is None or all(b.get("callback_data") != data for b in buttons):
            raise ControlError(404, "no such button")
        qid = str(next(self._callback_ids) * 7919 + 100000)
        query = {
            "id": qid,
            "from": user.as_api(),
            "message": api_view(message),
            "chat_instance": str(chat_id),
            "data": data,
        }
        self.callback_queries[qid] = query
        self._push_update("callback_query", query)
        return qid

    def user_edit(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user edits one of their text messages; the edited message."""
        user = self._user(user_id)
        chat_id = chat_id or user.id
        message = self._find(chat_id, message_id)
        if message is None or message.get("from_bot") or message["from"]["id"] != user.id:
            raise ControlError(404, "no such user message")
        message["text"] = text
        _set_or_pop(message, "entities", self._user_entities(text) or None)
        message["edit_date"] = int(time.time())
        payload = api_view(message)
        chat = self._chat(chat_id)
        target = self._find(chat_id, int(message.get("reply_to_message", {}).get("message_id", 0)))
        if self._bot_sees(chat, payload, target):
            self._push_update("edited_message", payload)
        return payload

    def init_data(
        self, user_id: int, auth_date: int | None = None, query_id: str | None = None
    ) -> str:
        """The initData Telegram gives a Mini App opened by this user, signed with the
        bot's token (`auth_date` defaults to now)."""
        user = {k: v for k, v in self._user(user_id).as_api().items() if k != "is_bot"}
        when = int(time.time()) if auth_date is None else int(auth_date)
        return webapp.init_data(self.token, user, when, query_id)

    # -- reading

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot sent to a chat, in order (current text and buttons after edits)."""
        chat = self.chats.get(chat_id)
        return [dict(m) for m in chat.messages if m.get("from_bot")] if chat else []

    async def wait_for(
        self, chat_id: int, count: int, seconds: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until the bot sent at least `count` messages to a chat (or `seconds`
        passed); the bot's messages there."""
        deadline = time.monotonic() + seconds
        while len(self.bot_messages(chat_id)) < count and time.monotonic() < deadline:
            await _wait(self._msg_event(), deadline - time.monotonic())
        return self.bot_messages(chat_id)

    def stats(self) -> dict[str, Any]:
        """{requests: {method: n}, errors: {code or fault: n}, total}."""
        return {
            "requests": dict(self.requests),
            "errors": dict(self.errors),
            "total": sum(self.requests.values()),
        }

    @staticmethod
    def _user_entities(text: str) -> list[dict[str, Any]]:
        """bot_command and mention entities, as Telegram's clients mark them."""
        entities: list[dict[str, Any]] = []
        command = USER_COMMAND.match(text)
        if command:
            entities.append(
                {"type": "bot_command", "offset": 0, "length": utf16_len(command.group(0))}
            )
        for mention in MENTION.finditer(text):
            entities.append(
                {
                    "type": "mention",
                    "offset": utf16_len(text[: mention.start()]),
                    "length": utf16_len(mention.group(0)),
                }
            )
        return entities

    def _bot_sees(self, chat: Chat, message: dict[str, Any], target: dict[str, Any] | None) -> bool:
        if chat.type == "private" or not chat.privacy:
            return True
        text = str(message.get("text") or message.get("caption") or "")
        command = USER_COMMAND.match(text)
        if command:
            addressed = command.group(2)
            return addressed is None or addressed.lower() == self.username.lower()
        if target is not None and target.get("from_bot"):
            return True
        return any(m.group(1).lower() == self.username.lower() for m in MENTION.finditer(text))

    def _find(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        return next((m for m in chat.messages if m["message_id"] == message_id), None)

    def _store_file(self, stored: StoredFile) -> str:
        file_id = f"F{next(self._file_ids):06d}{stored.kind[:3]}"
        self.files[file_id] = stored
        return file_id

    # -- rules

    def _chat_for_send(self, raw: Any) -> Chat:
        if raw in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        try:
            chat_id = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: chat not found") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.type == "private" and chat.user is not None:
            if chat.user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not chat.user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _flood(self, chat: Chat, method: str) -> None:
        """Count one message to `chat` (and log the send), or raise 429 (nothing counted,
        the refusal logged) past the limits."""
        now = self.clock()
        try:
            if self.limits.enabled:
                self._flood_check(chat, now)
        except ApiError:
            self.sends.append({"chat_id": chat.id, "method": method, "t": now, "ok": False})
            raise
        self.sends.append({"chat_id": chat.id, "method": method, "t": now, "ok": True})

    def _flood_check(self, chat: Chat, now: float) -> None:
        limits = self.limits
        window = self._sent_global
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limits.global_per_second:
            wait = max(1, math.ceil(1.0 - (now - window[0])))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
        if chat.type == "private":
            burst = float(max(1, limits.chat_burst))
            tokens, last = self._chat_buckets.get(chat.id, (burst, now))
            tokens = min(burst, tokens + (now - last) * limits.chat_per_second)
            if tokens < 1.0:
                wait = max(1, math.ceil((1.0 - tokens) / limits.chat_per_second))
                self._chat_buckets[chat.id] = (tokens, now)
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            self._chat_buckets[chat.id] = (tokens - 1.0, now)
        else:
            sent = self._group_sent[chat.id]
            span = limits.group_window_seconds
            while sent and now - sent[0] >= span:
                sent.popleft()
            if len(sent) >= limits.group_per_minute:
                wait = max(1, math.ceil(span - (now - sent[0])))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            sent.append(now)
        window.append(now)

    def _markup(self, raw: Any, chat: Chat) -> dict[str, Any] | None:
        if raw in (None, ""):
            return None
        if not isinstance(raw, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        rows = raw.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards are not shown in chat history here
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
            )
        for row in rows:
            for button in row:
                self._check_button(button, chat)
        return {"inline_keyboard": rows}

    def _check_button(self, button: Any, chat: Chat) -> None:
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if data is None and not any(k in button for k in BUTTON_ACTIONS):
            raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")
        if "web_app" in button:
            # Mini App buttons: private chats only, HTTPS only.
            if chat.type != "private":
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
            info = button["web_app"]
            url = str(info.get("url") or "") if isinstance(info, dict) else ""
            if not self._https_or_local(url):
                raise ApiError(
                    400,
                    f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: "
                    "Only HTTPS links are allowed",
                )

    def _https_or_local(self, url: str) -> bool:
        """HTTPS, or (with allow_http_webhooks) http on this machine."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "https" and parts.hostname:
            return True
        return self.allow_http_webhooks and parts.scheme == "http" and is_loopback(url)

    @staticmethod
    def _render(text: Any, parse_mode: Any, caption: bool) -> tuple[str, list[dict[str, Any]]]:
        """The visible text and its entities, or Telegram's 400."""
        text = "" if text is None else str(text)
        mode = str(parse_mode or "").strip()
        entities: list[dict[str, Any]]
        try:
            if not mode:
                visible, entities = text, []
            elif mode.lower() == "html":
                visible, entities = parse_html(text)
            elif mode.lower() == "markdownv2":
                visible, entities = parse_markdown(text)
            elif mode.lower() == "markdown":
                visible, entities = parse_markdown(text, legacy=True)
            else:
                raise ApiError(400, "Bad Request: unsupported parse_mode")
        except ParseError as err:
            raise ApiError(400, f"Bad Request: {err}") from None
        if not visible.strip():
            what = "message caption" if caption else "message text"
            raise ApiError(400, f"Bad Request: {what} is empty")
        if caption and utf16_len(visible) > CAPTION_LIMIT:
            raise ApiError(400, "Bad Request: message caption is too long")
        if not caption and utf16_len(visible) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: message is too long")
        return visible, entities

    def _reply_target(self, chat: Chat, params: dict[str, Any]) -> dict[str, Any] | None:
        """The message replied to (reply_parameters or reply_to_message_id), or None."""
        reply = params.get("reply_parameters") or {}
        if not isinstance(reply, dict):
            raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        raw = reply.get("message_id") or params.get("reply_to_message_id")
        if not raw:
            return None
        try:
            target = self._find(chat.id, int(raw))
        except (TypeError, ValueError):
            target = None
        allow = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if target is None and not _truthy(allow):
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target

    def _new_message(self, chat: Chat, target: dict[str, Any] | None) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.message_ids[chat.id]),
            "from": self.bot_user(),
            "chat": chat.as_api(),
            "date": int(time.time()),
        }
        if target is not None:
            message["reply_to_message"] = api_view(target)
        return message

    def _store_bot_message(
        self, chat: Chat, message: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        chat.messages.append(
            {
                **message,
                "from_bot": True,
                "disable_notification": _truthy(params.get("disable_notification")),
            }
        )
        self._wake_messages()
        return message

    # -- webhooks

    def set_webhook(self, url: str, secret: str = "", max_connections: int = 40) -> None:
        """Set the webhook ('' removes it) and (re)start delivering to it; no checks (the
        Bot API's setWebhook checks first)."""
        self._stop_pusher()
        self.webhook, self.webhook_secret = url, secret
        self.webhook_max_connections = max_connections
        self.webhook_error = None
        if url:
            self._wake()  # a pending getUpdates ends with 409
        if url and is_loopback(url):
            self._pusher = self.spawn(push_updates(self, url, secret))

    def _stop_pusher(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
            self._pusher = None

    def pending_updates(self) -> list[dict[str, Any]]:
        """The updates waiting for the bot (unconfirmed, of the allowed kinds), in order."""
        return [u for u in self.updates if self._allowed(u)]

    def confirm_update(self, update_id: int) -> None:
        """The bot has this update (a webhook answered 2xx)."""
        self.updates = [u for u in self.updates if u["update_id"] != update_id]

    def _check_webhook_url(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if not self._https_or_local(url):
            raise ApiError(400, HTTPS_WEBHOOK)
        if parts.scheme == "https" and not is_loopback(url):
            try:
                port = parts.port or 443
            except ValueError:
                raise ApiError(400, WEBHOOK_PORT) from None
            if port not in WEBHOOK_PORTS:
                raise ApiError(400, WEBHOOK_PORT)

    # -- Bot API methods (m_<method>; Telegram's method names are case-insensitive)

    async def m_getMe(self, p: dict[str, Any]) -> Any:
        """The bot itself."""
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_logOut(self, p: dict[str, Any]) -> Any:
        """Accepted, nothing to do."""
        return True

    async def m_close(self, p: dict[str, Any]) -> Any:
        """Accepted, nothing to do."""
        return True

    async def m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        """Remove the webhook (delivery stops); optionally drop pending updates."""
        self.set_webhook("")
        if _truthy(p.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def m_setWebhook(self, p: dict[str, Any]) -> Any:
        """Set a webhook: updates are POSTed to it and getUpdates answers 409; '' removes it."""
        url = str(p.get("url") or "")
        secret = str(p.get("secret_token") or "")
        if secret and not SECRET_TOKEN.match(secret):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if url:
            self._check_webhook_url(url)
        allowed = p.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
            self.allowed_updates = [str(a) for a in allowed] or None
        connections = _int(p.get("max_connections"), "max_connections") or 40
        if _truthy(p.get("drop_pending_updates")):
            self.updates.clear()
        self.set_webhook(url, secret, connections)
        return True

    async def m_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        """The webhook URL, the pending updates and the last delivery error."""
        info: dict[str, Any] = {
            "url": self.webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending_updates()),
        }
        if self.webhook:
            info["max_connections"] = self.webhook_max_connections
            if self.allowed_updates:
                info["allowed_updates"] = list(self.allowed_updates)
            if self.webhook_error is not None:
                info["last_error_date"], info["last_error_message"] = self.webhook_error
        return info

    async def m_getUpdates(self, p: dict[str, Any]) -> Any:
        """Long polling: confirm by offset, wait up to `timeout` s for an update."""
        if self.webhook:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = _int(p.get("offset"), "offset")
        limit = max(1, min(100, _int(p.get("limit"), "limit") or 100))
        try:
            timeout = max(0.0, float(p.get("timeout") or 0))
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: invalid timeout specified") from None
        allowed = p.get("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list):
                raise ApiError(400, "Bad Request: can't parse allowed updates JSON object")
            self.allowed_updates = [str(a) for a in allowed] or None
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
        self._poll_token += 1
        mine, generation = self._poll_token, self._generation
        self._wake()  # an earlier poller learns it was superseded
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._generation:
                return []  # the control API reset the emulator
            if mine != self._poll_token:
                raise ApiError(409, POLL_CONFLICT)
            if self.webhook:
                raise ApiError(409, "Conflict: terminated by setWebhook request")
            ready = self.pending_updates()[:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            await _wait(self._event(), deadline - time.monotonic())

    def _allowed(self, update: dict[str, Any]) -> bool:
        if not self.allowed_updates:
            return True
        kind = next(k for k in update if k != "update_id")
        return kind in self.allowed_updates

    async def m_setMyCommands(self, p: dict[str, Any]) -> Any:
        """Store a command menu for a scope and language."""
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for c in commands:
            if not isinstance(c, dict) or not COMMAND_NAME.match(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(p)] = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        return True

    @staticmethod
    def _scope_key(p: dict[str, Any]) -> str:
        """'default:zh', 'all_private_chats:', 'chat/123:en', 'chat_member/-100/7:'."""
        scope = p.get("scope") or {"type": "default"}
        if not isinstance(scope, dict):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        key = str(scope.get("type", "default"))
        for part in ("chat_id", "user_id"):
            if scope.get(part) is not None:
                key += f"/{scope[part]}"
        return f"{key}:{p.get('language_code') or ''}"

    async def m_getMyCommands(self, p: dict[str, Any]) -> Any:
        """The menu of a scope and language ([] if none)."""
        return self.commands.get(self._scope_key(p), [])

    async def m_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        """Remove the menu of a scope and language."""
        self.commands.pop(self._scope_key(p), None)
        return True

    async def m_getChat(self, p: dict[str, Any]) -> Any:
        """A ChatFullInfo."""
        try:
            chat = self.chats.get(int(p.get("chat_id") or 0))
        except (TypeError, ValueError):
            chat = None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {**chat.as_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def m_sendChatAction(self, p: dict[str, Any]) -> Any:
        """'typing...': checked like a send, not shown."""
        self._chat_for_send(p.get("chat_id"))
        if not p.get("action"):
            raise ApiError(400, "Bad Request: action is empty")
        return True

    async def m_sendMessage(self, p: dict[str, Any]) -> Any:
        """A text message (HTML/MarkdownV2, inline keyboard, reply)."""
        chat = self._chat_for_send(p.get("chat_id"))
        text, entities = self._render(p.get("text"), p.get("parse_mode"), caption=False)
        markup = self._markup(p.get("reply_markup"), chat)
        target = self._reply_target(chat, p)
        self._flood(chat, "sendMessage")
        message = self._new_message(chat, target)
        message["text"] = text
        if entities:
            message["entities"] = entities
        preview = p.get("link_preview_options")
        if isinstance(preview, dict) and preview:
            message["link_preview_options"] = preview
        if markup:
            message["reply_markup"] = markup
        return self._store_bot_message(chat, message, p)

    async def _send_file(self, p: dict[str, Any], field_name: str) -> dict[str, Any]:
        chat = self._chat_for_send(p.get("chat_id"))
        caption: tuple[str, list[dict[str, Any]]] | None = None
        if p.get("caption"):
            caption = self._render(p["caption"], p.get("parse_mode"), caption=True)
        markup = self._markup(p.get("reply_markup"), chat)
        stored = self._upload(p.get(field_name), field_name)
        target = self._reply_target(chat, p)
        self._flood(chat, "sendPhoto" if field_name == "photo" else "sendDocument")
        message = self._new_message(chat, target)
        file_id = self._store_file(stored)
        about = {"file_id": file_id, "file_unique_id": file_id + "u"}
        if field_name == "photo":
            width, height = image_size(stored.data) or (0, 0)
            size = {"width": width, "height": height, "file_size": len(stored.data)}
            message["photo"] = [{**about, **size}]
        else:
            message["document"] = {
                **about,
                "file_name": stored.filename,
                "mime_type": stored.mime_type,
                "file_size": len(stored.data),
            }
        if caption is not None:
            message["caption"] = caption[0]
            if caption[1]:
                message["caption_entities"] = caption[1]
        if markup:
            message["reply_markup"] = markup
        return self._store_bot_message(chat, message, p)

    def _upload(self, upload: Any, field_name: str) -> StoredFile:
        """The file a send carries: a multipart upload or a file_id known here."""
        if isinstance(upload, tuple):
            data, filename, mime = upload
            if len(data) > FILE_LIMIT:
                raise ApiError(413, "Request Entity Too Large")
            return StoredFile(bytes(data), str(filename), str(mime), field_name)
        if isinstance(upload, str) and upload in self.files:
            return dataclasses.replace(self.files[upload], kind=field_name)
        if isinstance(upload, str) and upload:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        raise ApiError(400, f"Bad Request: there is no {field_name} in the request")

    async def m_sendDocument(self, p: dict[str, Any]) -> Any:
        """A file (multipart upload, or a file_id sent before)."""
        return await self._send_file(p, "document")

    async def m_sendPhoto(self, p: dict[str, Any]) -> Any:
        """A photo (multipart upload, or a file_id sent before)."""
        return await self._send_file(p, "photo")

    async def m_getFile(self, p: dict[str, Any]) -> Any:
        """A File whose file_path downloads from `/file/bot<token>/<file_path>`; 400 for a
        file over 20 MB, as for any bot on the public Bot API."""
        file_id = str(p.get("file_id") or "")
        entry = self.files.get(file_id)
        if entry is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(entry.data) > DOWNLOAD_LIMIT:
            raise ApiError(400, "Bad Request: file is too big")
        path = next((k for k, v in self.file_paths.items() if v == file_id), None)
        if path is None:
            suffix = ""
            if "." in entry.filename:
                suffix = "." + entry.filename.rsplit(".", 1)[1]
            suffix = suffix or mimetypes.guess_extension(entry.mime_type) or ""
            folder = "photos" if entry.kind == "photo" else "documents"
            path = f"{folder}/file_{len(self.file_paths)}{suffix}"
            self.file_paths[path] = file_id
        return {
            "file_id": file_id,
            "file_unique_id": file_id + "u",
            "file_size": len(entry.data),
            "file_path": path,
        }

    def _editable(self, p: dict[str, Any]) -> dict[str, Any]:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: message to edit not found")
        chat = self._chat_for_send(p.get("chat_id"))
        try:
            message_id = int(p.get("message_id") or 0)
        except (TypeError, ValueError):
            raise ApiError(400, "Bad Request: message to edit not found") from None
        stored = self._find(chat.id, message_id)
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not stored.get("from_bot"):
            raise ApiError(400, "Bad Request: message can't be edited")
        return stored

    async def m_editMessageText(self, p: dict[str, Any]) -> Any:
        """Replace a bot message's text (and markup); 400 if nothing changes."""
        stored = self._editable(p)
        if "text" not in stored:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._render(p.get("text"), p.get("parse_mode"), caption=False)
        markup = self._markup(p.get("reply_markup"), self._chat_for_send(p.get("chat_id")))
        before = (stored.get("text"), stored.get("entities") or [], stored.get("reply_markup"))
        if (text, entities, markup) == before:
            raise ApiError(400, NOT_MODIFIED)
        stored["text"] = text
        _set_or_pop(stored, "entities", entities or None)
        _set_or_pop(stored, "reply_markup", markup)
        stored["edit_date"] = int(time.time())
        self._wake_messages()
        return api_view(stored)

    async def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        """Replace (or remove) a bot message's inline keyboard; 400 if nothing changes."""
        stored = self._editable(p)
        markup = self._markup(p.get("reply_markup"), self._chat_for_send(p.get("chat_id")))
        if markup == stored.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        _set_or_pop(stored, "reply_markup", markup)
        stored["edit_date"] = int(time.time())
        self._wake_messages()
        return api_view(stored)

    async def m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
        """Answer a button press once (recorded for /control/callback_answers)."""
        qid = str(p.get("callback_query_id") or "")
        if qid not in self.callback_queries:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = p.get("text")
        if text and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callback_answers.append(
            {"callback_query_id": qid, "text": text, "show_alert": _truthy(p.get("show_alert"))}
        )
        self.callback_queries.pop(qid)
        return True

    # -- dispatch: one path for every transport (HTTP and in process)

    async def call_api(
        self,
        token: str,
        name: str,
        read_params: Callable[[], Awaitable[dict[str, Any]]],
    ) -> Reply:
        """One Bot API request `/bot<token>/<name>`: the token, then the server faults,
        then the method with the parameters `read_params` gives (see `decode_params`)."""
        known = self._methods.get(name.lower())
        method = known[0] if known else name
        self.requests[method] += 1
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        if known is None:
            return self._error(ApiError(404, "Not Found"))
        faults = self.faults
        roll = self._rng.random()
        if roll < faults.drop_rate:
            self.errors["dropped"] += 1
            return Reply(502, drop=True)
        if roll < faults.drop_rate + faults.error_rate:
            return self._error(ApiError(502, "Bad Gateway"))
        delay = bool(faults.delay_rate) and self._rng.random() < faults.delay_rate
        late = bool(faults.late_rate) and self._rng.random() < faults.late_rate
        try:
            params = await read_params()  # the request has arrived whole
            if delay:
                self.errors["delayed"] += 1
                await asyncio.sleep(faults.delay_seconds)
            reply = _ok(await known[1](params))
        except ApiError as err:
            reply = self._error(err)
        except Exception:
            log.exception("emulator: %s failed", method)
            reply = self._error(ApiError(500, "Internal Server Error"))
        if late:
            self.errors["late"] += 1
            await asyncio.sleep(faults.late_seconds)
        return reply

    def connection_fault(self) -> str | None:
        """For a transport in process, before the request reaches the server: 'refused',
        'connect_timeout', 'pool_timeout' (counted in the errors) or None."""
        faults = self.faults
        for name, rate in (
            ("refused", faults.refuse_rate),
            ("connect_timeout", faults.connect_timeout_rate),
            ("pool_timeout", faults.pool_timeout_rate),
        ):
            if rate and self._rng.random() < rate:
                self.errors[name] += 1
                return name
        return None

    def file_reply(self, token: str, file_path: str) -> Reply:
        """`/file/bot<token>/<file_path>`: the bytes of a file, by the path getFile gave."""
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        file_id = self.file_paths.get(file_path)
        if file_id is None:
            return self._error(ApiError(404, "Not Found"))
        return self._file_bytes(file_id)

    def _file_bytes(self, file_id: str) -> Reply:
        entry = self.files[file_id]
        return Reply(200, entry.data, entry.mime_type or "application/octet-stream")

    @staticmethod
    def decode_params(params: dict[str, Any]) -> dict[str, Any]:
        """Parameters as they came (strings, and files as (bytes, filename, mime)) to what
        the methods take: JSON-valued fields decoded, attach://name references resolved."""
        params = dict(params)
        for key in JSON_FIELDS:
            value = params.get(key)
            if isinstance(value, str) and value:
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.get(value[len("attach://") :], value)
        return params

    def _error(self, err: ApiError) -> Reply:
        self.errors[str(err.code)] += 1
        body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.retry_after is not None:
            body["parameters"] = {"retry_after": err.retry_after}
        return Reply(err.code, json.dumps(body).encode())

    # -- HTTP

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        ctype = request.content_type
        if request.method == "POST" and request.can_read_body:
            if ctype == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError:
                    raise ApiError(400, "Bad Request: can't parse JSON request body") from None
                if isinstance(body, dict):
                    params.update(body)
            elif ctype == "multipart/form-data":
                params.update(await _multipart(request))
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        return self.decode_params(params)

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        """`/bot<token>/<method>`."""
        reply = await self.call_api(
            request.match_info["token"], request.match_info["method"], lambda: self._params(request)
        )
        return _http_response(reply, request)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """`/file/bot<token>/<file_path>`: a download, as PTB's base_file_url expects."""
        reply = self.file_reply(request.match_info["token"], request.match_info["file_path"])
        return _http_response(reply, request)

    def make_app(self) -> web.Application:
        """The aiohttp application: Bot API, file downloads, control API."""
        app = web.Application(client_max_size=FILE_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self.handle_file)
        ControlApi(self).add_routes(app)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve over HTTP in the running event loop; returns the port (a free one for 0)."""
        self._new_update = asyncio.Event()
        self._message_event = asyncio.Event()
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple) and len(address) >= 2:
                return int(address[1])
        return port

    async def stop(self) -> None:
        """Stop: pending long polls end, the webhook pusher and requests still running on
        the server's side are cancelled, the HTTP server (if started) closes."""
        self._generation += 1
        self._wake()
        self._stop_pusher()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Wait until `event` is set or `seconds` passed. (Not asyncio.wait_for: in Python 3.11
    it swallows a cancellation that comes as the event is set, and starts waiting a loop
    turn late.)"""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(0.01, seconds)):
            await event.wait()


def _ok(result: Any) -> Reply:
    return Reply(200, json.dumps({"ok": True, "result": result}).encode())


def _http_response(reply: Reply, request: web.Request) -> web.StreamResponse:
    if reply.drop:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=502)
    return web.Response(status=reply.status, body=reply.body, content_type=reply.content_type)


async def _multipart(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            continue
        name = part.name or ""
        if part.filename:
            data = await part.read()
            mime = part.headers.get("Content-Type", "application/octet-stream")
            params[name] = (bytes(data), part.filename, mime)
        else:
            params[name] = await part.text()
    return params


def _set_or_pop(message: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        message.pop(key, None)
    else:
        message[key] = value


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _int(value: Any, what: str) -> int:
    if value in (None, ""):
        return 0
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {what} specified") from None


def run(
    host: str = "127.0.0.1",
    port: int = 8081,
    token: str | None = None,
    allow_http_webhooks: bool = False,
) -> None:
    """`duban emulator`: serve until interrupted (logs where, at INFO)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    token = token or DEFAULT_TOKEN

    async def main() -> None:
        emulator = Emulator(token, allow_http_webhooks=allow_http_webhooks)
        bound = await emulator.start(host, port)
        log.info("Bot API emulator on http://%s:%d (token %s)", host, bound, token)
        log.info("  TELEGRAM_BOT_TOKEN=%s duban run --base-url http://%s:%d", token, host, bound)
        try:
            await asyncio.Event().wait()
        finally:
            await emulator.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
