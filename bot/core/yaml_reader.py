"""Reading `tasks.yaml` into plain Python values, with a place for every key and item.

The table is edited by hand and can hold anything, so reading it must cost a bounded
amount whatever the bytes: the file size, the nesting depth and the number of nodes the
document expands to (each alias counted as the size of what it points to) are limited,
and checked on the event stream *before* any big Python object exists. A recursive alias
is refused; an invisible control character is reported at its line and column.

libyaml parses when it is installed (PyYAML's `CParser`), the pure-Python parser
otherwise; both feed the same small composer below, which builds the values without
recursion, keeps dates as text (a bad date is reported at its field, not as YAML), and
reports keys that appear twice. Nothing here raises for bad input: problems are values
(`Issue`) with a line and column, or without one for whole-file problems.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner


def _load_c_parser() -> Any:
    """libyaml's parser, when PyYAML was built with it (its wheels are)."""
    try:
        from yaml import _yaml
    except ImportError:  # pragma: no cover - depends on how PyYAML was installed
        return None
    return getattr(_yaml, "CParser", None)


_CParser: Any = _load_c_parser()

Key = str | int
Path_ = tuple[Key, ...]


@dataclass(frozen=True)
class Limits:
    """What reading one table may cost at most."""

    max_bytes: int = 20_000_000  # a 10,000-task table is about 6 MB
    max_depth: int = 64  # the table itself nests 6 deep
    max_nodes: int = 1_000_000  # a 10,000-task table has about 425,000 nodes


LIMITS = Limits()
MAX_CONTROL_REPORTS = 20  # control characters reported one by one; the rest are counted
_MAX_NUMBER_CHARS = 100  # a number written longer than this is not a number a table needs

# Everything YAML refuses to read (YAML 1.1 §5.1, the set both PyYAML and libyaml check).
_NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
    # and the bidirectional embeddings, overrides and isolates: invisible, they show a name
    # or a number reversed (`U+202E` makes 局境环态生 of 生态环境局 on screen)
    "|[\u202a-\u202e\u2066-\u2069]"
)
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
# Dates stay text (reported at their field when wrong); '=' (the YAML 1.1 "value" type)
# and the '!&*' guards have no constructor in a safe loader: all three read as text.
_DROPPED = {"tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value", "tag:yaml.org,2002:yaml"}
_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_CONSTRUCTOR = SafeConstructor()
_SCALARS: dict[str, Callable[[ScalarNode], Any]] = {
    "tag:yaml.org,2002:null": _CONSTRUCTOR.construct_yaml_null,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:binary": _CONSTRUCTOR.construct_yaml_binary,
    "tag:yaml.org,2002:timestamp": _CONSTRUCTOR.construct_yaml_timestamp,
}

_YAML_HINTS = (
    ("that cannot start any token", "tab"),  # only when the character there is a tab
    ("tab character", "tab"),
    ("mapping values are not allowed", "colon"),
    ("expected ',' or ']'", "bracket"),
    ("expected ',' or '}'", "brace"),
    ("found unexpected end of stream", "unclosed"),
    ("could not find expected ':'", "missing_colon"),
    ("expected <block end>", "indent"),
    ("did not find expected key", "indent"),
    ("did not find expected '-' indicator", "indent"),
)


class Mark:
    """Where a value stands (1-based line and column), and the places of its parts.

    `children` maps each key of a mapping (as `str(key)`) or holds each item of a list;
    `raw` is the text a number or other non-text scalar was written as.
    """

    __slots__ = ("children", "column", "line", "raw")

    def __init__(
        self,
        line: int,
        column: int,
        children: dict[str, Mark] | list[Mark] | None = None,
        raw: str | None = None,
    ) -> None:
        self.line = line
        self.column = column
        self.children = children
        self.raw = raw

    def find(self, path: Path_) -> tuple[Mark, int]:
        """The mark of `path`, or of its nearest ancestor, and how many parts were found."""
        mark, depth = self, 0
        for part in path:
            children = mark.children
            if isinstance(children, dict) and isinstance(part, str):
                child = children.get(part)
            elif isinstance(children, list) and isinstance(part, int) and 0 <= part < len(children):
                child = children[part]
            else:
                child = None
            if child is None:
                break
            mark = child
            depth += 1
        return mark, depth


