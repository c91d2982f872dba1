"""Loading and validating `tasks.yaml` into a Catalogue.

Validation collects every problem at once, each with its file, line and field
path (`tasks[6].lead`), as values: `Problem(code, params)`. Text for people is
made at the edge with `render_problem`. Nothing here raises for bad input.
"""

from __future__ import annotations

import datetime as dt
import difflib
import gc
import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.deadline import (
    EARLIEST,
    LATEST,
    DeadlineError,
    deadline_window,
    in_window,
    parse_deadline,
)
from bot.core.i18n import t
from bot.core.model import (
    Bureau,
    Cadence,
    CalendarOverrides,
    Catalogue,
    Contact,
    Deadline,
    Direction,
    Document,
    Indicator,
    Person,
    Policy,
    PolicyOverride,
    Role,
    Section,
    SubTask,
    Task,
)
from bot.core.yaml_reader import LIMITS, Limits, Mark, read_yaml

Path_ = tuple[str | int, ...]
ID_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Severity(StrEnum):
    """An error stops a table from being applied; a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the table, with its place."""

    severity: Severity
    code: str
    path: str
    line: int | None
    column: int | None = None
    file: str = ""
    params: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def is_error(self) -> bool:
        """True for errors, False for warnings."""
        return self.severity is Severity.ERROR


