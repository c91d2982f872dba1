"""A local Bot API server that behaves like Telegram, for tests, `make demo` and rehearsals.

The real python-telegram-bot application runs against it unchanged (`base_url`). It
speaks the Bot API over HTTP (form-encoded, JSON and multipart bodies; `{"ok": ...}`
answers) for the methods duban uses, and enforces Telegram's rules so that bugs that
would hit production show up here first:

* 403 for a private chat whose user never started the bot, or blocked it;
* 400 for an empty text, a text over 4096 characters (visible, UTF-16), a caption
  over 1024, callback data over 64 bytes, HTML or MarkdownV2 that does not parse, an
  edit that changes nothing;
* 429 with ``retry_after`` past ~30 messages a second overall, ~1 a second to one
  chat (short bursts allowed), 20 a minute to one group;
* 409 when a second ``getUpdates`` poller or a webhook competes;
* privacy mode in groups: the bot sees only commands, replies to its messages and
  mentions.

A control API under ``/control/`` lets tests act as users (send, reply, press a button,
edit, start, block) and read what the bot sent; faults (5xx, delays, dropped
connections) can be injected for the reliability tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import logging
import math
import random
import re
import struct
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from bot.emulator.html import ParseError, parse_html, utf16_len
from bot.emulator.markdown import parse_markdown

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
FILE_LIMIT = 50 * 1024 * 1024
COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
USER_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,32}))?")
MENTION = re.compile(r"(?<![A-Za-z0-9_])@([A-Za-z0-9_]{5,32})")
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
# Keys of a stored message that only the control API shows (not part of the Bot API's Message).
CONTROL_KEYS = ("from_bot", "disable_notification")
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

Handler = Callable[[dict[str, Any]], Awaitable[Any]]
ControlHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ControlError(Exception):
    """A control API request that cannot be carried out (unknown user, chat, button...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Limits:
    """Telegram's flood limits (set `enabled=False` to switch them off).

    Overall: at most `global_per_second` messages in any second. A private chat: a token
    bucket of `chat_burst` refilled at `chat_per_second`. A group: at most
    `group_per_minute` in any `group_window_seconds`.
    """

    enabled: bool = True
    global_per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 5
    group_per_minute: int = 20
    group_window_seconds: float = 60.0


@dataclass
class Faults:
    """Injected faults, each a share of Bot API requests (0..1)."""

    error_rate: float = 0.0  # answered 502 Bad Gateway
    delay_rate: float = 0.0  # answered after `delay_seconds`
    delay_seconds: float = 1.0
    drop_rate: float = 0.0  # connection closed without an answer
    seed: int | None = None


@dataclass
class User:
    """A Telegram user the tests act as."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "zh-hans"
    started: bool = False
    blocked: bool = False

    def as_api(self) -> dict[str, Any]:
        """The Bot API's User object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class Chat:
    """A private chat or a group (privacy mode on by default, as for a new bot)."""

    id: int
    type: str
    title: str = ""
    user: User | None = None
    members: set[int] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    privacy: bool = True

    def as_api(self) -> dict[str, Any]:
        """The Bot API's Chat object."""
        if self.type == "private" and self.user is not None:
            out: dict[str, Any] = {"id": self.id, "type": "private"}
            out["first_name"] = self.user.first_name
            if self.user.username:
                out["username"] = self.user.username
            return out
        return {"id": self.id, "type": self.type, "title": self.title}


def api_view(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the Bot API shows it (without the control API's keys)."""
    return {k: v for k, v in message.items() if k not in CONTROL_KEYS}


class Emulator:
    """The server's state and handlers.

    `clock` (seconds, monotonic) drives the flood limits only, so tests can move time by
    hand; long polling and message dates use real time.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        username: str = DEFAULT_USERNAME,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        prefix = token.split(":", 1)[0]
        self.bot_id = int(prefix) if prefix.isdigit() else 1
        self.username = username
        self.clock = clock
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
        self.reset()

    # -- state

    def reset(self) -> None:
        """Forget users, chats, updates, files, stats; back to the limits and faults given
        at construction. Update ids keep increasing."""
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.allowed_updates: list[str] | None = None
        self.webhook = ""
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.files: dict[str, tuple[bytes, str, str]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.requests: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
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
        """Wake every pending getUpdates (they look again at the queue)."""
        event = self._event()
        event.set()
        event.clear()

    def _wake_messages(self) -> None:
        """Wake every pending /control/wait."""
        self._msg_event().set()
        self._message_event = asyncio.Event()

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

    def user_message(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        """A user writes to a chat (their private chat unless `chat_id`); the message.

        Any message in the private chat starts the bot (and unblocks it). In a group with
        privacy mode the bot gets an update only for a command, a reply to one of its
        messages, or a mention.
        """
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
            "text": text,
        }
        entities = self._user_entities(text)
        if entities:
            message["entities"] = entities
        if target is not None:
            message["reply_to_message"] = api_view(target)
        chat.messages.append({**message, "from_bot": False})
        if self._bot_sees(chat, message, target):
            self._push_update("message", message)
        return message

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
        text = str(message.get("text", ""))
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

    def _flood(self, chat: Chat) -> None:
        """Count one message to `chat`, or raise 429 (nothing counted) past the limits."""
        limits = self.limits
        if not limits.enabled:
            return
        now = self.clock()
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

    @staticmethod
    def _markup(raw: Any) -> dict[str, Any] | None:
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
                if not isinstance(button, dict) or not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
                if data is None and not any(k in button for k in BUTTON_ACTIONS):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
        return {"inline_keyboard": rows}

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
        """Remove the webhook; optionally drop pending updates."""
        self.webhook = ""
        if _truthy(p.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def m_setWebhook(self, p: dict[str, Any]) -> Any:
        """Record a webhook URL (nothing is delivered to it; getUpdates then gives 409)."""
        url = str(p.get("url") or "")
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self.webhook = url
        if _truthy(p.get("drop_pending_updates")):
            self.updates.clear()
        return True

    async def m_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        """The webhook URL and the number of pending updates."""
        return {
            "url": self.webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

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
            ready = [u for u in self.updates if self._allowed(u)][:limit]
            if ready or time.monotonic() >= deadline:
                return ready
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event().wait(), max(0.01, deadline - time.monotonic()))

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
        markup = self._markup(p.get("reply_markup"))
        target = self._reply_target(chat, p)
        self._flood(chat)
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
        markup = self._markup(p.get("reply_markup"))
        upload = p.get(field_name)
        if isinstance(upload, tuple):
            data, filename, mime = upload
        elif isinstance(upload, str) and upload in self.files:
            data, filename, mime = self.files[upload]
        elif isinstance(upload, str) and upload:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if len(data) > FILE_LIMIT:
            raise ApiError(413, "Request Entity Too Large")
        target = self._reply_target(chat, p)
        self._flood(chat)
        message = self._new_message(chat, target)
        file_id = f"F{next(self._file_ids):06d}{field_name[:3]}"
        self.files[file_id] = (data, filename, mime)
        if field_name == "photo":
            width, height = _png_size(data)
            message["photo"] = [
                {
                    "file_id": file_id,
                    "file_unique_id": file_id + "u",
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            ]
        else:
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id + "u",
                "file_name": filename,
                "mime_type": mime,
                "file_size": len(data),
            }
        if caption is not None:
            message["caption"] = caption[0]
            if caption[1]:
                message["caption_entities"] = caption[1]
        if markup:
            message["reply_markup"] = markup
        return self._store_bot_message(chat, message, p)

    async def m_sendDocument(self, p: dict[str, Any]) -> Any:
        """A file (multipart upload, or a file_id sent before)."""
        return await self._send_file(p, "document")

    async def m_sendPhoto(self, p: dict[str, Any]) -> Any:
        """A photo (multipart upload, or a file_id sent before)."""
        return await self._send_file(p, "photo")

    async def m_getFile(self, p: dict[str, Any]) -> Any:
        """A File whose file_path downloads from `/file/bot<token>/<file_path>`."""
        file_id = str(p.get("file_id") or "")
        entry = self.files.get(file_id)
        if entry is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": file_id + "u",
            "file_size": len(entry[0]),
            "file_path": file_id,
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
        markup = self._markup(p.get("reply_markup"))
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
        markup = self._markup(p.get("reply_markup"))
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
                reader = await request.multipart()
                async for part in reader:
                    if not isinstance(part, BodyPartReader):
                        continue
                    name = part.name or ""
                    if part.filename:
                        data = await part.read()
                        params[name] = (
                            bytes(data),
                            part.filename,
                            part.headers.get("Content-Type", "application/octet-stream"),
                        )
                    else:
                        params[name] = await part.text()
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        for key in JSON_FIELDS:
            value = params.get(key)
            if isinstance(value, str) and value:
                try:
                    params[key] = json.loads(value)
                except json.JSONDecodeError:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        # attach://name references in multipart bodies
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.get(value[len("attach://") :], value)
        return params

    async def handle_api(self, request: web.Request) -> web.StreamResponse:
        """`/bot<token>/<method>`: faults first, then the method."""
        token = request.match_info["token"]
        known = self._methods.get(request.match_info["method"].lower())
        method = known[0] if known else request.match_info["method"]
        self.requests[method] += 1
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        if known is None:
            return self._error(ApiError(404, "Not Found"))
        faults = self.faults
        roll = self._rng.random()
        if roll < faults.drop_rate:
            self.errors["dropped"] += 1
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=502)
        if roll < faults.drop_rate + faults.error_rate:
            return self._error(ApiError(502, "Bad Gateway"))
        if faults.delay_rate and self._rng.random() < faults.delay_rate:
            self.errors["delayed"] += 1
            await asyncio.sleep(faults.delay_seconds)
        try:
            params = await self._params(request)
            result = await known[1](params)
        except ApiError as err:
            return self._error(err)
        except Exception:
            log.exception("emulator: %s failed", method)
            return self._error(ApiError(500, "Internal Server Error"))
        return web.json_response({"ok": True, "result": result})

    def _error(self, err: ApiError) -> web.Response:
        self.errors[str(err.code)] += 1
        body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.retry_after is not None:
            body["parameters"] = {"retry_after": err.retry_after}
        return web.json_response(body, status=err.code)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        """`/file/bot<token>/<file_path>`: a download, as PTB's base_file_url expects."""
        if request.match_info["token"] != self.token:
            raise web.HTTPUnauthorized()
        return self._file_response(request.match_info["file_id"])

    def _file_response(self, file_id: str) -> web.Response:
        entry = self.files.get(file_id)
        if entry is None:
            raise web.HTTPNotFound()
        return web.Response(body=entry[0], content_type=entry[2] or "application/octet-stream")

    # -- control API (JSON; errors are {"error": "..."} with 400 or 404)

    async def c_user(self, body: dict[str, Any]) -> Any:
        """{id, first_name?, username?, language_code?} -> User."""
        user = self.add_user(
            int(body["id"]),
            str(body.get("first_name") or body["id"]),
            body.get("username"),
            body.get("language_code", "zh-hans"),
        )
        return user.as_api()

    async def c_group(self, body: dict[str, Any]) -> Any:
        """{id, title?, members?, type?, privacy?} -> Chat."""
        chat = self.add_group(
            int(body["id"]),
            str(body.get("title") or "group"),
            [int(m) for m in body.get("members") or []],
            str(body.get("type") or "group"),
            bool(body.get("privacy", True)),
        )
        return chat.as_api()

    async def c_send(self, body: dict[str, Any]) -> Any:
        """{user_id, text, chat_id?, reply_to?} -> Message."""
        chat_id = body.get("chat_id")
        reply_to = body.get("reply_to")
        return self.user_message(
            int(body["user_id"]),
            str(body["text"]),
            int(chat_id) if chat_id is not None else None,
            int(reply_to) if reply_to is not None else None,
        )

    async def c_start(self, body: dict[str, Any]) -> Any:
        """{user_id, payload?} -> the /start message."""
        payload = body.get("payload")
        text = f"/start {payload}" if payload else "/start"
        return self.user_message(int(body["user_id"]), text)

    async def c_press(self, body: dict[str, Any]) -> Any:
        """{user_id, message_id, data? | text?, chat_id?} -> {callback_query_id}."""
        user = self._user(int(body["user_id"]))
        chat_id = int(body.get("chat_id") or user.id)
        message = self._find(chat_id, int(body["message_id"]))
        if message is None or not message.get("from_bot"):
            raise ControlError(404, "no such bot message")
        buttons = [
            b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
        ]
        data = body.get("data")
        if data is None and body.get("text") is not None:
            data = next(
                (b.get("callback_data") for b in buttons if b.get("text") == body["text"]), None
            )
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
        return {"callback_query_id": qid}

    async def c_edit(self, body: dict[str, Any]) -> Any:
        """{user_id, message_id, text, chat_id?} -> the edited Message."""
        user = self._user(int(body["user_id"]))
        chat_id = int(body.get("chat_id") or user.id)
        message = self._find(chat_id, int(body["message_id"]))
        if message is None or message.get("from_bot") or message["from"]["id"] != user.id:
            raise ControlError(404, "no such user message")
        text = str(body["text"])
        message["text"] = text
        _set_or_pop(message, "entities", self._user_entities(text) or None)
        message["edit_date"] = int(time.time())
        payload = api_view(message)
        chat = self._chat(chat_id)
        target = self._find(chat_id, int(message.get("reply_to_message", {}).get("message_id", 0)))
        if self._bot_sees(chat, payload, target):
            self._push_update("edited_message", payload)
        return payload

    async def c_block(self, body: dict[str, Any]) -> Any:
        """{user_id} -> {ok}."""
        self.block(int(body["user_id"]))
        return {"ok": True}

    async def c_unblock(self, body: dict[str, Any]) -> Any:
        """{user_id} -> {ok}."""
        self.unblock(int(body["user_id"]))
        return {"ok": True}

    async def c_chat(self, request: web.Request) -> web.StreamResponse:
        """Every message of a chat in order (with `from_bot`); [] for an unknown chat."""
        chat = self.chats.get(int(request.match_info["chat_id"]))
        return web.json_response([dict(m) for m in chat.messages] if chat else [])

    async def c_wait(self, request: web.Request) -> web.StreamResponse:
        """?chat_id&count&timeout: long-poll until the chat has `count` bot messages."""
        chat_id = int(request.query["chat_id"])
        count = int(request.query.get("count", "1"))
        deadline = time.monotonic() + float(request.query.get("timeout", "10"))

        def bot_messages() -> list[dict[str, Any]]:
            chat = self.chats.get(chat_id)
            return [dict(m) for m in chat.messages if m.get("from_bot")] if chat else []

        while len(bot_messages()) < count and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._msg_event().wait(), max(0.01, deadline - time.monotonic())
                )
        return web.json_response(bot_messages())

    async def c_file(self, request: web.Request) -> web.StreamResponse:
        """The bytes of a file the bot sent."""
        return self._file_response(request.match_info["file_id"])

    async def c_stats(self, request: web.Request) -> web.StreamResponse:
        """{requests: {method: n}, errors: {code: n}, total}."""
        return web.json_response(
            {
                "requests": dict(self.requests),
                "errors": dict(self.errors),
                "total": sum(self.requests.values()),
            }
        )

    async def c_updates(self, request: web.Request) -> web.StreamResponse:
        """The updates not yet confirmed by a getUpdates offset."""
        return web.json_response(self.updates)

    async def c_faults(self, body: dict[str, Any]) -> Any:
        """Faults fields (missing ones take their defaults) -> the faults now."""
        self.set_faults(Faults(**body))
        return asdict(self.faults)

    async def c_limits(self, body: dict[str, Any]) -> Any:
        """Limits fields (missing ones keep their value) -> the limits now."""
        self.set_limits(dataclasses.replace(self.limits, **body))
        return asdict(self.limits)

    async def c_reset(self, body: dict[str, Any]) -> Any:
        """Forget everything (see `reset`)."""
        self.reset()
        return {"ok": True}

    async def c_webhook(self, body: dict[str, Any]) -> Any:
        """{url}: pretend a webhook is set ('' removes it)."""
        self.webhook = str(body.get("url") or "")
        return {"ok": True}

    async def c_callback_answers(self, request: web.Request) -> web.StreamResponse:
        """answerCallbackQuery calls, in order."""
        return web.json_response(self.callback_answers)

    async def c_commands(self, request: web.Request) -> web.StreamResponse:
        """The command menus by '<scope>:<language_code>'."""
        return web.json_response(self.commands)

    def _control(self, handler: Callable[[dict[str, Any]], Awaitable[Any]]) -> ControlHandler:
        """A POST handler taking a JSON object and answering JSON."""

        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                body = await request.json() if request.can_read_body else {}
            except json.JSONDecodeError:
                return web.json_response({"error": "the body is not JSON"}, status=400)
            if not isinstance(body, dict):
                return web.json_response({"error": "the body is not a JSON object"}, status=400)
            try:
                return web.json_response(await handler(body))
            except ControlError as err:
                return web.json_response({"error": err.message}, status=err.status)
            except (KeyError, TypeError, ValueError) as err:
                return web.json_response({"error": f"bad request: {err!r}"}, status=400)

        return wrapped

    def make_app(self) -> web.Application:
        """The aiohttp application: Bot API, file downloads, control API."""
        app = web.Application(client_max_size=FILE_LIMIT + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{file_id}", self.handle_file)
        posts: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "users": self.c_user,
            "groups": self.c_group,
            "send": self.c_send,
            "start": self.c_start,
            "press": self.c_press,
            "edit": self.c_edit,
            "block": self.c_block,
            "unblock": self.c_unblock,
            "faults": self.c_faults,
            "limits": self.c_limits,
            "reset": self.c_reset,
            "webhook": self.c_webhook,
        }
        for name, handler in posts.items():
            app.router.add_post(f"/control/{name}", self._control(handler))
        app.router.add_get("/control/chat/{chat_id}", self.c_chat)
        app.router.add_get("/control/wait", self.c_wait)
        app.router.add_get("/control/file/{file_id}", self.c_file)
        app.router.add_get("/control/stats", self.c_stats)
        app.router.add_get("/control/updates", self.c_updates)
        app.router.add_get("/control/callback_answers", self.c_callback_answers)
        app.router.add_get("/control/commands", self.c_commands)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve in the running event loop; returns the port (a free one for port 0)."""
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
        """Stop serving (pending long polls end)."""
        self._generation += 1
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


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


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 0, 0


def run(host: str = "127.0.0.1", port: int = 8081, token: str | None = None) -> None:
    """`duban emulator`: serve until interrupted (logs where, at INFO)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    token = token or DEFAULT_TOKEN

    async def main() -> None:
        emulator = Emulator(token)
        bound = await emulator.start(host, port)
        log.info("Bot API emulator on http://%s:%d (token %s)", host, bound, token)
        log.info("  duban run --base-url http://%s:%d --token %s", host, bound, token)
        try:
            await asyncio.Event().wait()
        finally:
            await emulator.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
