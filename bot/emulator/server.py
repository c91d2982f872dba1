"""A local Bot API server that behaves like Telegram, for tests, `make demo` and rehearsals.

The real python-telegram-bot application runs against it unchanged (`base_url`). It
speaks the Bot API over HTTP (form-encoded, JSON and multipart bodies; `{"ok": ...}`
answers) for the methods duban uses, and enforces Telegram's rules so that bugs that
would hit production show up here first:

* 403 for a private chat whose user never started the bot, or blocked it;
* 400 for an empty text, a text over 4096 characters (visible, UTF-16), a caption
  over 1024, callback data over 64 bytes, HTML that does not parse, an edit that
  changes nothing;
* 429 with ``retry_after`` past ~30 messages a second overall, ~1 a second to one
  chat (short bursts allowed), 20 a minute to one group;
* 409 when a second ``getUpdates`` poller or a webhook competes.

A control API under ``/control/`` lets tests act as users (send, reply, press a button,
edit, start, block) and read what the bot sent; faults (5xx, delays, dropped
connections) can be injected for the reliability tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import math
import random
import struct
import time
from collections import defaultdict, deque
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from bot.emulator.html import ParseError, parse_html, utf16_len

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:DUBAN-LOCAL-EMULATOR"
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
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
COMMAND_NAME = __import__("re").compile(r"^[a-z0-9_]{1,32}$")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class Limits:
    """Telegram's flood limits (set `enabled=False` to switch them off)."""

    enabled: bool = True
    global_per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: int = 5
    group_per_minute: int = 20


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
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class Chat:
    """A private chat or a group."""

    id: int
    type: str
    title: str = ""
    user: User | None = None
    members: set[int] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def as_api(self) -> dict[str, Any]:
        if self.type == "private" and self.user is not None:
            out: dict[str, Any] = {"id": self.id, "type": "private"}
            out["first_name"] = self.user.first_name
            if self.user.username:
                out["username"] = self.user.username
            return out
        return {"id": self.id, "type": self.type, "title": self.title}


