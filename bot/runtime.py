"""What a running bot holds: the table in force, the clock, the database and the current
state in memory; and who a Telegram user is.

The database is written by one thread (`storage.writer.Writer`), so the event loop never
waits on a lock; small reads go through a connection of the loop's own. The current state
(`Record`) lives in memory and is brought up to date after every committed write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Concatenate, ParamSpec, TypeVar

from bot.core.clock import Clock
from bot.core.history import Record
from bot.core.model import Catalogue, Role
from bot.core.workdays import WorkCalendar
from bot.core.workflow import Leave, with_extensions
from bot.service.base import Identity, Outcome, World
from bot.service.leave import by_member
from bot.service.members import chats, identify
from storage.repo import Store
from storage.writer import Writer

P = ParamSpec("P")
#: How long after its end a leave is still kept in memory (see `refresh_workflow`).
LEAVE_MEMORY_DAYS = 90
R = TypeVar("R")


class Runtime:
    """The bot's state: the catalogue and version are replaced as a whole on reload."""

    def __init__(
        self,
        config_path: Path,
        db_path: Path,
        clock: Clock,
        catalogue: Catalogue,
        version: int = 0,
    ) -> None:
        self.config_path = config_path
        self.db_path = db_path
        self.clock = clock
        self.base = catalogue  # the YAML's table
        self.catalogue = catalogue  # the table in force: the YAML with approved extensions
        self.version = version
        self.calendar = WorkCalendar(catalogue.calendar)
        self.writer = Writer(db_path)
        self.reader = Store.open(db_path)
        self.leaves: Mapping[str, tuple[Leave, ...]] = MappingProxyType({})
        self.deputies: Mapping[str, str | None] = MappingProxyType({})
        self.refresh_workflow()
        self.record: Record = self.reader.record()
        self.bot_username = self.reader.get_meta("bot_username") or "duban_bot"
        self.started_at = dt.datetime.now(dt.UTC)
        self._bound: Mapping[int, str] = MappingProxyType({})
        self._chats: Mapping[str, int] = MappingProxyType({})
        self.refresh_bindings()

    def close(self) -> None:
        """Close the database connections."""
        self.writer.close()
        self.reader.close()

    # -- the database

    async def write(
        self, fn: Callable[Concatenate[Store, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run a write (an operation of the application layer) on the writer thread; the
        in-memory state follows what it committed."""
        try:
            result = await self.writer(fn, *args, **kwargs)
        finally:
            self.sync()
        if isinstance(result, Outcome) and result.catalogue_changed:
            self.refresh_workflow()
        return result

    def sync(self) -> None:
        """Apply the committed state changes to the in-memory record."""
        for delta in self.writer.deltas():
            delta.apply(self.record)

    def refresh_bindings(self) -> None:
        """Reload who is bound to whom (after a bind, an unbind or a reload)."""
        bindings = self.reader.bindings()
        self._bound = MappingProxyType({b.telegram_user_id: b.member_id for b in bindings})
        self._chats = MappingProxyType(chats(self.catalogue, bindings))

    # -- the table and the clock

    def apply(self, catalogue: Catalogue, version: int) -> None:
        """Switch to a new table: the planner, the schedule and the commands see it at once."""
        self.base = catalogue
        self.version = version
        self.calendar = WorkCalendar(catalogue.calendar)
        self.refresh_workflow()
        self.refresh_bindings()

    def refresh_workflow(self) -> None:
        """The table in force (the YAML's with the approved extensions as deadlines), who is
        on leave and the deputies chosen in chat (after an operation changed them, a reload)."""
        self.catalogue = with_extensions(self.base, self.reader.extensions())
        # leaves that ended long ago no longer change anything (follow-ups of older prompts
        # are long sent): kept out so that the engine's hook has its fast path
        recent = (self.now() - dt.timedelta(days=LEAVE_MEMORY_DAYS)).date()
        self.leaves = MappingProxyType(by_member(self.reader.leaves(), recent))
        self.deputies = MappingProxyType(self.reader.deputies())

    @property
    def lang(self) -> str:
        """The language of messages."""
        return self.catalogue.language

    def now(self) -> dt.datetime:
        """The bot's clock."""
        return self.clock.now()

    def world(self, now: dt.datetime | None = None) -> World:
        """What an operation sees now (an immutable snapshot, safe on another thread)."""
        return World(
            self.catalogue, now or self.now(), self.calendar, self._chats, self.leaves,
            self.deputies,
        )  # fmt: skip

    # -- people

    def identify(self, user_id: int) -> Identity:
        """Who a Telegram user is: the table's telegram_id first, then a valid binding."""
        return identify(self.catalogue, self._bound, user_id)

    def chat_id_for(self, member_id: str) -> int | None:
        """The private chat to write to a contact or person."""
        return self._chats.get(member_id)

    def member_name(self, member_id: str) -> str:
        """A contact's or person's name; the id when the table no longer has them."""
        return self.catalogue.member_name(member_id)

    def admins(self) -> list[int]:
        """The chats of the bound admins."""
        return [
            chat
            for p in self.catalogue.with_role(Role.ADMIN)
            if (chat := self._chats.get(p.id)) is not None
        ]