@dataclass(frozen=True)
class Issue:
    """A problem found while reading: a problem code, its place, its parameters."""

    code: str
    line: int | None = None
    column: int | None = None
    path: Path_ = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadResult:
    """The document's value and marks, or None when it cannot be read, and every issue."""

    data: Any = None
    marks: Mark | None = None
    issues: list[Issue] = field(default_factory=list)
    empty: bool = False


def read_yaml(text: str, limits: Limits = LIMITS, *, pure: bool = False) -> ReadResult:
    """Read one YAML document within `limits`; never raises for any text.

    `pure` uses PyYAML's pure-Python parser even when libyaml is installed (the tests
    compare both).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        return ReadResult(
            issues=[Issue("file_too_big", params={"size": size, "limit": limits.max_bytes})]
        )
    issues = control_characters(text)
    if issues:
        return ReadResult(issues=issues)
    text = text.removeprefix("\ufeff")
    parser = _parser(text, pure)
    try:
        return _Composer(parser, limits).document()
    except _Stop as stop:
        return ReadResult(issues=[stop.issue])
    except yaml.MarkedYAMLError as exc:
        return ReadResult(issues=[_syntax_issue(exc, text, limits)])
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        # Not expected once the limits hold; kept so no input can make reading raise.
        return ReadResult(issues=[Issue("yaml_syntax", params=_detail(str(exc), "", None))])
    finally:
        parser.dispose()


def control_characters(text: str) -> list[Issue]:
    """Each character YAML cannot read, at its line and column (the first few, then a count)."""
    found = _NON_PRINTABLE.search(text)
    if found is None:
        return []
    issues: list[Issue] = []
    line, line_start, pos = 1, 0, 0
    for count, m in enumerate(_NON_PRINTABLE.finditer(text, found.start())):
        for brk in _LINE_BREAK.finditer(text, pos, m.start()):
            line += 1
            line_start = brk.end()
        pos = m.start()
        if count == MAX_CONTROL_REPORTS:
            rest = sum(1 for _ in _NON_PRINTABLE.finditer(text, m.start()))
            issues.append(
                Issue("control_chars_more", line, pos - line_start + 1, params={"count": rest})
            )
            break
        char = f"U+{ord(m.group()):04X}"
        issues.append(Issue("control_char", line, pos - line_start + 1, params={"char": char}))
    return issues


class _PureParser(Reader, Scanner, Parser):
    """PyYAML's pure-Python reader, scanner and parser: the events without a composer."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)

    def dispose(self) -> None:
        """Nothing to free (the C parser has a `dispose`)."""


def _parser(text: str, pure: bool) -> Any:
    """libyaml's parser when installed (and not `pure`), else PyYAML's own."""
    if _CParser is not None and not pure:
        return _CParser(text)
    return _PureParser(text)


def has_libyaml() -> bool:
    """True when PyYAML was built with libyaml."""
    return _CParser is not None