class Emulator:
    """The server's state and handlers."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limits: Limits | None = None,
        faults: Faults | None = None,
        username: str = "duban_test_bot",
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.username = username
        self._runner: web.AppRunner | None = None
        self.reset()
        self.limits = limits or Limits()
        self.faults = faults or Faults()
        self._rng = random.Random(self.faults.seed)

    # -- state

    def reset(self) -> None:
        """Forget everything but the token (users, chats, updates, stats, faults, limits)."""
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self.confirmed = 0
        self.allowed_updates: list[str] | None = None
        self.webhook = ""
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.files: dict[str, tuple[bytes, str, str]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.callback_answers: list[dict[str, Any]] = []
        self.requests: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self._poll_token = 0
        self._new_update = asyncio.Event() if self._has_loop() else None
        self._message_event: asyncio.Event | None = None
        self._sent_global: deque[float] = deque()
        self._chat_buckets: dict[int, tuple[float, float]] = {}
        self._group_sent: dict[int, deque[float]] = defaultdict(deque)
        self._file_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.limits = Limits()
        self.faults = Faults()
        self._rng = random.Random()

    @staticmethod
    def _has_loop() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _event(self) -> asyncio.Event:
        if self._new_update is None:
            self._new_update = asyncio.Event()
        return self._new_update

    def _msg_event(self) -> asyncio.Event:
        if self._message_event is None:
            self._message_event = asyncio.Event()
        return self._message_event

    def _wake(self) -> None:
        self._event().set()
        self._event().clear()

    def _wake_messages(self) -> None:
        ev = self._msg_event()
        ev.set()
        self._message_event = asyncio.Event()

    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "督办",
            "username": self.username,
        }

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name, username, language_code)
            self.users[user_id] = user
            self.chats[user_id] = Chat(user_id, "private", user=user)
        else:
            user.first_name, user.username = first_name, username
        return user

    def add_group(self, chat_id: int, title: str, members: list[int]) -> Chat:
        chat = self.chats.get(chat_id) or Chat(chat_id, "group", title=title)
        chat.members.update(members)
        self.chats[chat_id] = chat
        return chat

    def _push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self.update_ids), kind: payload}
        self.updates.append(update)
        self._wake()
        return update

    def _user_message(
        self, user_id: int, text: str, chat_id: int | None = None, reply_to: int | None = None
    ) -> dict[str, Any]:
        user = self.users.get(user_id) or self.add_user(user_id, f"user{user_id}")
        chat = self.chats[chat_id if chat_id is not None else user_id]
        if chat.type == "private":
            user.started = True
            user.blocked = False
        message: dict[str, Any] = {
            "message_id": next(self.message_ids[chat.id]),
            "from": user.as_api(),
            "chat": chat.as_api(),
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        if reply_to is not None:
            target = self._find(chat.id, reply_to)
            if target is None:
                raise ApiError(400, "Bad Request: message to reply not found")
            message["reply_to_message"] = {k: v for k, v in target.items() if k != "from_bot"}
        chat.messages.append({**message, "from_bot": False})
        self._push_update("message", message)
        return message

    def _find(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        chat = self.chats.get(chat_id)
        if chat is None:
            return None
        return next((m for m in chat.messages if m["message_id"] == message_id), None)

    # -- rules

    def _chat_for_send(self, raw: Any) -> Chat:
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
        if not self.limits.enabled:
            return
        now = time.monotonic()
        window = self._sent_global
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= self.limits.global_per_second:
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        if chat.type == "private":
            tokens, last = self._chat_buckets.get(chat.id, (float(self.limits.chat_burst), now))
            tokens = min(
                float(self.limits.chat_burst), tokens + (now - last) * self.limits.chat_per_second
            )
            if tokens < 1.0:
                wait = max(1, math.ceil((1.0 - tokens) / self.limits.chat_per_second))
                self._chat_buckets[chat.id] = (tokens, now)
                raise ApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)
            self._chat_buckets[chat.id] = (tokens - 1.0, now)
        else:
            sent = self._group_sent[chat.id]
            while sent and now - sent[0] >= 60.0:
                sent.popleft()
            if len(sent) >= self.limits.group_per_minute:
                wait = max(1, math.ceil(60.0 - (now - sent[0])))
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
        if not isinstance(rows, list):
            raise ApiError(
                400,
                'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
            )
        for row in rows:
            for button in row:
                if not button.get("text"):
                    raise ApiError(
                        400, "Bad Request: text buttons are unallowed in the inline keyboard"
                    )
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        return {"inline_keyboard": rows}

    @staticmethod
    def _render(
        text: Any, parse_mode: Any, limit: int, what: str
    ) -> tuple[str, list[dict[str, Any]]]:
        text = "" if text is None else str(text)
        if parse_mode and str(parse_mode).upper() == "HTML":
            try:
                visible, entities = parse_html(text)
            except ParseError as err:
                raise ApiError(400, f"Bad Request: {err}") from None
        else:
            visible, entities = text, []
        if not visible.strip():
            raise ApiError(
                400,
                f"Bad Request: {what} is empty"
                if what == "message text"
                else "Bad Request: caption is empty",
            )
        if utf16_len(visible) > limit:
            raise ApiError(
                400,
                "Bad Request: message is too long"
                if what == "message text"
                else "Bad Request: message caption is too long",
            )
        return visible, entities

    def _store_bot_message(self, chat: Chat, message: dict[str, Any]) -> dict[str, Any]:
        chat.messages.append({**message, "from_bot": True})
        self._wake_messages()
        return message

    def _base_message(self, chat: Chat, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self.message_ids[chat.id]),
            "from": self.bot_user(),
            "chat": chat.as_api(),
            "date": int(time.time()),
        }
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") if isinstance(reply, dict) else None
        reply_to = reply_to or params.get("reply_to_message_id")
        if reply_to:
            target = self._find(chat.id, int(reply_to))
            if target is None:
                if not (isinstance(reply, dict) and reply.get("allow_sending_without_reply")):
                    raise ApiError(400, "Bad Request: message to be replied not found")
            else:
                message["reply_to_message"] = {k: v for k, v in target.items() if k != "from_bot"}
        return message

    # -- Bot API methods

    async def m_getMe(self, p: dict[str, Any]) -> Any:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def m_logOut(self, p: dict[str, Any]) -> Any:
        return True

    async def m_close(self, p: dict[str, Any]) -> Any:
        return True

    async def m_deleteWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = ""
        if _truthy(p.get("drop_pending_updates")):
            self.confirmed = self.updates[-1]["update_id"] if self.updates else self.confirmed
            self.updates.clear()
        return True

    async def m_setWebhook(self, p: dict[str, Any]) -> Any:
        self.webhook = str(p.get("url") or "")
        return True

    async def m_getWebhookInfo(self, p: dict[str, Any]) -> Any:
        return {
            "url": self.webhook,
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }

    async def m_getUpdates(self, p: dict[str, Any]) -> Any:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = max(1, min(100, int(p.get("limit") or 100)))
        timeout = max(0.0, float(p.get("timeout") or 0))
        if p.get("allowed_updates") is not None:
            allowed = p["allowed_updates"]
            self.allowed_updates = list(allowed) if allowed else None
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self._poll_token += 1
        mine = self._poll_token
        self._wake()  # an earlier poller learns it was superseded
        deadline = time.monotonic() + timeout
        while True:
            if mine != self._poll_token:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
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
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        for c in commands:
            if not COMMAND_NAME.match(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope_key(p)] = commands
        return True

    @staticmethod
    def _scope_key(p: dict[str, Any]) -> str:
        scope = p.get("scope") or {"type": "default"}
        return f"{scope.get('type', 'default')}:{p.get('language_code') or ''}"

    async def m_getMyCommands(self, p: dict[str, Any]) -> Any:
        return self.commands.get(self._scope_key(p), [])

    async def m_deleteMyCommands(self, p: dict[str, Any]) -> Any:
        self.commands.pop(self._scope_key(p), None)
        return True

    async def m_getChat(self, p: dict[str, Any]) -> Any:
        chat = self.chats.get(int(p.get("chat_id") or 0))
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        return {**chat.as_api(), "accent_color_id": 0, "max_reaction_count": 11}

    async def m_sendChatAction(self, p: dict[str, Any]) -> Any:
        self._chat_for_send(p.get("chat_id"))
        return True

    async def m_sendMessage(self, p: dict[str, Any]) -> Any:
        chat = self._chat_for_send(p.get("chat_id"))
        text, entities = self._render(p.get("text"), p.get("parse_mode"), 4096, "message text")
        markup = self._markup(p.get("reply_markup"))
        message = self._base_message(chat, p)
        self._flood(chat)
        message["text"] = text
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        return self._store_bot_message(chat, message)

    async def _send_file(self, p: dict[str, Any], field_name: str) -> dict[str, Any]:
        chat = self._chat_for_send(p.get("chat_id"))
        caption = p.get("caption")
        caption_text = None
        if caption:
            caption_text, _ = self._render(caption, p.get("parse_mode"), 1024, "caption")
        upload = p.get(field_name)
        if isinstance(upload, tuple):
            data, filename, mime = upload
        elif isinstance(upload, str) and upload in self.files:
            data, filename, mime = self.files[upload]
        else:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if len(data) > 50 * 1024 * 1024:
            raise ApiError(413, "Request Entity Too Large")
        message = self._base_message(chat, p)
        self._flood(chat)
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
        if caption_text:
            message["caption"] = caption_text
        markup = self._markup(p.get("reply_markup"))
        if markup:
            message["reply_markup"] = markup
        return self._store_bot_message(chat, message)

    async def m_sendDocument(self, p: dict[str, Any]) -> Any:
        return await self._send_file(p, "document")

    async def m_sendPhoto(self, p: dict[str, Any]) -> Any:
        return await self._send_file(p, "photo")

    def _editable(self, p: dict[str, Any]) -> tuple[Chat, dict[str, Any]]:
        chat = self._chat_for_send(p.get("chat_id"))
        try:
            message_id = int(p.get("message_id") or 0)
        except ValueError:
            raise ApiError(400, "Bad Request: message to edit not found") from None
        stored = self._find(chat.id, message_id)
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not stored.get("from_bot"):
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat, stored

    async def m_editMessageText(self, p: dict[str, Any]) -> Any:
        _, stored = self._editable(p)
        text, entities = self._render(p.get("text"), p.get("parse_mode"), 4096, "message text")
        markup = self._markup(p.get("reply_markup"))
        if text == stored.get("text") and markup == stored.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            )
        stored["text"] = text
        stored["entities"] = entities
        if markup is None:
            stored.pop("reply_markup", None)
        else:
            stored["reply_markup"] = markup
        stored["edit_date"] = int(time.time())
        self._wake_messages()
        return {k: v for k, v in stored.items() if k != "from_bot"}

    async def m_editMessageReplyMarkup(self, p: dict[str, Any]) -> Any:
        _, stored = self._editable(p)
        markup = self._markup(p.get("reply_markup"))
        if markup == stored.get("reply_markup"):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
            )
        if markup is None:
            stored.pop("reply_markup", None)
        else:
            stored["reply_markup"] = markup
        stored["edit_date"] = int(time.time())
        return {k: v for k, v in stored.items() if k != "from_bot"}

    async def m_answerCallbackQuery(self, p: dict[str, Any]) -> Any:
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
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
            elif ctype == "multipart/form-data":
                reader = await request.multipart()
                async for part in reader:
                    if part is None or not hasattr(part, "name"):
                        continue
                    name = part.name or ""
                    if getattr(part, "filename", None):
                        data = await part.read()  # type: ignore[union-attr]
                        params[name] = (
                            bytes(data),
                            part.filename,  # type: ignore[union-attr]
                            part.headers.get("Content-Type", "application/octet-stream"),
                        )
                    else:
                        params[name] = await part.text()  # type: ignore[union-attr]
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
        token = request.match_info["token"]
        method = request.match_info["method"]
        self.requests[method] += 1
        if token != self.token:
            return self._error(ApiError(401, "Unauthorized"))
        handler = getattr(self, f"m_{method}", None)
        if handler is None:
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
        if self._rng.random() < faults.delay_rate:
            await asyncio.sleep(faults.delay_seconds)
        try:
            params = await self._params(request)
            result = await handler(params)
        except ApiError as err:
            return self._error(err)
        return web.json_response({"ok": True, "result": result})

    def _error(self, err: ApiError) -> web.Response:
        self.errors[str(err.code)] += 1
        body: dict[str, Any] = {"ok": False, "error_code": err.code, "description": err.description}
        if err.retry_after is not None:
            body["parameters"] = {"retry_after": err.retry_after}
        return web.json_response(body, status=err.code)

    async def handle_file(self, request: web.Request) -> web.StreamResponse:
        entry = self.files.get(request.match_info["file_id"])
        if entry is None:
            raise web.HTTPNotFound()
        return web.Response(body=entry[0], content_type=entry[2] or "application/octet-stream")

    # -- control API

    async def c_user(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.add_user(
            int(body["id"]),
            str(body.get("first_name") or body["id"]),
            body.get("username"),
            body.get("language_code", "zh-hans"),
        )
        return web.json_response(user.as_api())

    async def c_group(self, request: web.Request) -> web.Response:
        body = await request.json()
        chat = self.add_group(
            int(body["id"]),
            str(body.get("title", "group")),
            [int(m) for m in body.get("members", [])],
        )
        return web.json_response(chat.as_api())

    async def c_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            message = self._user_message(
                int(body["user_id"]), str(body["text"]), body.get("chat_id"), body.get("reply_to")
            )
        except ApiError as err:
            return web.json_response({"error": err.description}, status=400)
        return web.json_response(message)

    async def c_start(self, request: web.Request) -> web.Response:
        body = await request.json()
        payload = body.get("payload")
        text = f"/start {payload}" if payload else "/start"
        return web.json_response(self._user_message(int(body["user_id"]), text))

    async def c_press(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.users[int(body["user_id"])]
        chat_id = int(body.get("chat_id") or user.id)
        message = self._find(chat_id, int(body["message_id"]))
        if message is None or not message.get("from_bot"):
            return web.json_response({"error": "no such bot message"}, status=400)
        buttons = [
            b for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row
        ]
        data = body.get("data")
        if data is None and body.get("text") is not None:
            data = next(
                (b.get("callback_data") for b in buttons if b.get("text") == body["text"]), None
            )
        if data is None or all(b.get("callback_data") != data for b in buttons):
            return web.json_response({"error": "no such button"}, status=400)
        qid = str(next(self._callback_ids) * 7919 + 100000)
        query = {
            "id": qid,
            "from": user.as_api(),
            "message": {k: v for k, v in message.items() if k != "from_bot"},
            "chat_instance": str(chat_id),
            "data": data,
        }
        self.callback_queries[qid] = query
        self._push_update("callback_query", query)
        return web.json_response({"callback_query_id": qid})

    async def c_edit(self, request: web.Request) -> web.Response:
        body = await request.json()
        user = self.users[int(body["user_id"])]
        chat_id = int(body.get("chat_id") or user.id)
        message = self._find(chat_id, int(body["message_id"]))
        if message is None or message.get("from_bot") or message["from"]["id"] != user.id:
            return web.json_response({"error": "no such user message"}, status=400)
        message["text"] = str(body["text"])
        message["edit_date"] = int(time.time())
        payload = {k: v for k, v in message.items() if k != "from_bot"}
        self._push_update("edited_message", payload)
        return web.json_response(payload)

    async def c_block(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.users[int(body["user_id"])].blocked = True
        return web.json_response({"ok": True})

    async def c_unblock(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.users[int(body["user_id"])].blocked = False
        return web.json_response({"ok": True})

    def _public(self, message: dict[str, Any]) -> dict[str, Any]:
        return dict(message)

    async def c_chat(self, request: web.Request) -> web.Response:
        chat = self.chats.get(int(request.match_info["chat_id"]))
        return web.json_response([self._public(m) for m in chat.messages] if chat else [])

    async def c_wait(self, request: web.Request) -> web.Response:
        chat_id = int(request.query["chat_id"])
        count = int(request.query.get("count", "1"))
        deadline = time.monotonic() + float(request.query.get("timeout", "10"))

        def bot_messages() -> list[dict[str, Any]]:
            chat = self.chats.get(chat_id)
            return [self._public(m) for m in chat.messages if m.get("from_bot")] if chat else []

        while len(bot_messages()) < count and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._msg_event().wait(), max(0.01, deadline - time.monotonic())
                )
        return web.json_response(bot_messages())

    async def c_file(self, request: web.Request) -> web.StreamResponse:
        return await self.handle_file(request)

    async def c_stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": dict(self.requests),
                "errors": dict(self.errors),
                "total": sum(self.requests.values()),
            }
        )

    async def c_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.faults = Faults(**{**asdict(Faults()), **body})
        self._rng = random.Random(self.faults.seed)
        return web.json_response(asdict(self.faults))

    async def c_limits(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.limits = Limits(**{**asdict(self.limits), **body})
        self._sent_global.clear()
        self._chat_buckets.clear()
        self._group_sent.clear()
        return web.json_response(asdict(self.limits))

    async def c_reset(self, request: web.Request) -> web.Response:
        self._poll_token += 1
        self._wake()
        self.reset()
        return web.json_response({"ok": True})

    async def c_callback_answers(self, request: web.Request) -> web.Response:
        return web.json_response(self.callback_answers)

    async def c_commands(self, request: web.Request) -> web.Response:
        return web.json_response(self.commands)

    async def c_webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.webhook = str(body.get("url") or "")
        return web.json_response({"ok": True})

    def make_app(self) -> web.Application:
        """The aiohttp application: Bot API, file downloads, control API."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_api)
        app.router.add_get("/file/bot{token}/{file_id}", self.handle_file)
        app.router.add_post("/control/users", self.c_user)
        app.router.add_post("/control/groups", self.c_group)
        app.router.add_post("/control/send", self.c_send)
        app.router.add_post("/control/start", self.c_start)
        app.router.add_post("/control/press", self.c_press)
        app.router.add_post("/control/edit", self.c_edit)
        app.router.add_post("/control/block", self.c_block)
        app.router.add_post("/control/unblock", self.c_unblock)
        app.router.add_get("/control/chat/{chat_id}", self.c_chat)
        app.router.add_get("/control/wait", self.c_wait)
        app.router.add_get("/control/file/{file_id}", self.c_file)
        app.router.add_get("/control/stats", self.c_stats)
        app.router.add_post("/control/faults", self.c_faults)
        app.router.add_post("/control/limits", self.c_limits)
        app.router.add_post("/control/reset", self.c_reset)
        app.router.add_post("/control/webhook", self.c_webhook)
        app.router.add_get("/control/callback_answers", self.c_callback_answers)
        app.router.add_get("/control/commands", self.c_commands)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve in the running event loop; returns the port."""
        self._new_update = asyncio.Event()
        self._message_event = asyncio.Event()
        self._runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else port

    async def stop(self) -> None:
        """Stop serving."""
        self._poll_token += 1
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return 0, 0


def run(host: str = "127.0.0.1", port: int = 8081, token: str = DEFAULT_TOKEN) -> None:
    """`duban emulator`: serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    async def main() -> None:
        emulator = Emulator(token)
        bound = await emulator.start(host, port)
        print(f"Bot API emulator on http://{host}:{bound} (token {token})", flush=True)
        print(f"  duban run --base-url http://{host}:{bound} --token {token}", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await emulator.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
