"""What every operation of the application layer shares: the world it sees, who acts, and
the outcome it returns for the edge to deliver.

An operation is one function `op(store, world, ...) -> Outcome` run on the writer thread in
one SQLite transaction: it checks, records, queues what others must be told (in the outbox,
in the same transaction) and returns what the acting user sees. Handlers parse the update,
call the operation and deliver its outcome; they never touch storage.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.i18n import t
from bot.core.model import Catalogue, Contact, Person, Role
from bot.core.render import Button, Rendered, esc, fmt_time
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Leave


@dataclass(frozen=True)
class World:
    """What an operation sees: the table in force, the clock's now, the working calendar."""

    catalogue: Catalogue
    now: dt.datetime
    calendar: WorkCalendar
    chats: Mapping[str, int] = field(default_factory=dict)  # member id -> private chat
    leaves: Mapping[str, tuple[Leave, ...]] = field(default_factory=dict)  # member -> leaves
    deputies: Mapping[str, str | None] = field(default_factory=dict)  # chosen in chat

    @property
    def lang(self) -> str:
        """The language of every message (the table's `language`)."""
        return self.catalogue.language

    def t(self, key: str, /, **params: object) -> str:
        """A text in the table's language."""
        return t(self.lang, key, **params)

    def time(self, instant: dt.datetime) -> str:
        """`2025-12-01 09:00` in the office's time zone."""
        return fmt_time(instant, self.catalogue)


@dataclass(frozen=True)
class Identity:
    """Who a Telegram user is to the bot, from the catalogue and the bindings."""

    user_id: int
    contact: Contact | None = None
    person: Person | None = None

    @property
    def roles(self) -> frozenset[Role]:
        """Admin, coordinator and/or contact; empty for a stranger."""
        roles = set(self.person.roles) if self.person else set()
        if self.contact:
            roles.add(Role.CONTACT)
        return frozenset(roles)

    @property
    def known(self) -> bool:
        """False for a stranger."""
        return bool(self.roles)

    def has(self, *roles: Role) -> bool:
        """True when the user has any of these roles."""
        return bool(self.roles & set(roles))

    @property
    def name(self) -> str:
        """The person's name as the catalogue has it."""
        if self.person:
            return self.person.name
        return self.contact.name if self.contact else ""

    @property
    def member_id(self) -> str:
        """The contact's or person's id (the Telegram id for a stranger)."""
        if self.contact:
            return self.contact.id
        return self.person.id if self.person else f"tg:{self.user_id}"

    @property
    def bureau_id(self) -> str | None:
        """The contact's bureau."""
        return self.contact.bureau_id if self.contact else None


@dataclass(frozen=True)
class Edit:
    """Change a message the bot sent earlier (text and buttons; no buttons removes them)."""

    chat_id: int
    message_id: int
    rendered: Rendered


@dataclass
class Outcome:
    """What an operation decided: what the acting user sees, which messages change, whether
    the outbox has something new to send."""

    replies: list[Rendered] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)
    toast: str | None = None  # the answer to a button press (a short notice)
    alert: bool = False  # show the toast as an alert the user must dismiss
    outbox: bool = False  # new messages in the outbox: wake the sender
    duplicate: bool = False  # the update was handled before: nothing happened
    replan: bool = False  # the plan may have changed (an answer, a closure)
    catalogue_changed: bool = False  # an approved or closed extension: a new effective table
    #: files to show others by Telegram file id: (chat, "photo" | "document", file id, caption)
    files: list[tuple[int, str, str, str]] = field(default_factory=list)

    def reply(self, text: str, buttons: tuple[tuple[Button, ...], ...] = ()) -> Outcome:
        """Add a reply in the user's chat; returns self."""
        self.replies.append(Rendered(text, buttons))
        return self


def mark(text: str, addition: str) -> Rendered:
    """A message's text with a line added and its buttons gone (an answered prompt)."""
    return Rendered(text + addition)


def already_handled(world: World, pressed: Edit) -> Outcome:
    """A decision button pressed on a request another coordinator (or an edit of the table)
    settled already: an alert, and this copy of the request loses its buttons too."""
    addition = world.t("claim.handled_mark")
    text = pressed.rendered.text
    edits = (
        []
        if addition in text
        else [Edit(pressed.chat_id, pressed.message_id, mark(text, addition))]
    )
    return Outcome(toast=world.t("claim.already_handled"), alert=True, edits=edits)


__all__ = ["Edit", "Identity", "Outcome", "World", "esc"]
