"""The chat protocol: callback data of every button and what the bot waits for from a user.

Typed, packed and parsed in one place (as python-telegram-bot's conversationbot declares its
states and aiogram packs `CallbackData`). Telegram allows 1-64 bytes of callback data, so a
button carries a short code and ids, never a title. `parse_callback` never raises: anything
it does not know (a forged or outdated button) is None.

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.core.history import UpdateKind

MAX_CALLBACK_BYTES = 64
#: An id; in a config of several documents, another document's is `<document>.<id>`.
_ID = r"(?:[a-z][a-z0-9_-]{0,11}\.)?[a-z][a-z0-9_-]{0,31}"
_VIEW = r"[a-z]{1,3}(?:\.(?:[a-z][a-z0-9_-]{0,11}\.)?[a-z0-9_-]{1,32})?"


class Answer(StrEnum):
    """The answer buttons under a reminder: 已完成 / 正常推进 / 存在风险 / 遇到困难 / 补充说明."""

    DONE = "d"
    ON_TRACK = "o"
    AT_RISK = "r"
    BLOCKED = "b"
    NOTE = "n"

    @property
    def kind(self) -> UpdateKind | None:
        """The status update a press records (None: 补充说明 only asks for a note)."""
        return {
            "d": UpdateKind.DONE_CLAIMED,
            "o": UpdateKind.ON_TRACK,
            "r": UpdateKind.AT_RISK,
            "b": UpdateKind.BLOCKED,
        }.get(self.value)


@dataclass(frozen=True)
class AnswerReminder:
    """`a:<answer>`: a button under a reminder (the reminder is found by its message)."""

    answer: Answer


@dataclass(frozen=True)
class PickTask:
    """`u:<task>`: /update chose a task; the bot asks for its status."""

    task_id: str


@dataclass(frozen=True)
class PickStatus:
    """`u:<task>:<answer>`: /update recorded a status for a task."""

    task_id: str
    answer: Answer


@dataclass(frozen=True)
class WhichTask:
    """`w:<task>`: the task that texts kept while the bot asked belong to."""

    task_id: str


class ClaimAction(StrEnum):
    """What a coordinator does with a completion claim (申请办结)."""

    CONFIRM = "ok"  # 确认办结
    RETURN = "rt"  # 退回


@dataclass(frozen=True)
class HandleClaim:
    """`c:<ok|rt>:<claim update id>`."""

    action: ClaimAction
    claim_id: int


@dataclass(frozen=True)
class Page:
    """`p:<view>:<page>`: another page of a paged answer."""

    view: str
    page: int


class ReadingAction(StrEnum):
    """Buttons under an indicator prompt."""

    NO_DATA = "nd"  # 暂无数据/说明: the next text explains


@dataclass(frozen=True)
class AnswerReading:
    """`r:<action>`: under an indicator prompt (the prompt is found by its message)."""

    action: ReadingAction


class ReloadAction(StrEnum):
    """An admin's answer to an edit that removes a large share of the table."""

    APPLY = "ok"
    DISCARD = "no"


@dataclass(frozen=True)
class ConfirmReload:
    """`l:<ok|no>:<sha256 prefix>`: apply or discard a held table edit."""

    action: ReloadAction
    sha: str


@dataclass(frozen=True)
class Show:
    """`v:<view>`: open a view in a new message (drill-down and lookup choices of /status)."""

    view: str


@dataclass(frozen=True)
class PickIndicator:
    """`i:<indicator>`: /report chose an indicator; the bot asks for the reading."""

    indicator_id: str


@dataclass(frozen=True)
class AskExtension:
    """`e:`: 申请延期 under a reminder (the reminder is found by its message)."""


class ExtensionAction(StrEnum):
    """What a coordinator does with an extension request (延期申请)."""

    APPROVE = "ok"  # 批准
    REFUSE = "no"  # 驳回


@dataclass(frozen=True)
class HandleExtension:
    """`x:<ok|no>:<request id>`."""

    action: ExtensionAction
    request_id: int


@dataclass(frozen=True)
class PickDeputy:
    """`dp:<contact>`: a contact names a colleague of the bureau as deputy (`dp:-`: none)."""

    contact_id: str


@dataclass(frozen=True)
class PickLeave:
    """`lv:<days>`: /leave's buttons: on leave from today for that many days (0: back now)."""

    days: int


