"""Reading what people type: progress percentages, numbers, readings, task references.

Pure: no Telegram, SQLite or scheduler imports. Nothing here raises for bad input; a
refusal is a value the edge turns into words.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.core.model import Catalogue, Indicator, Task

PROGRESS = re.compile(
    r"(?:进度|完成|progress)\s*(?:了|约|达到|已达|达)?\s*[:：]?\s*(\d{1,3}(?:\.\d+)?)\s*%",
    re.IGNORECASE,
)
PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
#: Words just before a percentage that make it another figure: a change, a share, a rate.
OTHER_FIGURE = re.compile(
    r"(下降|增长|提高|降低|减少|增加|上升|下滑|同比|环比|占比|占|率|比例|超过|低于|高于)\s*[:：]?\s*$"
)
NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:[.,]\d+)?")
#: An answer that says there is no figure yet.
NO_DATA = re.compile(r"^(暂无|尚无|没有|无数据|未统计|尚未|还没有|n/?a\b|no data)", re.IGNORECASE)


def normalise(text: str) -> str:
    """Full-width digits and signs as ASCII (４７．５ -> 47.5), spaces trimmed."""
    return unicodedata.normalize("NFKC", text).strip()


#: A whole text that only says the work is done (a newcomer types it instead of pressing
#: 已完成, which is what asks the coordinators to close the item).
DONE_WORDS = frozenset(
    {"已完成", "完成", "完成了", "已经完成", "已经完成了", "已完成了", "全部完成", "已全部完成",
     "已办结", "办结", "完工", "已完工", "done", "completed", "finished"}
)  # fmt: skip


def says_done(text: str) -> bool:
    """Whether a text is only 'done' (its punctuation and spaces aside)."""
    bare = "".join(ch for ch in normalise(text).lower() if ch.isalnum())
    return bare in DONE_WORDS


def parse_progress(text: str) -> int | None:
    """'进度60%' / '60%' / '完成６０％' -> 60; None when the text names no percentage in 0..100.
    A percentage named as progress (进度, 完成) wins; a bare one counts only when it is the
    text's only percentage and no other figure (同比下降12%, 占比30%)."""
    t = normalise(text)
    m = PROGRESS.search(t)
    if m is None:
        found = PERCENT.findall(t)
        m = PERCENT.search(t) if len(found) == 1 else None
        if m is None or OTHER_FIGURE.search(t[: m.start()]):
            return None
    value = round(float(m.group(1)))
    return value if 0 <= value <= 100 else None


def parse_number(text: str, unit: str = "") -> float | None:
    """'47.5', '４７．５', '1,234', '66%', '47.5 微克/立方米' -> a finite number; else None."""
    t = normalise(text)
    for suffix in (normalise(unit), "%"):
        if suffix and t.endswith(suffix):
            t = t[: -len(suffix)].strip()
    if len(t) > 40 or not NUMBER.fullmatch(t):
        return None
    if re.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?", t):
        t = t.replace(",", "")
    value = float(t.replace(",", ".")) + 0.0  # -0 is 0: shown and stored as 0, never "-0"
    return value if math.isfinite(value) else None


def plausible(indicator: Indicator, value: float) -> bool:
    """Whether a reading can be meant (see `Indicator.plausible`: finite, within the declared
    `range`, else not negative unless a reduction, below 1e9)."""
    return indicator.plausible(value)


class ReadingProblem(StrEnum):
    """Why a text is not taken as a reading."""

    NOT_A_NUMBER = "not_number"
    IMPLAUSIBLE = "implausible"


@dataclass(frozen=True)
class ReadingAnswer:
    """A reply to an indicator prompt: a value, an explanation (暂无数据), or a problem."""

    value: float | None = None
    explanation: str | None = None
    problem: ReadingProblem | None = None


def parse_reading(indicator: Indicator, text: str, *, free_text: bool = True) -> ReadingAnswer:
    """What an answer to an indicator prompt says. A number must be plausible; `暂无数据…`
    is an explanation, and with `free_text` (a reply to the prompt) so is any text without
    a digit in it."""
    value = parse_number(text, indicator.unit)
    if value is not None:
        if plausible(indicator, value):
            return ReadingAnswer(value=value)
        return ReadingAnswer(problem=ReadingProblem.IMPLAUSIBLE)
    clean = normalise(text)
    if re.fullmatch(r"[-+]?(inf(inity)?|nan)|[-+0-9.,eE%\s]+", clean, re.IGNORECASE):
        return ReadingAnswer(problem=ReadingProblem.IMPLAUSIBLE)
    if NO_DATA.match(clean) or (free_text and not re.search(r"\d", clean)):
        return ReadingAnswer(explanation=text.strip())
    return ReadingAnswer(problem=ReadingProblem.NOT_A_NUMBER)


def find_task(catalogue: Catalogue, arg: str, among: Sequence[Task] | None = None) -> Task | None:
    """A task by number ('7', '任务7', '#7', '７') or id ('t07'); in a config of several
    documents also by its label ('节水-2', '节水2') or key ('water.w02'). A bare number is
    looked up `among` some tasks first (a contact's own), then in the primary document."""
    key = normalise(arg).removeprefix("任务").removeprefix("第").removeprefix("#").strip()
    key = key.removesuffix("项").strip()
    if not key or len(key) > 40:
        return None
    folded = key.casefold()
    for task in among or ():
        if key == str(task.number) or folded == task.label.casefold():
            return task
    for task in catalogue.tasks:
        if key == task.id or (key == str(task.number) and not task.prefix):
            return task
        if task.prefix and folded in (
            task.label.casefold(),
            task.label.replace("-", "").casefold(),
        ):
            return task
    return None


def find_indicator(catalogue: Catalogue, arg: str) -> Indicator | None:
    """An indicator by id or name (exact, then by a unique part of its name)."""
    key = normalise(arg)
    if not key:
        return None
    for ind in catalogue.indicators:
        if key in (ind.id, normalise(ind.name)):
            return ind
    matches = [i for i in catalogue.indicators if key.lower() in normalise(i.name).lower()]
    return matches[0] if len(matches) == 1 else None