class Problems:
    """Errors and warnings of a result with `problems` (a table, a config of several)."""

    problems: tuple[Problem, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The errors only."""
        return tuple(p for p in self.problems if p.is_error)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The warnings only."""
        return tuple(p for p in self.problems if not p.is_error)


@dataclass(frozen=True)
class LoadResult(Problems):
    """The outcome of loading a table: a catalogue when there are no errors."""

    catalogue: Catalogue | None
    problems: tuple[Problem, ...]
    file: str
    text: str
    sha256: str

    @property
    def ok(self) -> bool:
        """True when the table can be applied."""
        return self.catalogue is not None


def render_problem(problem: Problem, lang: str = "zh") -> str:
    """`file:line: path: message` in the given language."""
    where = problem.file or "tasks.yaml"
    if problem.line is not None:
        where += f":{problem.line}"
        if problem.column is not None:
            where += f":{problem.column}"
    severity = t(lang, f"severity.{problem.severity}")
    message = t(lang, f"problem.{problem.code}", **_render_params(problem.params, lang))
    path = f" {problem.path}:" if problem.path else ""
    return f"{where}: {severity}:{path} {message}"


def _render_params(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Turn a did-you-mean suggestion into its localised hint."""
    out = dict(params)
    if "detail" in out and "explain" in out:
        explain = t(lang, f"yaml.{out['explain']}") if out["explain"] else ""
        start = t(lang, "yaml.start", line=out["start"]) if out.get("start") else ""
        out["detail"] = "".join(x for x in (explain, start) if x) + f" ({out['detail']})"
    if "expanding" in out:
        alias = out.pop("expanding")
        out["via"] = t(lang, "yaml.via_alias", alias=alias) if alias else ""
    suggestion = out.pop("suggestion", None)
    out["hint"] = t(lang, "problem.did_you_mean", suggestion=suggestion) if suggestion else ""
    if "expected" in out:
        out["expected"] = t(lang, f"type.{out['expected']}")
    if "actual" in out and out["actual"] in _TYPE_NAMES.values():
        out["actual"] = t(lang, f"type.{out['actual']}")
    return out


def load_catalogue(
    path: str | Path, limits: Limits = LIMITS, shared: Shared | None = None
) -> LoadResult:
    """Read and validate a table file; never raises (a file too big is not read at all)."""
    p = Path(path)
    read = _read_text(p, limits)
    if isinstance(read, str):
        return parse_catalogue(read, str(p), limits, shared)
    problem, sha = read
    return LoadResult(None, (problem,), str(p), "", sha)


def load_shared(path: str | Path, limits: Limits = LIMITS) -> SharedResult:
    """Read and validate `people.yaml` as a table is read; never raises."""
    p = Path(path)
    read = _read_text(p, limits)
    if isinstance(read, str):
        return parse_shared(read, str(p), limits)
    problem, sha = read
    return SharedResult(None, (problem,), str(p), "", sha)


def _read_text(p: Path, limits: Limits) -> str | tuple[Problem, str]:
    """A file's text, or the problem that stops it being read (with the hash of its bytes,
    when they were read)."""
    try:
        with p.open("rb") as f:
            raw = f.read(limits.max_bytes + 1)
    except (OSError, ValueError):  # ValueError: a path with a NUL character
        return Problem(Severity.ERROR, "file_missing", "", None, file=str(p)), ""
    if len(raw) > limits.max_bytes:
        size = _file_size(p, len(raw))
        params = {"size": size, "limit": limits.max_bytes}
        return Problem(Severity.ERROR, "file_too_big", "", None, file=str(p), params=params), ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = Problem(
            Severity.ERROR, "file_encoding", "", None, file=str(p), params={"detail": str(exc)}
        )
        return problem, hashlib.sha256(raw).hexdigest()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a table is read.

    Reading makes hundreds of thousands of small objects and no reference cycles; left
    running, the collector walks them again and again and doubles the time of a big table.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _file_size(path: Path, at_least: int) -> int:
    """A file's size in bytes, for the message about a file too big."""
    try:
        return max(path.stat().st_size, at_least)
    except OSError:
        return at_least


def parse_catalogue(
    text: str,
    file: str = "tasks.yaml",
    limits: Limits = LIMITS,
    shared: Shared | None = None,
) -> LoadResult:
    """Validate a table given as text; never raises, whatever the text. With `shared` (the
    people and bureaus of `people.yaml`) the table may leave out its own."""
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    checker = _Checker(file, shared)
    with _collector_paused():
        data = checker.parse_yaml(text, limits)
        catalogue = checker.build(data) if data is not None else None
    problems = tuple(checker.problems)
    if any(p.is_error for p in problems):
        catalogue = None
    return LoadResult(catalogue, problems, file, text, sha)


@dataclass(frozen=True)
class Shared:
    """The people and bureaus every document of a config shares: `people.yaml`'s, then the
    primary table's; `source` names the file they come from (in errors)."""

    people: tuple[Person, ...] = ()
    bureaus: tuple[Bureau, ...] = ()
    source: str = "people.yaml"
    origin: Mapping[str, str] = field(default_factory=dict)  # an id -> another file it is from

    def ids(self) -> set[str]:
        """The ids of its people, contacts and bureaus."""
        members = {p.id for p in self.people} | {c.id for c in _contacts_of(self.bureaus)}
        return members | {b.id for b in self.bureaus}

    def file_of(self, item_id: str) -> str:
        """The file that defines an id."""
        return self.origin.get(item_id, self.source)


@dataclass(frozen=True)
class SharedResult(Problems):
    """The outcome of loading `people.yaml`."""

    shared: Shared | None
    problems: tuple[Problem, ...]
    file: str
    text: str
    sha256: str


def parse_shared(text: str, file: str = "people.yaml", limits: Limits = LIMITS) -> SharedResult:
    """Validate `people.yaml` (people and bureaus only); never raises."""
    sha = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    checker = _Checker(file)
    shared: Shared | None = None
    with _collector_paused():
        data = checker.parse_yaml(text, limits)
        if data is not None:
            checker.mapping(data, (), SHARED_KEYS, ("bureaus",))
            checker.version(data)
            telegram_ids: dict[int, str] = {}
            people = checker.people(data.get("people"), ("people",), telegram_ids)
            bureaus = checker.bureaus(data.get("bureaus"), ("bureaus",), telegram_ids)
            shared = Shared(tuple(people), tuple(bureaus), Path(file).name)
    problems = tuple(checker.problems)
    if any(p.is_error for p in problems):
        shared = None
    return SharedResult(shared, problems, file, text, sha)


# --- YAML with positions -------------------------------------------------------------------

_TYPE_NAMES: dict[type, str] = {
    dict: "mapping",
    list: "list",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dt.date: "date",
    type(None): "null",
    bytes: "binary",
}


def _type_name(value: object) -> str:
    """A short name of a YAML value's type."""
    if isinstance(value, dt.datetime):
        return "date"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _suggest(value: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate, for a did-you-mean."""
    matches = difflib.get_close_matches(value, list(candidates), n=1, cutoff=0.5)
    return matches[0] if matches else None


def format_path(path: Path_) -> str:
    """('tasks', 6, 'lead') -> 'tasks[6].lead'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


# --- the checker ---------------------------------------------------------------------------

TOP_KEYS = (
    "version",
    "language",
    "document",
    "policy",
    "calendar",
    "people",
    "bureaus",
    "sections",
    "tasks",
    "indicators",
)
DOCUMENT_KEYS = ("title", "issuer", "number", "date", "timezone", "id", "short")
#: `config/people.yaml`: the people and bureaus several documents share.
SHARED_KEYS = ("version", "people", "bureaus")
#: A document's id: ascii, short enough for a button's callback data with a task id.
DOC_ID_RE = re.compile(r"^[a-z][a-z0-9_-]{0,11}$")
MAX_SHORT = 8
#: Not in a short name: it is written before task numbers (`节水-3`), in buttons and HTML.
SHORT_BAD = ".-:/ <>&\"'"
POLICY_KEYS = (
    "send_time",
    "working_hours",
    "reminder_offsets_days",
    "remind_cooperating",
    "checkin",
    "followup_after_workdays",
    "max_followups",
    "overdue_every_days",
    "overdue_slowdown_after",
    "digest_weekday",
    "yellow_window_days",
    "catch_up_grace_hours",
    "require_evidence_for_done",
)
TASK_POLICY_KEYS = (
    "reminder_offsets_days",
    "remind_cooperating",
    "checkin",
    "followup_after_workdays",
    "max_followups",
    "overdue_every_days",
    "overdue_slowdown_after",
    "yellow_window_days",
    "require_evidence_for_done",
)
PERSON_KEYS = ("id", "name", "title", "roles", "telegram_id", "placeholder")
BUREAU_KEYS = ("id", "name", "aliases", "contacts", "every_task")
CONTACT_KEYS = ("id", "name", "title", "telegram_id", "phone", "placeholder", "deputy")
SECTION_KEYS = ("id", "number", "title")
TASK_KEYS = (
    "id",
    "number",
    "section",
    "title",
    "description",
    "lead",
    "cooperating",
    "deadline",
    "subtasks",
    "policy",
    "cooperating_open",
    "source",
)
SUBTASK_KEYS = ("id", "text", "lead", "cooperating", "deadline")
INDICATOR_KEYS = (
    "id",
    "name",
    "unit",
    "direction",
    "target",
    "baseline",
    "baseline_year",
    "due",
    "owner",
    "task",
    "checkin",
    "source",
    "range",
)
_INT_RANGES = {
    "number": (1, 99_999),  # 序号: a 10,000-task table still fits (see README)
    "baseline_year": (1949, 2100),
    "telegram_id": (1, 2**52 - 1),  # Telegram user ids are positive and below 2**52
    "followup_after_workdays": (1, 60),
    "max_followups": (0, 10),
    "overdue_every_days": (1, 365),
    "overdue_slowdown_after": (0, 100),
    "digest_weekday": (1, 7),
    "yellow_window_days": (0, 366),
    "catch_up_grace_hours": (0, 24 * 30),
}

MAX_NUMBER = 1e15  # targets, baselines and ranges: finite and smaller than this
SUPPORTED_VERSION = 1


def _num(value: float) -> str:
    """A number the way a person writes it: 49, not 49.0."""
    return f"{value:g}" if value != int(value) or abs(value) >= 1e15 else str(int(value))


def _short(value: object, limit: int = 60) -> str:
    """A value for a message, cut to a readable length."""
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Checker:
    """Walks the parsed YAML, builds the Catalogue and collects every problem."""

    def __init__(self, file: str, shared: Shared | None = None) -> None:
        self.file = file
        self.shared = shared
        self.problems: list[Problem] = []
        self.marks: Mark | None = None
        self.task_index: dict[str, int] = {}  # task id -> its index in the YAML list
        self.document_date: dt.date | None = None

    # -- reporting

    def _where(self, path: Path_) -> tuple[int | None, int | None]:
        """The line and column of a path, or of its nearest ancestor."""
        if self.marks is None:
            return None, None
        mark, _ = self.marks.find(path)
        return mark.line, mark.column

    def raw(self, path: Path_) -> str | None:
        """The text a number (or other non-text scalar) at `path` was written as."""
        if self.marks is None:
            return None
        mark, found = self.marks.find(path)
        return mark.raw if found == len(path) else None

    def report(
        self,
        severity: Severity,
        code: str,
        path: Path_,
        at: tuple[int, int] | None = None,
        **params: Any,
    ) -> None:
        """Record a problem at a path (or at an explicit line and column)."""
        line, col = at or self._where(path)
        self.problems.append(
            Problem(severity, code, format_path(path), line, col, self.file, params)
        )

    def error(self, code: str, path: Path_, **params: Any) -> None:
        """Record an error."""
        self.report(Severity.ERROR, code, path, **params)

    def warn(self, code: str, path: Path_, **params: Any) -> None:
        """Record a warning."""
        self.report(Severity.WARNING, code, path, **params)

    # -- YAML

    def parse_yaml(self, text: str, limits: Limits = LIMITS) -> dict[str, Any] | None:
        """Parse YAML within the limits, remembering where every key and item stands."""
        if not text.strip(" \t\r\n\ufeff"):
            self.error("empty", ())
            return None
        result = read_yaml(text, limits)
        for issue in result.issues:
            self.problems.append(
                Problem(
                    Severity.ERROR,
                    issue.code,
                    format_path(issue.path),
                    issue.line,
                    issue.column,
                    self.file,
                    issue.params,
                )
            )
        if result.empty:
            self.error("empty", ())
            return None
        if result.marks is None:
            return None
        self.marks = result.marks
        if not isinstance(result.data, dict):
            self.error("not_mapping", (), actual=_type_name(result.data))
            return None
        return result.data

    # -- typed field access

    def mapping(
        self, value: Any, path: Path_, allowed: tuple[str, ...], required: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        """A mapping with only known keys and every required key, or None."""
        if not isinstance(value, dict):
            self.error("wrong_type", path, expected="mapping", actual=_type_name(value))
            return None
        for key in value:
            if str(key) not in allowed:
                self.error(
                    "unknown_key",
                    (*path, str(key)),
                    key=key,
                    suggestion=_suggest(str(key), allowed),
                )
        for key in required:
            given = value.get(key)
            if given is None or (isinstance(given, str) and not given.strip()):
                if key in value:
                    self.error("empty_value", (*path, key))
                else:
                    self.error("missing_key", path, key=key)
        return value

    def items(self, value: Any, path: Path_) -> list[tuple[Path_, Any]]:
        """The items of a list (an absent list is empty)."""
        if value is None:
            return []
        if not isinstance(value, list):
            self.error("wrong_type", path, expected="list", actual=_type_name(value))
            return []
        return [((*path, i), v) for i, v in enumerate(value)]

    def string(self, d: dict[str, Any], key: str, path: Path_, default: str = "") -> str:
        """A text field. A number is taken as written (`phone: 03111234567` stays that text,
        not the octal number YAML 1.1 reads); `.nan` and `.inf` are refused."""
        value = d.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int | float) and not isinstance(value, bool):
            written = self.raw((*path, key)) or str(value)
            if isinstance(value, float) and not math.isfinite(value):
                self.error("text_not_finite", (*path, key), value=written)
                return default
            return written.strip()
        self.error("wrong_type", (*path, key), expected="string", actual=_type_name(value))
        return default

    def integer(
        self, d: dict[str, Any], key: str, path: Path_, default: int | None = None
    ) -> int | None:
        """An integer field, range-checked where the field has a range."""
        value = d.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error("wrong_type", (*path, key), expected="integer", actual=_type_name(value))
            return default
        low, high = _INT_RANGES.get(key, (None, None))
        if low is not None and high is not None and not low <= value <= high:
            self.error("out_of_range", (*path, key), value=_short(value), low=low, high=high)
            return default
        return value

    def number(self, d: dict[str, Any], key: str, path: Path_) -> float | None:
        """A finite number field (`.nan` and `.inf` are not numbers a table means)."""
        value = d.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.error("wrong_type", (*path, key), expected="number", actual=_type_name(value))
            return None
        return self.finite(value, (*path, key))

    def finite(self, value: float, path: Path_) -> float | None:
        """A number as a float, or None after reporting one that is not finite or too big."""
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number) or abs(number) >= MAX_NUMBER:
            written = self.raw(path) or str(value)
            self.error("not_finite", path, value=_short(written), limit=f"{MAX_NUMBER:.0e}")
            return None
        return number

    def boolean(self, d: dict[str, Any], key: str, path: Path_, default: bool) -> bool:
        """A true/false field."""
        value = d.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error("wrong_type", (*path, key), expected="boolean", actual=_type_name(value))
            return default
        return value

    def ident(self, d: dict[str, Any], path: Path_, seen: dict[str, str], label: str) -> str:
        """A stable id, checked for form and uniqueness within `seen`."""
        value = d.get("id")
        if value is None:
            return ""
        text = value if isinstance(value, str) else (self.raw((*path, "id")) or str(value))
        if not isinstance(value, str) or not ID_RE.match(text):
            self.error("bad_id", (*path, "id"), value=_short(text))
        elif text in seen:
            self.error("duplicate_id", (*path, "id"), value=text, first=seen[text])
        else:
            where = format_path(path)
            seen[text] = f"{label} {where}" if label else where
        return text

    def choice(
        self, d: dict[str, Any], key: str, path: Path_, choices: tuple[str, ...], default: str
    ) -> str:
        """One of a fixed set of words."""
        value = d.get(key)
        if value is None:
            return default
        text = str(value)
        if text not in choices:
            self.error(
                "unknown_choice",
                (*path, key),
                value=text,
                choices=", ".join(choices),
                suggestion=_suggest(text, choices),
            )
            return default
        return text

    def time_of_day(self, value: Any, path: Path_) -> dt.time | None:
        """An HH:MM time (YAML 1.1 may hand a sexagesimal int for 09:00 unquoted)."""
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value // 60:02d}:{value % 60:02d}"
        if isinstance(value, str):
            m = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
            if m and int(m[1]) < 24 and int(m[2]) < 60:
                return dt.time(int(m[1]), int(m[2]))
        self.error("bad_time", path, value=value)
        return None

    def date(self, value: Any, path: Path_) -> dt.date | None:
        """A YYYY-MM-DD date between 1990 and 2100."""
        day: dt.date | None = None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None:
            self.error("bad_date", path, value=_short(self.raw(path) or value))
            return None
        if not in_window(day, (EARLIEST, LATEST)):
            self.error(
                "date_out_of_window",
                path,
                value=day.isoformat(),
                low=EARLIEST.isoformat(),
                high=LATEST.isoformat(),
            )
            return None
        return day

    def deadline(self, value: Any, path: Path_) -> Deadline | None:
        """A 完成时限, naming a day within the window the document's date allows."""
        try:
            deadline = parse_deadline(value)
        except DeadlineError:
            self.error("bad_deadline", path, value=_short(self.raw(path) or value))
            return None
        window = deadline_window(self.document_date)
        if deadline.due is not None and not in_window(deadline.due, window):
            self.error(
                "deadline_out_of_window",
                path,
                value=deadline.text,
                due=deadline.due.isoformat(),
                low=window[0].isoformat(),
                high=window[1].isoformat(),
            )
            return None
        return deadline

    # -- building

    def build(self, data: dict[str, Any]) -> Catalogue | None:
        """Check every part of the table and build the Catalogue."""
        root: Path_ = ()
        required = ("document", "sections", "tasks")
        self.mapping(data, root, TOP_KEYS, required if self.shared else (*required, "bureaus"))
        self.version(data)
        language = self.choice(data, "language", root, ("zh", "en"), "zh")
        document = self.document(data.get("document"), ("document",))
        self.document_date = document.date if document else None
        policy = self.policy(data.get("policy"), ("policy",))
        calendar = self.calendar(data.get("calendar"), ("calendar",))
        telegram_ids: dict[int, str] = {}
        if self.shared is not None:
            members: list[Person | Contact] = [
                *self.shared.people,
                *_contacts_of(self.shared.bureaus),
            ]
            telegram_ids.update({m.telegram_id: m.id for m in members if m.telegram_id})
        people = self.people(data.get("people"), ("people",), telegram_ids)
        bureaus = self.bureaus(data.get("bureaus"), ("bureaus",), telegram_ids)
        if self.shared is not None:
            people, bureaus = self.with_shared(self.shared, people, bureaus)
        sections = self.sections(data.get("sections"), ("sections",))
        names = _BureauNames(bureaus)
        tasks = self.tasks(data.get("tasks"), ("tasks",), names, {s.id for s in sections})
        # Only check indicator -> task references when the task list itself could be read.
        task_ids = set(self.task_index) if isinstance(data.get("tasks"), list) else None
        indicators = self.indicators(data.get("indicators"), ("indicators",), names, task_ids)
        if document is None or policy is None:
            return None
        catalogue = Catalogue(
            document=document,
            sections=tuple(sections),
            bureaus=tuple(bureaus),
            tasks=tuple(tasks),
            indicators=tuple(indicators),
            people=tuple(people),
            policy=policy,
            calendar=calendar,
            language=language,
        )
        self.cross_checks(catalogue)
        return catalogue

    def with_shared(
        self, shared: Shared, people: list[Person], bureaus: list[Bureau]
    ) -> tuple[list[Person], list[Bureau]]:
        """The shared people and bureaus first, then the table's own; an id of both is an
        error (one set of people and bureaus), naming the file that has it."""
        known = {p.id for p in shared.people} | {c.id for c in _contacts_of(shared.bureaus)}
        for i, person in enumerate(people):
            if person.id in known:
                first = shared.file_of(person.id)
                self.error("duplicate_id", ("people", i, "id"), value=person.id, first=first)
        bureau_ids = {b.id for b in shared.bureaus}
        for i, bureau in enumerate(bureaus):
            if bureau.id in bureau_ids:
                first = shared.file_of(bureau.id)
                self.error("duplicate_id", ("bureaus", i, "id"), value=bureau.id, first=first)
        return [*shared.people, *people], [*shared.bureaus, *bureaus]

    def version(self, data: dict[str, Any]) -> None:
        """The file format version: only 1 exists (absent means 1)."""
        version = self.integer(data, "version", ())
        if version is not None and version != SUPPORTED_VERSION:
            self.error(
                "unsupported_version", ("version",), value=version, supported=SUPPORTED_VERSION
            )

    def document(self, value: Any, path: Path_) -> Document | None:
        """The document block: title, issuer, number, date, time zone."""
        d = self.mapping(value, path, DOCUMENT_KEYS, ("title", "date"))
        if d is None:
            return None
        date = self.date(d["date"], (*path, "date")) if d.get("date") is not None else None
        tz = self.string(d, "timezone", path, "Asia/Shanghai")
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            self.error("bad_timezone", (*path, "timezone"), value=tz)
            tz = "Asia/Shanghai"
        doc_id = self.string(d, "id", path)
        if doc_id and not DOC_ID_RE.match(doc_id):
            self.error("bad_document_id", (*path, "id"), value=_short(doc_id))
        short = self.string(d, "short", path)
        if len(short) > MAX_SHORT or any(ch in short for ch in SHORT_BAD):
            self.error("bad_document_short", (*path, "short"), value=_short(short), limit=MAX_SHORT)
        if date is None:
            return None
        return Document(
            title=self.string(d, "title", path),
            issuer=self.string(d, "issuer", path),
            number=self.string(d, "number", path),
            date=date,
            timezone=tz,
            id=doc_id,
            short=short,
        )

    def offsets(self, d: dict[str, Any], path: Path_) -> tuple[int, ...] | None:
        """Reminder offsets: whole days before a deadline, 0 to 3650, largest first.

        Absent (or null) keeps the default; an explicit empty list `[]` means no
        reminders, in the table's policy and in a task's alike. A day listed twice is
        sent once (with a warning).
        """
        if d.get("reminder_offsets_days") is None:
            return None
        out: list[int] = []
        for p, v in self.items(d["reminder_offsets_days"], (*path, "reminder_offsets_days")):
            if isinstance(v, bool) or not isinstance(v, int):
                self.error("wrong_type", p, expected="integer", actual=_type_name(v))
            elif not 0 <= v <= 3650:
                self.error("out_of_range", p, value=_short(v), low=0, high=3650)
            elif v in out:
                self.warn("duplicate_offset", p, value=v)
            else:
                out.append(v)
        return tuple(sorted(out, reverse=True))

    def policy(self, value: Any, path: Path_) -> Policy | None:
        """The reminder policy, defaults for what is left out."""
        base = Policy()
        if value is None:
            return base
        d = self.mapping(value, path, POLICY_KEYS)
        if d is None:
            return base
        send_time = base.send_time
        if "send_time" in d:
            send_time = self.time_of_day(d["send_time"], (*path, "send_time")) or send_time
        hours = self.working_hours(d, path, base.working_hours)
        if not hours[0] <= send_time < hours[1]:
            self.error(
                "send_time_outside_hours",
                (*path, "send_time"),
                send_time=send_time.strftime("%H:%M"),
                start=hours[0].strftime("%H:%M"),
                end=hours[1].strftime("%H:%M"),
            )
        common = self.policy_fields(d, path)
        return Policy(
            send_time=send_time,
            working_hours=hours,
            reminder_offsets_days=(
                base.reminder_offsets_days
                if common.reminder_offsets_days is None
                else common.reminder_offsets_days
            ),
            remind_cooperating=(
                base.remind_cooperating
                if common.remind_cooperating is None
                else common.remind_cooperating
            ),
            checkin=common.checkin or base.checkin,
            followup_after_workdays=common.followup_after_workdays or base.followup_after_workdays,
            max_followups=(
                base.max_followups if common.max_followups is None else common.max_followups
            ),
            overdue_every_days=common.overdue_every_days or base.overdue_every_days,
            overdue_slowdown_after=(
                base.overdue_slowdown_after
                if common.overdue_slowdown_after is None
                else common.overdue_slowdown_after
            ),
            digest_weekday=self.integer(d, "digest_weekday", path, base.digest_weekday)
            or base.digest_weekday,
            yellow_window_days=(
                base.yellow_window_days
                if common.yellow_window_days is None
                else common.yellow_window_days
            ),
            catch_up_grace_hours=self.integer(
                d, "catch_up_grace_hours", path, base.catch_up_grace_hours
            )
            or 0,
            require_evidence_for_done=common.require_evidence_for_done,
        )

    def working_hours(
        self, d: dict[str, Any], path: Path_, default: tuple[dt.time, dt.time]
    ) -> tuple[dt.time, dt.time]:
        """`working_hours: ["09:00", "18:00"]`: two times, the first earlier."""
        if "working_hours" not in d:
            return default
        hp = (*path, "working_hours")
        raw = d["working_hours"]
        if not isinstance(raw, list) or len(raw) != 2:
            self.error("bad_hours", hp)
            return default
        start = self.time_of_day(raw[0], (*hp, 0))
        end = self.time_of_day(raw[1], (*hp, 1))
        if start and end and start < end:
            return start, end
        if start and end:
            self.error("bad_hours", hp)
        return default

    def policy_fields(self, d: dict[str, Any], path: Path_) -> PolicyOverride:
        """The policy keys a task may override."""
        cadence = d.get("checkin")
        checkin = None
        if cadence is not None:
            word = self.choice(d, "checkin", path, tuple(c.value for c in Cadence), "")
            checkin = Cadence(word) if word else None
        remind = d.get("remind_cooperating")
        evidence = d.get("require_evidence_for_done")
        return PolicyOverride(
            require_evidence_for_done=None
            if evidence is None
            else self.boolean(d, "require_evidence_for_done", path, True),
            reminder_offsets_days=self.offsets(d, path),
            remind_cooperating=None
            if remind is None
            else self.boolean(d, "remind_cooperating", path, True),
            checkin=checkin,
            followup_after_workdays=self.integer(d, "followup_after_workdays", path),
            max_followups=self.integer(d, "max_followups", path),
            overdue_every_days=self.integer(d, "overdue_every_days", path),
            overdue_slowdown_after=self.integer(d, "overdue_slowdown_after", path),
            yellow_window_days=self.integer(d, "yellow_window_days", path),
        )

    def calendar(self, value: Any, path: Path_) -> CalendarOverrides:
        """Holidays and make-up working days listed by the admins."""
        if value is None:
            return CalendarOverrides()
        d = self.mapping(value, path, ("holidays", "workdays"))
        if d is None:
            return CalendarOverrides()
        sets: dict[str, set[dt.date]] = {"holidays": set(), "workdays": set()}
        for key, days in sets.items():
            for p, v in self.items(d.get(key), (*path, key)):
                day = self.date(v, p)
                if day:
                    days.add(day)
        return CalendarOverrides(frozenset(sets["holidays"]), frozenset(sets["workdays"]))

    def telegram_id(
        self, d: dict[str, Any], path: Path_, owner: str, seen: dict[int, str]
    ) -> int | None:
        """An optional Telegram user id, unique across people and contacts."""
        value = self.integer(d, "telegram_id", path)
        if value is not None:
            if value in seen:
                self.error(
                    "duplicate_telegram_id", (*path, "telegram_id"), value=value, first=seen[value]
                )
            else:
                seen[value] = owner
        return value

    def people(self, value: Any, path: Path_, telegram_ids: dict[int, str]) -> list[Person]:
        """Admins and coordinators."""
        out: list[Person] = []
        seen: dict[str, str] = {}
        roles_allowed = (Role.ADMIN.value, Role.COORDINATOR.value)
        for p, item in self.items(value, path):
            d = self.mapping(item, p, PERSON_KEYS, ("id", "name", "roles"))
            if d is None:
                continue
            pid = self.ident(d, p, seen, "")
            roles: set[Role] = set()
            for rp, r in self.items(d.get("roles"), (*p, "roles")):
                if str(r) in roles_allowed:
                    roles.add(Role(str(r)))
                else:
                    self.error(
                        "unknown_choice",
                        rp,
                        value=r,
                        choices=", ".join(roles_allowed),
                        suggestion=_suggest(str(r), roles_allowed),
                    )
            out.append(
                Person(
                    id=pid,
                    name=self.string(d, "name", p),
                    roles=frozenset(roles),
                    telegram_id=self.telegram_id(d, p, pid, telegram_ids),
                    title=self.string(d, "title", p),
                    placeholder=self.boolean(d, "placeholder", p, False),
                )
            )
        self._people_ids = seen
        return out

    def bureaus(self, value: Any, path: Path_, telegram_ids: dict[int, str]) -> list[Bureau]:
        """Bureaus, their aliases and contacts; every name or alias names one bureau only."""
        out: list[Bureau] = []
        seen: dict[str, str] = {}
        contact_ids: dict[str, str] = dict(getattr(self, "_people_ids", {}))
        names: dict[str, tuple[str, Path_]] = {}  # name without spaces -> (bureau id, where)
        for p, item in self.items(value, path):
            d = self.mapping(item, p, BUREAU_KEYS, ("id", "name"))
            if d is None:
                continue
            bid = self.ident(d, p, seen, "")
            name = self.string(d, "name", p)
            aliases: list[str] = []
            for ap, a in self.items(d.get("aliases"), (*p, "aliases")):
                if isinstance(a, str) and a.strip():
                    aliases.append(a.strip())
                else:
                    self.error("wrong_type", ap, expected="string", actual=_type_name(a))
            for n_path, n in [((*p, "name"), name)] + [
                ((*p, "aliases", i), a) for i, a in enumerate(aliases)
            ]:
                first = names.setdefault(_fold(n), (bid, n_path))[0]
                if first != bid:
                    self.error("duplicate_name", n_path, value=n, first=first, second=bid)
            out.append(
                Bureau(
                    id=bid,
                    name=name,
                    aliases=tuple(dict.fromkeys(aliases)),
                    contacts=self.contacts(d, p, bid, contact_ids, telegram_ids),
                    every_task=self.boolean(d, "every_task", p, False),
                )
            )
        for b in out:  # a name that is another bureau's id would be read as either
            owner = names.get(b.id)
            if owner is not None and owner[0] != b.id:
                self.error("duplicate_name", owner[1], value=b.id, first=owner[0], second=b.id)
        return out

    def contacts(
        self,
        d: dict[str, Any],
        p: Path_,
        bid: str,
        contact_ids: dict[str, str],
        telegram_ids: dict[int, str],
    ) -> tuple[Contact, ...]:
        """A bureau's contacts (联络员)."""
        contacts: list[Contact] = []
        for cp, c in self.items(d.get("contacts"), (*p, "contacts")):
            cd = self.mapping(c, cp, CONTACT_KEYS, ("id", "name"))
            if cd is None:
                continue
            cid = self.ident(cd, cp, contact_ids, "")
            contacts.append(
                Contact(
                    id=cid,
                    name=self.string(cd, "name", cp),
                    bureau_id=bid,
                    title=self.string(cd, "title", cp),
                    telegram_id=self.telegram_id(cd, cp, cid, telegram_ids),
                    phone=self.string(cd, "phone", cp),
                    placeholder=self.boolean(cd, "placeholder", cp, False),
                    deputy=self.string(cd, "deputy", cp) or None,
                )
            )
        return tuple(contacts)

    def sections(self, value: Any, path: Path_) -> list[Section]:
        """The attachment's headings."""
        out: list[Section] = []
        seen: dict[str, str] = {}
        for p, item in self.items(value, path):
            d = self.mapping(item, p, SECTION_KEYS, ("id", "title"))
            if d is None:
                continue
            out.append(
                Section(
                    id=self.ident(d, p, seen, ""),
                    number=self.string(d, "number", p),
                    title=self.string(d, "title", p),
                )
            )
        return out

    def bureau_ref(self, value: Any, path: Path_, names: _BureauNames) -> str | None:
        """Resolve a bureau name, alias or id to its id."""
        if not isinstance(value, str) or not value.strip():
            self.error("wrong_type", path, expected="string", actual=_type_name(value))
            return None
        found = names.resolve(value)
        if found is None:
            self.error(
                "unknown_bureau", path, value=value, suggestion=_suggest(value.strip(), names.all)
            )
        return found

    def units(
        self, d: dict[str, Any], path: Path_, names: _BureauNames, lead_required: bool
    ) -> tuple[str | None, tuple[str, ...]]:
        """Lead (牵头单位) and cooperating bureaus (配合单位) of a task or sub-item."""
        lead = None
        if d.get("lead") is not None:
            lead = self.bureau_ref(d["lead"], (*path, "lead"), names)
        elif lead_required and "lead" in d:
            self.error("empty_value", (*path, "lead"))
        cooperating: list[str] = []
        raw = d.get("cooperating")
        if isinstance(raw, str):
            raw = [raw]
        for p, v in self.items(raw, (*path, "cooperating")):
            bid = self.bureau_ref(v, p, names)
            if bid is None:
                continue
            if bid == lead:
                self.warn("lead_also_cooperating", p, value=v)
            elif bid not in cooperating:
                cooperating.append(bid)
        return lead, tuple(cooperating)

    def tasks(
        self, value: Any, path: Path_, names: _BureauNames, section_ids: set[str]
    ) -> list[Task]:
        """The numbered tasks and their sub-items."""
        out: list[Task] = []
        ids: dict[str, str] = {}
        sub_ids: dict[str, str] = {}
        numbers: dict[int, str] = {}
        items = self.items(value, path)
        if value is not None and not items and isinstance(value, list):
            self.error("no_tasks", path)
        for i, (p, item) in enumerate(items):
            d = self.mapping(
                item, p, TASK_KEYS, ("id", "number", "section", "title", "lead", "deadline")
            )
            if d is None:
                continue
            tid = self.ident(d, p, ids, "")
            self.task_index.setdefault(tid, i)
            number = self.integer(d, "number", p)
            if number is not None:
                if number in numbers:
                    self.error(
                        "duplicate_number", (*p, "number"), value=number, first=numbers[number]
                    )
                else:
                    numbers[number] = tid or format_path(p)
            task = self.task(d, p, names, section_ids, sub_ids)
            if task is not None and tid and number is not None:
                out.append(replace(task, id=tid, number=number))
        return out

    def task(
        self,
        d: dict[str, Any],
        p: Path_,
        names: _BureauNames,
        section_ids: set[str],
        sub_ids: dict[str, str],
    ) -> Task | None:
        """One task's fields but its id and number (None when one it needs is wrong)."""
        section = self.string(d, "section", p)
        if section and section not in section_ids:
            self.error(
                "unknown_section",
                (*p, "section"),
                value=section,
                suggestion=_suggest(section, section_ids),
            )
        lead, cooperating = self.units(d, p, names, lead_required=True)
        deadline = (
            self.deadline(d["deadline"], (*p, "deadline"))
            if d.get("deadline") not in (None, "")
            else None
        )
        subtasks = self.subtasks(d.get("subtasks"), (*p, "subtasks"), names, sub_ids)
        override = None
        if d.get("policy") is not None:
            pd = self.mapping(d["policy"], (*p, "policy"), TASK_POLICY_KEYS)
            override = self.policy_fields(pd, (*p, "policy")) if pd is not None else None
        title = self.string(d, "title", p)
        description = self.string(d, "description", p)
        source = self.string(d, "source", p)
        cooperating_open = self.boolean(d, "cooperating_open", p, False)
        if not (lead and deadline and section in section_ids):
            return None
        return Task(
            id="",
            number=0,
            section=section,
            title=title,
            lead=lead,
            cooperating=cooperating,
            deadline=deadline,
            description=description,
            subtasks=tuple(subtasks),
            policy=override,
            cooperating_open=cooperating_open,
            source=source,
        )

    def subtasks(
        self, value: Any, path: Path_, names: _BureauNames, seen: dict[str, str]
    ) -> list[SubTask]:
        """A task's sub-items (the table's second column)."""
        out: list[SubTask] = []
        for p, item in self.items(value, path):
            d = self.mapping(item, p, SUBTASK_KEYS, ("id", "text"))
            if d is None:
                continue
            lead, cooperating = self.units(d, p, names, lead_required=False)
            deadline = (
                self.deadline(d["deadline"], (*p, "deadline"))
                if d.get("deadline") not in (None, "")
                else None
            )
            out.append(
                SubTask(
                    id=self.ident(d, p, seen, ""),
                    text=self.string(d, "text", p),
                    lead=lead,
                    cooperating=cooperating,
                    deadline=deadline,
                )
            )
        return out

    def indicators(
        self, value: Any, path: Path_, names: _BureauNames, task_ids: set[str] | None
    ) -> list[Indicator]:
        """The quantitative targets (指标)."""
        out: list[Indicator] = []
        seen: dict[str, str] = {}
        for p, item in self.items(value, path):
            d = self.mapping(
                item,
                p,
                INDICATOR_KEYS,
                ("id", "name", "unit", "direction", "target", "due", "owner"),
            )
            if d is None:
                continue
            iid = self.ident(d, p, seen, "")
            indicator = self.indicator(d, p, names, task_ids)
            if indicator is not None and iid:
                out.append(replace(indicator, id=iid))
        return out

    def indicator(
        self, d: dict[str, Any], p: Path_, names: _BureauNames, task_ids: set[str] | None
    ) -> Indicator | None:
        """One indicator's fields but its id (None when one it needs is wrong)."""
        direction = self.choice(d, "direction", p, tuple(x.value for x in Direction), "")
        target = self.number(d, "target", p)
        baseline = self.number(d, "baseline", p)
        baseline_year = self.integer(d, "baseline_year", p)
        if direction == Direction.REDUCE_BY_PCT and d.get("baseline_year") is None:
            self.error("baseline_year_required", (*p, "baseline_year"))
        due = self.deadline(d["due"], (*p, "due")) if d.get("due") not in (None, "") else None
        owner = (
            self.bureau_ref(d["owner"], (*p, "owner"), names)
            if d.get("owner") is not None
            else None
        )
        task = self.string(d, "task", p) or None
        if task and task_ids is not None and task not in task_ids:
            self.error(
                "unknown_task", (*p, "task"), value=task, suggestion=_suggest(task, task_ids)
            )
        checkin = self.choice(
            d, "checkin", p, tuple(c.value for c in Cadence), Cadence.QUARTERLY.value
        )
        unit = self.string(d, "unit", p)
        if not unit and d.get("unit") is not None:
            self.error("empty_value", (*p, "unit"))
        plausible = self.value_range(d, p)
        if plausible is not None:
            self.within_range(
                plausible, p, target if direction != Direction.REDUCE_BY_PCT else None, baseline
            )
        if not (direction and target is not None and due and owner and unit):
            return None
        return Indicator(
            id="",
            name=self.string(d, "name", p),
            unit=unit,
            direction=Direction(direction),
            target=target,
            due=due,
            owner=owner,
            task=task,
            baseline=baseline,
            baseline_year=baseline_year,
            checkin=Cadence(checkin),
            source=self.string(d, "source", p),
            range=plausible,
        )

    def value_range(self, d: dict[str, Any], p: Path_) -> tuple[float, float] | None:
        """`range: [min, max]`: two finite numbers, min below max."""
        raw = d.get("range")
        if raw is None:
            return None
        rp = (*p, "range")
        if not isinstance(raw, list) or len(raw) != 2:
            self.error("bad_range", rp)
            return None
        ends: list[float] = []
        for i, v in enumerate(raw):
            if isinstance(v, bool) or not isinstance(v, int | float):
                self.error("wrong_type", (*rp, i), expected="number", actual=_type_name(v))
                continue
            number = self.finite(v, (*rp, i))
            if number is not None:
                ends.append(number)
        if len(ends) != 2:
            return None
        if not ends[0] < ends[1]:
            self.error("bad_range", rp)
            return None
        return ends[0], ends[1]

    def within_range(
        self,
        plausible: tuple[float, float],
        p: Path_,
        target: float | None,
        baseline: float | None,
    ) -> None:
        """A target or baseline outside the plausible range could never be read."""
        low, high = plausible
        for key, value in (("target", target), ("baseline", baseline)):
            if value is not None and not low <= value <= high:
                self.error(
                    "outside_range", (*p, key), value=_num(value), low=_num(low), high=_num(high)
                )

    # -- checks across the table

    def cross_checks(self, catalogue: Catalogue) -> None:
        """Warnings that need the whole table: dates, contacts, roles, calendar years."""
        doc_date = catalogue.document.date
        for ti, task in enumerate(catalogue.tasks):
            tp: Path_ = ("tasks", self.task_index.get(task.id, ti))
            self._check_before_document(task.deadline, (*tp, "deadline"), doc_date)
            for si, sub in enumerate(task.subtasks):
                if sub.deadline is None:
                    continue
                sp: Path_ = (*tp, "subtasks", si, "deadline")
                self._check_before_document(sub.deadline, sp, doc_date)
                if sub.deadline.due and task.deadline.due and sub.deadline.due > task.deadline.due:
                    self.warn(
                        "subtask_deadline_after_task",
                        sp,
                        value=sub.deadline.text,
                        due=sub.deadline.due.isoformat(),
                        task_deadline=task.deadline.text,
                    )
        shared_ids = set() if self.shared is None else {b.id for b in self.shared.bureaus}
        offset = len(shared_ids)  # the own bureaus follow the shared ones
        for bi, bureau in enumerate(catalogue.bureaus, start=-offset):
            if bureau.id in shared_ids:  # another file's: checked there
                continue
            if not bureau.contacts and catalogue.tasks_of(bureau.id):
                self.warn("no_contacts", ("bureaus", bi), value=bureau.name)
            colleagues = [c.id for c in bureau.contacts]
            for ci, c in enumerate(bureau.contacts):
                if c.deputy is not None and (c.deputy not in colleagues or c.deputy == c.id):
                    others = [x for x in colleagues if x != c.id]
                    self.error(
                        "bad_deputy",
                        ("bureaus", bi, "contacts", ci, "deputy"),
                        value=c.deputy,
                        choices="、".join(others) or "—",
                        suggestion=_suggest(c.deputy, others),
                    )
        placeholders = sum(
            c.placeholder for c in catalogue.contacts() if c.bureau_id not in shared_ids
        )
        shared_people = set() if self.shared is None else set(self.shared.people)
        placeholders += sum(p.placeholder for p in catalogue.people if p not in shared_people)
        if placeholders:
            self.warn("placeholder_contacts", ("bureaus",), count=placeholders)
        if not catalogue.with_role(Role.ADMIN):
            self.warn("no_admin", ("people",))
        if not catalogue.with_role(Role.COORDINATOR):
            self.warn("no_coordinator", ("people",))
        unknown = calendar_unknown_years(catalogue)
        if unknown:
            self.warn(
                "calendar_unknown_year",
                ("calendar",),
                years="、".join(str(y) for y in unknown),
            )

    def _check_before_document(self, deadline: Deadline, path: Path_, doc_date: dt.date) -> None:
        """Warn about a deadline earlier than the document that sets it."""
        if deadline.due is not None and deadline.due < doc_date:
            self.warn(
                "deadline_before_document",
                path,
                value=deadline.text,
                due=deadline.due.isoformat(),
                document_date=doc_date.isoformat(),
            )


def _contacts_of(bureaus: Iterable[Bureau]) -> list[Contact]:
    return [c for b in bureaus for c in b.contacts]


def calendar_unknown_years(catalogue: Catalogue) -> list[int]:
    """Years the table spans that chinesecalendar has no holiday data for."""
    from bot.core.workdays import unknown_years

    years: set[int] = {catalogue.document.date.year}
    for task in catalogue.tasks:
        for d in [task.deadline, *(s.deadline for s in task.subtasks if s.deadline)]:
            if d.due is not None:
                years.update(range(catalogue.document.date.year, d.due.year + 1))
    for ind in catalogue.indicators:
        if ind.due.due is not None:
            years.add(ind.due.due.year)
    covered = {d.year for d in catalogue.calendar.holidays | catalogue.calendar.workdays}
    return [y for y in unknown_years(sorted(years)) if y not in covered]


class _BureauNames:
    """Name, alias and id lookup for bureau references."""

    def __init__(self, bureaus: list[Bureau]) -> None:
        self.by_name: dict[str, str] = {}
        for b in bureaus:
            for n in (b.id, *b.names):
                self.by_name.setdefault(_fold(n), b.id)
        self.all = [n for b in bureaus for n in b.names]

    def resolve(self, name: str) -> str | None:
        """The bureau id for a name, alias or id."""
        found = self.by_name.get(name)  # a name without spaces is its own folded form
        return found if found is not None else self.by_name.get(_fold(name))


def _fold(name: str) -> str:
    """Compare bureau names without spaces."""
    return "".join(name.split())


def normalised(
    catalogue: Catalogue, warnings: Iterable[Problem] = (), lang: str = "zh"
) -> dict[str, Any]:
    """The catalogue as plain JSON-able data: bureaus by canonical name, dates ISO 8601."""
    doc = catalogue.document
    return {
        "document": {
            "title": doc.title,
            "issuer": doc.issuer,
            "number": doc.number,
            "date": doc.date.isoformat(),
            "timezone": doc.timezone,
        },
        "language": catalogue.language,
        "bureaus": [
            {
                "id": b.id,
                "name": b.name,
                "aliases": list(b.aliases),
                "every_task": b.every_task,
                "contacts": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "title": c.title,
                        "telegram_id": c.telegram_id,
                        "placeholder": c.placeholder,
                    }
                    for c in b.contacts
                ],
            }
            for b in catalogue.bureaus
        ],
        "people": [
            {
                "id": p.id,
                "name": p.name,
                "roles": sorted(r.value for r in p.roles),
                "telegram_id": p.telegram_id,
                "placeholder": p.placeholder,
            }
            for p in catalogue.people
        ],
        "sections": [
            {"id": s.id, "number": s.number, "title": s.title} for s in catalogue.sections
        ],
        "tasks": [_normalised_task(catalogue, task) for task in catalogue.tasks],
        "indicators": [_normalised_indicator(catalogue, i) for i in catalogue.indicators],
        "warnings": [render_problem(p, lang) for p in warnings],
    }


