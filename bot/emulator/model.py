"""The emulator's data: errors, limits, faults, users, chats, files and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Keys of a stored message that only the control API shows (not part of the Bot API's Message).
CONTROL_KEYS = ("from_bot", "disable_notification")


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
    """Injected faults, each a share of Bot API requests (0..1).

    Server faults, over HTTP and in process alike: `error_rate` (answered 502),
    `drop_rate` (the connection closed without an answer), `delay_rate` (held
    `delay_seconds` BEFORE it is carried out) and `late_rate` (carried out, then the answer
    held `late_seconds`: what a client whose read timeout fires first cannot tell from a
    lost request).

    Connection faults, before the request reaches the server (nothing is carried out):
    `refuse_rate` (a refused connection: in process `NetworkError` from
    `httpx.ConnectError`; over HTTP through `FlappingProxy`, down that share of the time),
    `connect_timeout_rate` and `pool_timeout_rate` (in process only: `TimedOut` from
    `httpx.ConnectTimeout` / `httpx.PoolTimeout`).
    """

    error_rate: float = 0.0
    delay_rate: float = 0.0
    delay_seconds: float = 1.0
    drop_rate: float = 0.0
    late_rate: float = 0.0
    late_seconds: float = 1.0
    refuse_rate: float = 0.0
    connect_timeout_rate: float = 0.0
    pool_timeout_rate: float = 0.0
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


@dataclass(frozen=True)
class StoredFile:
    """A file the emulator holds: sent by the bot or by a user (`kind` is 'photo' or
    'document'; Telegram's file_path folders are 'photos' and 'documents')."""

    data: bytes
    filename: str
    mime_type: str
    kind: str


@dataclass(frozen=True)
class Reply:
    """The server's answer to one request, whatever the transport: status and body, or
    `drop` (the connection is closed without an answer)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    drop: bool = False
