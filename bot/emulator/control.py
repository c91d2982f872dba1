"""The emulator's control API under /control/: JSON over HTTP for tests and the demo that
run the bot in another process (the sync `EmulatorClient` speaks it). Each operation is a
thin wrapper over a Python method of `Emulator`, which tests in process call directly.

POST bodies are JSON objects; errors are {"error": "..."} with 400 or 404. File bytes
travel base64-encoded (`data`)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator import pacing
from bot.emulator.model import ControlError, Faults

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

Body = dict[str, Any]


def _opt_int(body: Body, key: str) -> int | None:
    value = body.get(key)
    return int(value) if value is not None else None


def _bytes(body: Body) -> bytes:
    try:
        return base64.b64decode(str(body["data"]), validate=True)
    except binascii.Error:
        raise ControlError(400, "data is not base64") from None


class ControlApi:
    """The /control/ routes of one emulator."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def add_routes(self, app: web.Application) -> None:
        """Register every control route on `app`."""
        posts: dict[str, Callable[[Body], Awaitable[Any]]] = {
            "users": self.c_user,
            "groups": self.c_group,
            "send": self.c_send,
            "photo": self.c_photo,
            "document": self.c_document,
            "start": self.c_start,
            "press": self.c_press,
            "edit": self.c_edit,
            "block": self.c_block,
            "unblock": self.c_unblock,
            "webapp": self.c_webapp,
            "faults": self.c_faults,
            "limits": self.c_limits,
            "reset": self.c_reset,
            "webhook": self.c_webhook,
        }
        for name, handler in posts.items():
            app.router.add_post(f"/control/{name}", self._post(handler))
        gets: dict[str, Callable[[web.Request], Any]] = {
            "chat/{chat_id}": self.g_chat,
            "file/{file_id}": self.g_file,
            "stats": lambda r: self.emu.stats(),
            "updates": lambda r: self.emu.updates,
            "callback_answers": lambda r: self.emu.callback_answers,
            "commands": lambda r: self.emu.commands,
            "sends": self.g_sends,
            "pacing": lambda r: pacing.summary(self.emu.sends),
        }
        for path, getter in gets.items():
            app.router.add_get(f"/control/{path}", self._get(getter))
        app.router.add_get("/control/wait", self.g_wait)

    @staticmethod
    def _post(handler: Callable[[Body], Awaitable[Any]]) -> Callable[..., Any]:
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

    @staticmethod
    def _get(getter: Callable[[web.Request], Any]) -> Callable[..., Any]:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                result = getter(request)
            except ControlError as err:
                return web.json_response({"error": err.message}, status=err.status)
            if isinstance(result, web.StreamResponse):
                return result
            return web.json_response(result)

        return wrapped

    # -- acting as users

    async def c_user(self, body: Body) -> Any:
        """{id, first_name?, username?, language_code?} -> User."""
        user = self.emu.add_user(
            int(body["id"]),
            str(body.get("first_name") or body["id"]),
            body.get("username"),
            body.get("language_code", "zh-hans"),
        )
        return user.as_api()

    async def c_group(self, body: Body) -> Any:
        """{id, title?, members?, type?, privacy?} -> Chat."""
        chat = self.emu.add_group(
            int(body["id"]),
            str(body.get("title") or "group"),
            [int(m) for m in body.get("members") or []],
            str(body.get("type") or "group"),
            bool(body.get("privacy", True)),
        )
        return chat.as_api()

    async def c_send(self, body: Body) -> Any:
        """{user_id, text, chat_id?, reply_to?} -> Message."""
        return self.emu.user_message(
            int(body["user_id"]),
            str(body["text"]),
            _opt_int(body, "chat_id"),
            _opt_int(body, "reply_to"),
        )

    async def c_photo(self, body: Body) -> Any:
        """{user_id, data (base64 PNG/JPEG), caption?, chat_id?, reply_to?} -> Message."""
        return self.emu.user_photo(
            int(body["user_id"]),
            _bytes(body),
            body.get("caption"),
            _opt_int(body, "chat_id"),
            _opt_int(body, "reply_to"),
        )

    async def c_document(self, body: Body) -> Any:
        """{user_id, data (base64), file_name, mime_type?, caption?, chat_id?, reply_to?}
        -> Message."""
        return self.emu.user_document(
            int(body["user_id"]),
            _bytes(body),
            str(body["file_name"]),
            body.get("mime_type"),
            body.get("caption"),
            _opt_int(body, "chat_id"),
            _opt_int(body, "reply_to"),
        )

    async def c_start(self, body: Body) -> Any:
        """{user_id, payload?} -> the /start message."""
        return self.emu.user_start(int(body["user_id"]), body.get("payload"))

    async def c_press(self, body: Body) -> Any:
        """{user_id, message_id, data? | text?, chat_id?} -> {callback_query_id}."""
        qid = self.emu.press(
            int(body["user_id"]),
            int(body["message_id"]),
            body.get("data"),
            body.get("text"),
            _opt_int(body, "chat_id"),
        )
        return {"callback_query_id": qid}

    async def c_edit(self, body: Body) -> Any:
        """{user_id, message_id, text, chat_id?} -> the edited Message."""
        return self.emu.user_edit(
            int(body["user_id"]),
            int(body["message_id"]),
            str(body["text"]),
            _opt_int(body, "chat_id"),
        )

    async def c_block(self, body: Body) -> Any:
        """{user_id} -> {ok}."""
        self.emu.block(int(body["user_id"]))
        return {"ok": True}

    async def c_unblock(self, body: Body) -> Any:
        """{user_id} -> {ok}."""
        self.emu.unblock(int(body["user_id"]))
        return {"ok": True}

    async def c_webapp(self, body: Body) -> Any:
        """{user_id, auth_date?, query_id?} -> {init_data}: what a Mini App gets."""
        data = self.emu.init_data(
            int(body["user_id"]), _opt_int(body, "auth_date"), body.get("query_id")
        )
        return {"init_data": data}

    # -- the environment

    async def c_faults(self, body: Body) -> Any:
        """Faults fields (missing ones take their defaults) -> the faults now."""
        self.emu.set_faults(Faults(**body))
        return asdict(self.emu.faults)

    async def c_limits(self, body: Body) -> Any:
        """Limits fields (missing ones keep their value) -> the limits now."""
        self.emu.set_limits(dataclasses.replace(self.emu.limits, **body))
        return asdict(self.emu.limits)

    async def c_reset(self, body: Body) -> Any:
        """Forget everything (see `Emulator.reset`)."""
        self.emu.reset()
        return {"ok": True}

    async def c_webhook(self, body: Body) -> Any:
        """{url, secret_token?}: set a webhook without setWebhook's checks ('' removes it)."""
        self.emu.set_webhook(str(body.get("url") or ""), str(body.get("secret_token") or ""))
        return {"ok": True}

    # -- reading

    def g_chat(self, request: web.Request) -> Any:
        """Every message of a chat in order (with `from_bot`); [] for an unknown chat."""
        chat = self.emu.chats.get(int(request.match_info["chat_id"]))
        return [dict(m) for m in chat.messages] if chat else []

    def g_file(self, request: web.Request) -> web.StreamResponse:
        """The bytes of a file (sent by the bot or a user) by its file_id."""
        entry = self.emu.files.get(request.match_info["file_id"])
        if entry is None:
            raise ControlError(404, "no such file")
        return web.Response(body=entry.data, content_type=entry.mime_type)

    def g_sends(self, request: web.Request) -> Any:
        """?chat_id&since: the send log, [{chat_id, method, t, ok}] (t: the emulator's clock;
        ok false: refused with 429)."""
        chat = request.query.get("chat_id")
        since = float(request.query.get("since", "-inf"))
        return [
            s
            for s in self.emu.sends
            if (chat is None or s["chat_id"] == int(chat)) and s["t"] >= since
        ]

    async def g_wait(self, request: web.Request) -> web.StreamResponse:
        """?chat_id&count&timeout: long-poll until the chat has `count` bot messages."""
        messages = await self.emu.wait_for(
            int(request.query["chat_id"]),
            int(request.query.get("count", "1")),
            float(request.query.get("timeout", "10")),
        )
        return web.json_response(messages)
