"""A synchronous client of the emulator's control API, for tests and the demo."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from bot.emulator import webapp


class EmulatorError(RuntimeError):
    """The control API refused a request (`status` is the HTTP status)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class EmulatorClient:
    """Act as Telegram users and read what the bot sent."""

    def __init__(self, base: str) -> None:
        """`base` is the emulator's root, e.g. http://127.0.0.1:8081 (not the /bot URL)."""
        self.base = base.rstrip("/")

    def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        timeout: float = 30,
        raw: bool = False,
    ) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.base}/control/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                content = response.read()
                is_json = response.headers.get_content_type() == "application/json"
        except urllib.error.HTTPError as err:
            with err:
                detail = err.read().decode(errors="replace")
            raise EmulatorError(f"{path}: {err.code} {detail}", err.code) from None
        if is_json and not raw:
            return json.loads(content)
        return content

    # -- acting as users

    def add_user(
        self,
        user_id: int,
        first_name: str = "",
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> dict[str, Any]:
        """Create (or rename) a user."""
        body = {
            "id": user_id,
            "first_name": first_name or str(user_id),
            "username": username,
            "language_code": language_code,
        }
        result: dict[str, Any] = self._call("POST", "users", body)
        return result

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: list[int],
        kind: str = "group",
        privacy: bool = True,
    ) -> dict[str, Any]:
        """Create a group ('group' or 'supergroup') with members; with `privacy` (Telegram's
        default) the bot sees only commands, replies to it and mentions."""
        body = {"id": chat_id, "title": title, "members": members, "type": kind}
        result: dict[str, Any] = self._call("POST", "groups", {**body, "privacy": privacy})
        return result

    def send(
        self, user_id: int, text: str, reply_to: int | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user sends a text or a command (to their private chat unless chat_id)."""
        body = {"user_id": user_id, "text": text, "reply_to": reply_to, "chat_id": chat_id}
        result: dict[str, Any] = self._call("POST", "send", body)
        return result

    def start(self, user_id: int, payload: str | None = None) -> dict[str, Any]:
        """The user presses Start (optionally from a deep link with a payload)."""
        result: dict[str, Any] = self._call(
            "POST", "start", {"user_id": user_id, "payload": payload}
        )
        return result

    def send_photo(
        self,
        user_id: int,
        data: bytes,
        caption: str | None = None,
        reply_to: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo (PNG or JPEG bytes); the message, with `photo` as the
        list of sizes (largest, the original, last)."""
        body = {
            "user_id": user_id,
            "data": base64.b64encode(data).decode(),
            "caption": caption,
            "reply_to": reply_to,
            "chat_id": chat_id,
        }
        result: dict[str, Any] = self._call("POST", "photo", body)
        return result

    def send_document(
        self,
        user_id: int,
        data: bytes,
        file_name: str,
        mime_type: str | None = None,
        caption: str | None = None,
        reply_to: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a file; the message, with `document`."""
        body = {
            "user_id": user_id,
            "data": base64.b64encode(data).decode(),
            "file_name": file_name,
            "mime_type": mime_type,
            "caption": caption,
            "reply_to": reply_to,
            "chat_id": chat_id,
        }
        result: dict[str, Any] = self._call("POST", "document", body)
        return result

    def webapp_init_data(
        self, user_id: int, auth_date: int | None = None, query_id: str | None = None
    ) -> str:
        """The initData Telegram gives a Mini App the user opens, signed with the bot's
        token (`auth_date`: unix seconds, default now)."""
        body = {"user_id": user_id, "auth_date": auth_date, "query_id": query_id}
        return str(self._call("POST", "webapp", body)["init_data"])

    def webapp_launch_url(
        self, url: str, user_id: int, auth_date: int | None = None, query_id: str | None = None
    ) -> str:
        """The Mini App's URL as Telegram opens it for the user: `url` with the launch
        fragment (#tgWebAppData=...&tgWebAppVersion=...&tgWebAppPlatform=...&
        tgWebAppThemeParams=...)."""
        return webapp.launch_url(url, self.webapp_init_data(user_id, auth_date, query_id))

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        text: str | None = None,
        chat_id: int | None = None,
    ) -> str:
        """The user presses an inline button (by callback data or label); the query id."""
        body = {
            "user_id": user_id,
            "message_id": message_id,
            "data": data,
            "text": text,
            "chat_id": chat_id,
        }
        return str(self._call("POST", "press", body)["callback_query_id"])

    def edit(
        self, user_id: int, message_id: int, text: str, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user edits one of their messages."""
        body = {"user_id": user_id, "message_id": message_id, "text": text, "chat_id": chat_id}
        result: dict[str, Any] = self._call("POST", "edit", body)
        return result

    def block(self, user_id: int) -> None:
        """The user blocks the bot."""
        self._call("POST", "block", {"user_id": user_id})

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot."""
        self._call("POST", "unblock", {"user_id": user_id})

    # -- reading

    def chat(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message of a chat, in order; each has `from_bot`."""
        result: list[dict[str, Any]] = self._call("GET", f"chat/{chat_id}")
        return result

    def bot_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """What the bot sent to a chat (current text and buttons after edits)."""
        return [m for m in self.chat(chat_id) if m.get("from_bot")]

    def wait_for(self, chat_id: int, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Wait until the bot sent at least `count` messages to a chat; all of them."""
        result: list[dict[str, Any]] = self._call(
            "GET", f"wait?chat_id={chat_id}&count={count}&timeout={timeout}", timeout=timeout + 10
        )
        return result

    def file(self, file_id: str) -> bytes:
        """The bytes of a document or photo the bot sent."""
        data: bytes = self._call("GET", f"file/{file_id}", raw=True)
        return data

    def updates(self) -> list[dict[str, Any]]:
        """The updates the bot has not confirmed yet (getUpdates offset)."""
        result: list[dict[str, Any]] = self._call("GET", "updates")
        return result

    def stats(self) -> dict[str, Any]:
        """Requests per method and errors per code."""
        result: dict[str, Any] = self._call("GET", "stats")
        return result

    def sends(self, chat_id: int | None = None, since: float | None = None) -> list[dict[str, Any]]:
        """The send log: each sendMessage/sendPhoto/sendDocument that passed the chat
        checks, {chat_id, method, t (the emulator's monotonic clock), ok (false: 429)}."""
        query = {k: v for k, v in (("chat_id", chat_id), ("since", since)) if v is not None}
        path = "sends" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        result: list[dict[str, Any]] = self._call("GET", path)
        return result

    def pacing(self) -> dict[str, Any]:
        """The accepted sends summed up: count, span, rate, max_per_second, and per chat
        (keys are chat ids as strings) count, max_per_second, max_per_minute."""
        result: dict[str, Any] = self._call("GET", "pacing")
        return result

    def callback_answers(self) -> list[dict[str, Any]]:
        """answerCallbackQuery calls received."""
        result: list[dict[str, Any]] = self._call("GET", "callback_answers")
        return result

    def commands(self) -> dict[str, list[dict[str, str]]]:
        """The command menus set, by scope and language."""
        result: dict[str, list[dict[str, str]]] = self._call("GET", "commands")
        return result

    # -- the environment

    def set_faults(self, **faults: Any) -> dict[str, Any]:
        """error_rate, delay_rate, delay_seconds, drop_rate, late_rate, late_seconds,
        refuse_rate (through EmulatorThread's proxy, or in process), connect_timeout_rate,
        pool_timeout_rate (in process), seed; fields not given go back to their defaults
        (no fault). See `bot.emulator.model.Faults`."""
        result: dict[str, Any] = self._call("POST", "faults", faults)
        return result

    def set_limits(self, **limits: Any) -> dict[str, Any]:
        """enabled, global_per_second, chat_per_second, chat_burst, group_per_minute,
        group_window_seconds; fields not given keep their value. Forgets what was sent."""
        result: dict[str, Any] = self._call("POST", "limits", limits)
        return result

    def set_webhook(self, url: str, secret_token: str = "") -> None:
        """Set a webhook without setWebhook's checks (getUpdates then answers 409; a
        loopback URL gets the updates POSTed); '' removes it."""
        self._call("POST", "webhook", {"url": url, "secret_token": secret_token})

    def reset(self) -> None:
        """Forget users, chats, updates, files, stats; the limits and faults go back to
        those the emulator was started with (by default: Telegram's limits, no faults)."""
        self._call("POST", "reset", {})
