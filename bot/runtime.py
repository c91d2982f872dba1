"""What a running bot holds: the current table, the database, the clock; and who a user is."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.history import History
from bot.core.model import Catalogue, Contact, Person, Role
from bot.core.workdays import WorkCalendar

if TYPE_CHECKING:
    from storage.repo import Store


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
    def bureau_id(self) -> str | None:
        """The contact's bureau."""
        return self.contact.bureau_id if self.contact else None


@dataclass
class Runtime:
    """The bot's state: replaced as a whole (`catalogue`, `version`) on reload."""

    config_path: Path
    store: Store
    clock: Clock
    catalogue: Catalogue
    version: int = 0
    bot_username: str = "duban_bot"
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def __post_init__(self) -> None:
        self.calendar = WorkCalendar(self.catalogue.calendar)

    def apply(self, catalogue: Catalogue, version: int) -> None:
        """Switch to a new table: the planner, the schedule and the commands see it at once."""
        self.catalogue = catalogue
        self.version = version
        self.calendar = WorkCalendar(catalogue.calendar)

    def history(self) -> History:
        """What was sent and answered, from the database."""
        return self.store.history()

    def member_name(self, member_id: str) -> str:
        """A contact's or person's name; the id when the table no longer has them."""
        return self.catalogue.member_name(member_id)

    @property
    def lang(self) -> str:
        """The language of messages."""
        return self.catalogue.language

    def now(self) -> dt.datetime:
        """The bot's clock."""
        return self.clock.now()

    def identify(self, user_id: int) -> Identity:
        """Resolve a Telegram user: catalogue telegram_id first, then an invite binding."""
        person = next((p for p in self.catalogue.people if p.telegram_id == user_id), None)
        contact = next((c for c in self.catalogue.contacts() if c.telegram_id == user_id), None)
        bound = self.store.binding_for_user(user_id)
        if bound is not None:
            member_id = bound.member_id
            person = person or next((p for p in self.catalogue.people if p.id == member_id), None)
            contact = contact or next(
                (c for c in self.catalogue.contacts() if c.id == member_id), None
            )
        return Identity(user_id, contact, person)

    def chat_id_for(self, member_id: str) -> int | None:
        """The Telegram chat to write to a contact or person (their private chat)."""
        bound = self.store.binding_for_contact(member_id)
        if bound is not None:
            return bound.telegram_user_id
        for c in self.catalogue.contacts():
            if c.id == member_id and c.telegram_id:
                return c.telegram_id
        for p in self.catalogue.people:
            if p.id == member_id and p.telegram_id:
                return p.telegram_id
        return None

    def admins_text(self) -> str:
        """The admins' names, for telling a stranger whom to ask."""
        names = [p.name for p in self.catalogue.with_role(Role.ADMIN)]
        return "（" + "、".join(names) + "）" if names else ""