class _Stop(Exception):
    """Reading stops here: the document breaks a limit or cannot mean anything."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(issue.code)
        self.issue = issue


_NO_KEY: Any = object()
_MERGE_KEY: Any = object()
_Anchor = tuple[Any, "dict[str, Mark] | list[Mark] | None", str | None, int]


class _MapFrame:
    """A mapping being read: its values, their marks, the key waiting for its value."""

    __slots__ = ("anchor", "column", "key", "key_column", "key_line", "line", "marks", "merges",
                 "path", "size", "value")  # fmt: skip

    def __init__(self, line: int, column: int, path: Path_, anchor: str | None) -> None:
        self.value: dict[Any, Any] = {}
        self.marks: dict[str, Mark] = {}
        self.line, self.column, self.path, self.anchor = line, column, path, anchor
        self.size = 1
        self.key: Any = _NO_KEY
        self.key_line = self.key_column = 0
        self.merges: list[tuple[dict[Any, Any], dict[str, Mark]]] = []


class _SeqFrame:
    """A list being read: its items and their marks."""

    __slots__ = ("anchor", "column", "line", "marks", "path", "size", "value")

    def __init__(self, line: int, column: int, path: Path_, anchor: str | None) -> None:
        self.value: list[Any] = []
        self.marks: list[Mark] = []
        self.line, self.column, self.path, self.anchor = line, column, path, anchor
        self.size = 1


class _Composer:
    """Builds values from parser events, without recursion, within the limits."""

    def __init__(self, parser: Any, limits: Limits) -> None:
        self.parser = parser
        self.limits = limits
        self.total = 0
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: dict[str, int] = {}  # anchor -> the line where it was set
        self.issues: list[Issue] = []

    def document(self) -> ReadResult:
        """The stream's single document."""
        get = self.parser.get_event
        get()  # StreamStartEvent
        event = get()
        if isinstance(event, StreamEndEvent):
            return ReadResult(empty=True)
        value, mark = self.compose(get)
        event = get()  # after DocumentEndEvent
        if not isinstance(event, StreamEndEvent):
            line, col = _pos(event)
            raise _Stop(Issue("multiple_documents", line, col))
        return ReadResult(value, mark, self.issues)

    def compose(self, get: Callable[[], Event]) -> tuple[Any, Mark]:
        """The values of one document, from its first node to its DocumentEndEvent.

        The hot loop of reading a table: one pass over the events, no recursion.
        """
        stack: list[_MapFrame | _SeqFrame] = []
        result: tuple[Any, Mark] | None = None
        children: dict[str, Mark] | list[Mark] | None
        limit = self.limits.max_nodes
        while True:
            event = get()
            if isinstance(event, ScalarEvent):
                self.total += 1
                if self.total > limit:
                    self.too_many(event)
                value, raw, line, column = self.scalar(event)
                children, size = None, 1
            elif isinstance(event, MappingEndEvent | SequenceEndEvent):
                frame = stack.pop()
                value, children, size = self.end(frame)
                raw, line, column = None, frame.line, frame.column
            elif isinstance(event, MappingStartEvent | SequenceStartEvent):
                stack.append(self.start(event, stack))
                continue
            elif isinstance(event, AliasEvent):
                value, children, raw, size = self.alias(event)
                line, column = _pos(event)
            elif isinstance(event, DocumentEndEvent):
                if result is None:  # pragma: no cover - the parser always gives a node
                    raise _Stop(Issue("empty"))
                return result
            else:  # pragma: no cover - nothing else comes inside a document
                continue
            if not stack:
                result = (_as_value(value), Mark(line, column, children, raw))
                continue
            top = stack[-1]
            top.size += size
            if isinstance(top, _SeqFrame):
                top.value.append(_as_value(value))
                top.marks.append(Mark(line, column, children, raw))
            elif top.key is _NO_KEY:
                if children is not None:
                    raise _Stop(Issue("yaml_complex_key", line, column))
                top.key, top.key_line, top.key_column = value, line, column
            else:
                self.entry(top, value, children, raw)

    def too_many(self, event: Event) -> None:
        """Stop: the document expands past the node limit."""
        line, col = _pos(event)
        alias = event.anchor if isinstance(event, AliasEvent) else None
        params = {"limit": self.limits.max_nodes, "expanding": alias}
        raise _Stop(Issue("too_many_nodes", line, col, params=params))

    def scalar(self, event: ScalarEvent) -> tuple[Any, str | None, int, int]:
        """A scalar's value (text, unless its form or tag makes it a number, boolean or
        null), the text it was written as when that is not the value, and its place."""
        line, column = _pos(event)
        tag = event.tag
        text = event.value
        if tag is None or tag == "!":
            tag = _resolve(text) if event.implicit[0] and text[:1] in _RESOLVERS else _STR
        if tag == _STR:
            value: Any = text
            raw = None
        else:
            value = self.construct(tag, text, line, column)
            raw = text
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, None, raw, 1)
        return value, raw, line, column

    def construct(self, tag: str, text: str, line: int, col: int) -> Any:
        """A non-text scalar's value."""
        if tag == _MERGE:
            return _MERGE_KEY
        build = _SCALARS.get(tag)
        if build is None:
            raise _Stop(Issue("yaml_tag", line, col, params={"tag": tag}))
        if len(text) > _MAX_NUMBER_CHARS and tag != "tag:yaml.org,2002:binary":
            value = text[:20] + "…"
            raise _Stop(
                Issue("yaml_value", line, col, params={"tag": _short_tag(tag), "value": value})
            )
        try:
            return build(ScalarNode(tag, text))
        except Exception:  # PyYAML raises ValueError, KeyError, binascii.Error... for bad text
            raise _Stop(
                Issue("yaml_value", line, col, params={"tag": _short_tag(tag), "value": text})
            ) from None

    def alias(self, event: AliasEvent) -> _Anchor:
        """A use of an anchor: the same value, counted at its full size."""
        name = event.anchor
        if name in self.open_anchors:
            line, col = _pos(event)
            params = {"alias": name, "anchor_line": self.open_anchors[name]}
            raise _Stop(Issue("recursive_alias", line, col, params=params))
        if name not in self.anchors:
            line, col = _pos(event)
            detail = f"found undefined alias '{name}'"
            raise _Stop(Issue("yaml_syntax", line, col, params=_detail(detail, "alias", None)))
        found = self.anchors[name]
        self.total += found[3]
        if self.total > self.limits.max_nodes:
            self.too_many(event)
        return found

    def start(
        self, event: MappingStartEvent | SequenceStartEvent, stack: list[_MapFrame | _SeqFrame]
    ) -> _MapFrame | _SeqFrame:
        """Open a mapping or a list, within the depth limit."""
        self.total += 1
        if self.total > self.limits.max_nodes:
            self.too_many(event)
        line, col = _pos(event)
        if len(stack) >= self.limits.max_depth:
            raise _Stop(Issue("too_deep", line, col, params={"limit": self.limits.max_depth}))
        is_map = isinstance(event, MappingStartEvent)
        if event.tag not in (None, "!", _MAP if is_map else _SEQ):
            raise _Stop(Issue("yaml_tag", line, col, params={"tag": event.tag}))
        path: Path_ = (*stack[-1].path, _child_key(stack[-1])) if stack else ()
        if event.anchor is not None:
            self.open_anchors[event.anchor] = line
        if is_map:
            return _MapFrame(line, col, path, event.anchor)
        return _SeqFrame(line, col, path, event.anchor)

    def end(self, frame: _MapFrame | _SeqFrame) -> tuple[Any, dict[str, Mark] | list[Mark], int]:
        """Close a mapping or a list; apply merge keys (`<<: *defaults`)."""
        value: Any = frame.value
        marks: dict[str, Mark] | list[Mark] = frame.marks
        if isinstance(frame, _MapFrame) and frame.merges:
            merged: dict[Any, Any] = {}
            merged_marks: dict[str, Mark] = {}
            for source, source_marks in reversed(frame.merges):
                merged.update(source)
                merged_marks.update(source_marks)
            merged.update(frame.value)
            merged_marks.update(frame.marks)
            value, marks = merged, merged_marks
        if frame.anchor is not None:
            self.open_anchors.pop(frame.anchor, None)
            self.anchors[frame.anchor] = (value, marks, None, frame.size)
        return value, marks, frame.size

    def entry(
        self,
        frame: _MapFrame,
        value: Any,
        children: dict[str, Mark] | list[Mark] | None,
        raw: str | None,
    ) -> None:
        """A key and its value, into the mapping being read."""
        key = frame.key
        frame.key = _NO_KEY
        if key is _MERGE_KEY:
            frame.merges.extend(_merge_sources(value, children, frame.key_line, frame.key_column))
            return
        name = key if type(key) is str else str(key)
        marks = frame.marks
        first = marks.get(name)
        if first is not None or key in frame.value:
            first_line = first.line if first is not None else frame.key_line
            self.issues.append(
                Issue(
                    "duplicate_key",
                    frame.key_line,
                    frame.key_column,
                    (*frame.path, name),
                    {"key": name, "first_line": first_line},
                )
            )
            return
        frame.value[key] = _as_value(value)
        marks[name] = Mark(frame.key_line, frame.key_column, children, raw)


