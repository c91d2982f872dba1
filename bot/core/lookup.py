"""Finding what a coordinator means: `/status 生态` (生态环境局), `/status 蓝天` (task 7),
`/status 一` (a section); several matches are offered as choices, none gets did-you-means.

Pure: no Telegram, SQLite or scheduler imports.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from bot.core.model import Bureau, Catalogue, Indicator, Section, Task
from bot.core.parse import find_task, normalise

#: Most choices offered as buttons.
MAX_CHOICES = 12


@dataclass(frozen=True)
class Found:
    """What a lookup found: exact hits first; otherwise every partial match; otherwise the
    closest names (did-you-mean)."""

    tasks: tuple[Task, ...] = ()
    bureaus: tuple[Bureau, ...] = ()
    sections: tuple[Section, ...] = ()
    suggestions: tuple[str, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        """How many things matched."""
        return len(self.tasks) + len(self.bureaus) + len(self.sections)


def _fold(text: str) -> str:
    return "".join(normalise(text).lower().split())


def lookup(catalogue: Catalogue, text: str) -> Found:
    """A task, a bureau or a section by number, id, name or a part of its name."""
    key = _fold(text)[:60]
    if not key:
        return Found()
    task = find_task(catalogue, text)
    if task is not None:
        return Found(tasks=(task,))
    bureau = catalogue.resolve_bureau(text)
    if bureau is not None:
        return Found(bureaus=(bureau,))
    bureaus = tuple(b for b in catalogue.bureaus if any(key in _fold(n) for n in b.names))
    tasks = tuple(
        t
        for t in catalogue.tasks
        if key in _fold(t.title) or any(key in _fold(s.text) for s in t.subtasks)
    )
    sections = tuple(
        s for s in catalogue.sections if key in _fold(s.title) or key == _fold(s.number)
    )
    found = Found(tasks, bureaus, sections)
    if found.count:
        return found
    canonical = {n: b.name for b in catalogue.bureaus for n in b.names}
    canonical.update({t.title: t.title for t in catalogue.tasks})
    close = difflib.get_close_matches(text.strip(), list(canonical), n=5, cutoff=0.4)
    return Found(suggestions=tuple(dict.fromkeys(canonical[c] for c in close))[:3])


def find_indicators(catalogue: Catalogue, text: str) -> tuple[Indicator, ...]:
    """Indicators by id or name, or a part of the name (`PM2.5`, `优良天数`, `pm25`)."""
    key = _fold(text)
    if not key:
        return ()
    exact = tuple(i for i in catalogue.indicators if key in (_fold(i.id), _fold(i.name)))
    if exact:
        return exact[:1]
    parts = tuple(i for i in catalogue.indicators if key in _fold(i.name))
    if parts:
        return parts
    # 优良天数 for 平均优良天数比例: the characters in order, with others between
    return tuple(i for i in catalogue.indicators if _in_order(key, _fold(i.name)))


def _in_order(needle: str, hay: str) -> bool:
    it = iter(hay)
    return len(needle) >= 2 and all(ch in it for ch in needle)