def _normalised_task(catalogue: Catalogue, task: Task) -> dict[str, Any]:
    """One task of `normalised`, its sub-items with their lead and deadline filled in."""
    name = catalogue.bureau_name
    return {
        "id": task.id,
        "number": task.number,
        "section": catalogue.section(task.section).title,
        "section_id": task.section,
        "title": task.title,
        "description": task.description,
        "source": task.source,
        "lead": name(task.lead),
        "cooperating": [name(b) for b in task.cooperating],
        "cooperating_open": task.cooperating_open,
        "also": [name(b) for b in catalogue.every_task_bureaus()],
        "deadline": _normalised_deadline(task.deadline),
        "subtasks": [
            {
                "id": s.id,
                "text": s.text,
                "lead": name(s.lead or task.lead),
                "cooperating": [name(b) for b in s.cooperating],
                "deadline": _normalised_deadline(s.deadline or task.deadline),
            }
            for s in task.subtasks
        ],
    }


def _normalised_indicator(catalogue: Catalogue, i: Indicator) -> dict[str, Any]:
    """One indicator of `normalised`."""
    return {
        "id": i.id,
        "name": i.name,
        "unit": i.unit,
        "direction": i.direction.value,
        "target": i.target,
        "baseline": i.baseline,
        "baseline_year": i.baseline_year,
        "due": _normalised_deadline(i.due),
        "owner": catalogue.bureau_name(i.owner),
        "task": i.task,
        "checkin": i.checkin.value,
        "source": i.source,
        "range": list(i.range) if i.range is not None else None,
    }


def _normalised_deadline(d: Deadline | None) -> dict[str, Any] | None:
    """A 完成时限 as its words and its reading."""
    if d is None:
        return None
    return {
        "text": d.text,
        "kind": d.kind.value,
        "due": d.due.isoformat() if d.due else None,
        "milestone": d.milestone,
    }