def _as_value(value: Any) -> Any:
    """`<<` is a merge only as a key; anywhere else it is the text '<<'."""
    return "<<" if value is _MERGE_KEY else value


def _merge_sources(
    value: Any, children: dict[str, Mark] | list[Mark] | None, line: int, column: int
) -> list[tuple[dict[Any, Any], dict[str, Mark]]]:
    """What a merge key `<<` brings in: one mapping, or a list of mappings."""
    if isinstance(value, dict) and isinstance(children, dict):
        return [(value, children)]
    if isinstance(value, list) and isinstance(children, list):
        sources = [
            (v, m.children)
            for v, m in zip(value, children, strict=True)
            if isinstance(v, dict) and isinstance(m.children, dict)
        ]
        if len(sources) == len(value):
            return sources
    raise _Stop(Issue("yaml_merge", line, column))


def _child_key(frame: _MapFrame | _SeqFrame) -> Key:
    """The path part of the value about to be read in a frame."""
    if isinstance(frame, _SeqFrame):
        return len(frame.value)
    return str(frame.key) if frame.key is not _NO_KEY else "?"


def _resolve(text: str) -> str:
    """The tag of a plain scalar (YAML 1.1 rules, dates left as text)."""
    resolvers = _RESOLVERS.get(text[:1], [])
    wildcard = _RESOLVERS.get(None)
    for tag, regexp in (*resolvers, *wildcard) if wildcard else resolvers:
        if regexp.match(text):
            return tag
    return _STR