Callback = (
    AnswerReminder
    | PickTask
    | PickStatus
    | WhichTask
    | HandleClaim
    | Page
    | AnswerReading
    | ConfirmReload
    | Show
    | PickIndicator
    | AskExtension
    | HandleExtension
    | PickDeputy
    | PickLeave
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"a:([dorbn])"), "a"),
    (re.compile(rf"u:({_ID})"), "u"),
    (re.compile(rf"u:({_ID}):([dorbn])"), "us"),
    (re.compile(rf"w:({_ID})"), "w"),
    (re.compile(r"c:(ok|rt):([1-9][0-9]{0,17})"), "c"),
    (re.compile(rf"p:({_VIEW}):([0-9]{{1,4}})"), "p"),
    (re.compile(r"r:(nd)"), "r"),
    (re.compile(r"l:(ok|no):([0-9a-f]{8,16})"), "l"),
    (re.compile(rf"v:({_VIEW})"), "v"),
    (re.compile(rf"i:({_ID})"), "i"),
    (re.compile(r"e:"), "e"),
    (re.compile(r"x:(ok|no):([1-9][0-9]{0,17})"), "x"),
    (re.compile(rf"dp:({_ID}|-)"), "dp"),
    (re.compile(r"lv:(0|[1-9][0-9]{0,2})"), "lv"),
)


def pack(cb: Callback) -> str:
    """The callback data of a button (1-64 bytes; ValueError if it would not fit)."""
    match cb:
        case AnswerReminder(answer):
            data = f"a:{answer.value}"
        case PickTask(task_id):
            data = f"u:{task_id}"
        case PickStatus(task_id, answer):
            data = f"u:{task_id}:{answer.value}"
        case WhichTask(task_id):
            data = f"w:{task_id}"
        case HandleClaim(action, claim_id):
            data = f"c:{action.value}:{claim_id}"
        case Page(view, page):
            data = f"p:{view}:{page}"
        case AnswerReading(action):
            data = f"r:{action.value}"
        case ConfirmReload(action, sha):
            data = f"l:{action.value}:{sha}"
        case Show(view):
            data = f"v:{view}"
        case PickIndicator(indicator_id):
            data = f"i:{indicator_id}"
        case AskExtension():
            data = "e:"
        case HandleExtension(action, request_id):
            data = f"x:{action.value}:{request_id}"
        case PickDeputy(contact_id):
            data = f"dp:{contact_id}"
        case PickLeave(days):
            data = f"lv:{days}"
    if not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES or parse_callback(data) != cb:
        raise ValueError(f"cannot pack {cb!r}")
    return data


def parse_callback(data: str | None) -> Callback | None:
    """The button a callback's data names, or None for anything unknown or malformed."""
    if not data or len(data) > MAX_CALLBACK_BYTES:
        return None
    for pattern, code in _PATTERNS:
        m = pattern.fullmatch(data)
        if m is None:
            continue
        g = m.groups()
        if code == "a":
            return AnswerReminder(Answer(g[0]))
        if code == "u":
            return PickTask(g[0])
        if code == "us":
            return PickStatus(g[0], Answer(g[1]))
        if code == "w":
            return WhichTask(g[0])
        if code == "c":
            return HandleClaim(ClaimAction(g[0]), int(g[1]))
        if code == "p":
            return Page(g[0], int(g[1]))
        if code == "r":
            return AnswerReading(ReadingAction(g[0]))
        if code == "l":
            return ConfirmReload(ReloadAction(g[0]), g[1])
        return _parse_more(code, g)
    return None


def _parse_more(code: str, g: tuple[str, ...]) -> Callback | None:
    if code == "v":
        return Show(g[0])
    if code == "i":
        return PickIndicator(g[0])
    if code == "e":
        return AskExtension()
    if code == "x":
        return HandleExtension(ExtensionAction(g[0]), int(g[1]))
    if code == "dp":
        return PickDeputy(g[0])
    if code == "lv":
        return PickLeave(int(g[0]))
    return None


class Awaiting(StrEnum):
    """What the bot waits for from a user after asking."""

    NOTE = "note"  # a note after a status button (补充说明)
    READING = "reading"  # a number (or an explanation) for an indicator
    RETURN_REASON = "return_reason"  # a coordinator's reason for 退回
    WHICH_TASK = "which_task"  # texts kept until the contact says which task they are about
    EXTENSION = "extension"  # the new date and the reason of an extension request
    REFUSE_REASON = "refuse_reason"  # a coordinator's reason for 驳回 (claim_id: the request)
    EVIDENCE = "evidence"  # photos and documents that follow are evidence of the item


@dataclass(frozen=True)
class Pending:
    """What the bot waits for from one Telegram user (kept in SQLite across restarts)."""

    kind: Awaiting
    since: dt.datetime
    task_id: str | None = None
    subtask_id: str | None = None
    indicator_id: str | None = None
    message_key: str | None = None  # the outbox key of the prompt being answered
    claim_id: int | None = None
    texts: tuple[tuple[str, int | None], ...] = ()  # kept texts and their message ids
    candidates: tuple[str, ...] = ()  # task ids offered for WHICH_TASK
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    #: How long each kind is waited for; after that a text is not taken as its answer.
    def expires(self) -> dt.datetime:
        """When the bot stops taking the next text as this answer."""
        hours = {
            Awaiting.WHICH_TASK: 24,
            Awaiting.RETURN_REASON: 24,
            Awaiting.REFUSE_REASON: 24,
            Awaiting.EVIDENCE: 24,
        }.get(self.kind, 2)
        return self.since + dt.timedelta(hours=hours)
