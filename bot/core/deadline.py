"""Reading a 完成时限 as the document words it ("2022年底", "持续推进，2025年底取得阶段成效")."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from bot.core.model import Deadline, DeadlineKind

ONGOING_WORD = "持续推进"

# The dates a table may name: a policy document of the reform era, due within a plan's
# horizon. Anything outside is a typo (9999年底, 0001年底), not a plan.
EARLIEST = dt.date(1990, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_YEARS_AHEAD = 30  # a deadline at most this many years after the document's date

_FULLWIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")

# A date expression and the last day it names.
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"), "day"),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"), "day"),
    (re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?:底|末)?"), "month"),
    (re.compile(r"(?P<y>\d{4})年上半年"), "first_half"),
    (re.compile(r"(?P<y>\d{4})年(?:底|末|内)?"), "year"),
)


class DeadlineError(ValueError):
    """The text is not a deadline this parser understands."""


def _normalise(text: str) -> str:
    """Fold full-width digits and drop the spaces a scanned table leaves behind."""
    return "".join(text.translate(_FULLWIDTH).split())


def _match_date(text: str) -> tuple[dt.date, str] | None:
    """The date a leading date expression names, and the rest of the text."""
    for pattern, kind in _DATE_PATTERNS:
        m = pattern.match(text)
        if not m:
            continue
        year = int(m["y"])
        try:
            if kind == "day":
                day = dt.date(year, int(m["m"]), int(m["d"]))
            elif kind == "month":
                month = int(m["m"])
                day = dt.date(year, month, calendar.monthrange(year, month)[1])
            elif kind == "first_half":
                day = dt.date(year, 6, 30)
            else:
                day = dt.date(year, 12, 31)
        except ValueError:
            return None
        rest = text[m.end() :]
        return day, rest.removeprefix("前")
    return None


def parse_deadline(value: object) -> Deadline:
    """Parse a deadline; raises DeadlineError with the reason when it can't."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return Deadline(text=value.isoformat(), kind=DeadlineKind.FIXED, due=value)
    if not isinstance(value, str) or not value.strip():
        raise DeadlineError("empty")
    original = "".join(value.split())
    text = _normalise(value)
    if text.startswith(ONGOING_WORD):
        rest = text[len(ONGOING_WORD) :].lstrip("，,、;；")
        if not rest:
            return Deadline(text=original, kind=DeadlineKind.ONGOING, due=None)
        found = _match_date(rest)
        if found is None:
            raise DeadlineError("no_date")
        due, milestone = found
        return Deadline(
            text=original, kind=DeadlineKind.ONGOING, due=due, milestone=milestone.strip("，。")
        )
    found = _match_date(text)
    if found is None:
        raise DeadlineError("no_date")
    due, rest = found
    if rest.strip("，。"):
        raise DeadlineError("trailing")
    return Deadline(text=original, kind=DeadlineKind.FIXED, due=due)


def deadline_window(document_date: dt.date | None) -> tuple[dt.date, dt.date]:
    """The first and last day a deadline of a document dated `document_date` may name:
    from 1990-01-01 to 30 years after the document (and never after 2100-12-31)."""
    if document_date is None:
        return EARLIEST, LATEST
    year = document_date.year + MAX_YEARS_AHEAD
    if year > LATEST.year:
        return EARLIEST, LATEST
    day = min(document_date.day, calendar.monthrange(year, document_date.month)[1])
    return EARLIEST, min(LATEST, dt.date(year, document_date.month, day))


def in_window(day: dt.date, window: tuple[dt.date, dt.date]) -> bool:
    """Whether a day lies within a window (both ends included)."""
    return window[0] <= day <= window[1]