def _short_tag(tag: str) -> str:
    """'tag:yaml.org,2002:int' -> '!!int'."""
    return tag.replace("tag:yaml.org,2002:", "!!")


def _pos(event: Event) -> tuple[int, int]:
    """An event's 1-based line and column."""
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _detail(detail: str, explain: str, start: int | None) -> dict[str, Any]:
    return {"detail": detail, "explain": explain, "start": start}


def _syntax_issue(exc: yaml.MarkedYAMLError, text: str, limits: Limits) -> Issue:
    """A parser's complaint, at its place, with a plain-words explanation when known."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    col = mark.column + 1 if mark else None
    start = exc.context_mark.line + 1 if exc.context_mark else None
    detail = " ".join(x for x in (exc.context, exc.problem) if x)
    if "maximum nesting depth" in detail:
        # libyaml looks ahead through '[[[[…' and refuses past its own 1000 levels before
        # our composer sees the 65th: the same limit, hit a little further on.
        return Issue("too_deep", line, col, params={"limit": limits.max_depth})
    explain = next((code for needle, code in _YAML_HINTS if needle in detail), "")
    if explain == "tab" and "tab" not in detail and _char_at(text, mark) != "\t":
        explain = ""
    return Issue(
        "yaml_syntax",
        line,
        col,
        params=_detail(detail, explain, start if start is not None and start != line else None),
    )


def _char_at(text: str, mark: Any) -> str:
    """The character a parser's mark points at."""
    if mark is None:
        return ""
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines) or not 0 <= mark.column < len(lines[mark.line]):
        return ""
    return str(lines[mark.line][mark.column])
