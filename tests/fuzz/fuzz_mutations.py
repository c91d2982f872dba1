"""Seeded mutations of a valid table: what hands, editors, copy-paste and crashes do to a file.

`make_case(seed)` is deterministic: the same seed gives the same source, mutation and text, so a
failing case is reproduced from the seed it prints (`DUBAN_FUZZ_SEED=1234 make fuzz`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from catalogue.valid_table import VALID

from bot.core.yaml_reader import LIMITS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {
    "shipped": (ROOT / "config" / "tasks.yaml").read_text("utf-8"),
    "valid": VALID,
}


@dataclass(frozen=True)
class Case:
    """One mutated table: text (parsed) or bytes (written to a file and loaded)."""

    seed: int
    source: str
    mutation: str
    detail: str
    text: str | None = None
    data: bytes | None = None
    same_as_source: bool = False  # must read exactly as the source does

    def describe(self) -> str:
        """What to print when the case fails."""
        return f"seed={self.seed} source={self.source} mutation={self.mutation}: {self.detail}"


Mutation = Callable[[random.Random, str], tuple[str, str | bytes, bool]]
_KEY_LINE = re.compile(r"^(\s*(?:- )?)([A-Za-z_]+):( *)(.*)$")
_REF_LINE = re.compile(r"^(\s*(?:- )?)(lead|cooperating|owner|section|task):( *)(.*)$")

BAD_DATES = [
    "2022-02-30",
    "9999-12-31",
    "0001-01-01",
    "2022/03/31",
    "昨天",
    "2022-3-31",
    "20220331",
    "2022-03-31T09:00",
    "1989-12-31",
    "2101-01-01",
    "''",
    "[]",
    "2022-W13-4",
]
DEADLINES = [
    "9999年底",
    "0001年底",
    "2025年13月底",
    "尽快",
    "持续推进，",
    "持续推进，9999年底取得阶段成效",
    "2025年底前后",
    "''",
    "[]",
    "{}",
    "2025-02-30",
    "１２３４年底",
    "2023年6月底",
    "持续推进",
    "2024-03-01",
    "2025年上半年",
    "2052年3月31日",
    "2052年4月1日",
    "1990年1月1日",
    "2024年2月29日",
    "2023年2月29日",
    "２０２５年底",
    "持续推进，2030年底取得阶段成效",
    "2025年底。",
    "2025 年 底",
    ".nan",
    "2025",
    "-2025年底",
]
WRONG_VALUES = [
    "[]",
    "{}",
    "123",
    "-1",
    "0",
    ".nan",
    ".inf",
    "-.inf",
    "true",
    "null",
    "~",
    "'x'",
    "0x10",
    "0o17",
    "1.0e+3",
    "[1, 2]",
    "{a: 1}",
    "2022-03-31",
    "!!binary aGVsbG8=",
    "!!float 1",
    "!!str 9",
    "!!int x",
    "!!bool maybe",
    "!custom x",
    "&a x",
    "*a",
    "<<",
    "=",
    "|\n  多行\n  文字",
    ">-\n  折叠",
    "'0311'",
    "1:30",
    "1_000",
    '"\\u0007"',
    '"\\x00"',
    "!!timestamp 2022-01-01",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "? x",
]
NUMBERS = [
    "0",
    "-1",
    "-10",
    "1" + "0" * 30,
    ".nan",
    ".inf",
    str(2**52),
    str(2**52 - 1),
    "1.0e+400",
    "0o17",
    "0x10",
    "1_000",
    "1:30",
    "99999",
    "100000",
    "2.5",
    "1" * 120,
]
CONTROL = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x9f",
    "\ufffe",
    "\uffff",
    "\ud800",
]
SPECIALS = [
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "'",
    '"',
    "#",
    "|",
    ">",
    "&",
    "*",
    "!",
    "%",
    "@",
    "`",
    "?",
    ",",
    "\t",
    "  ",
    "\\",
    "---\n",
    "...\n",
    ": ",
]
NOISE = ["\u3000", "\u200b", "\x85", "\u2028", "\u2029", "\ufeff", "\u00a0", " ", "\r"]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _pick(rng: random.Random, lines: list[str], pattern: re.Pattern[str]) -> int | None:
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    return rng.choice(found) if found else None


def _set_value(
    rng: random.Random, text: str, values: list[str], pattern: re.Pattern[str]
) -> tuple[str, str]:
    lines = _lines(text)
    i = _pick(rng, lines, pattern)
    if i is None:
        return "no line to change", text
    m = pattern.match(lines[i])
    assert m is not None
    value = rng.choice(values)
    lines[i] = f"{m[1]}{m[2]}: {value}"
    return f"line {i + 1}: {m[2]}: {m[4]!r} -> {value!r}", "\n".join(lines)


def delete_lines(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    n = rng.choice([1, 1, 1, 2, 3, 6])
    gone = lines[i : i + n]
    del lines[i : i + n]
    return f"deleted lines {i + 1}-{i + n}: {gone!r}", "\n".join(lines), False


def change_indent(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    delta = rng.choice([-4, -2, -1, 1, 2, 3])
    old = lines[i]
    stripped = old.lstrip(" ")
    indent = max(0, len(old) - len(stripped) + delta)
    lines[i] = " " * indent + stripped
    return f"line {i + 1} indent {delta:+d}: {old!r}", "\n".join(lines), False


def tab_indent(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    lines[i] = "\t" + lines[i].lstrip(" ")
    return f"line {i + 1} indented with a tab", "\n".join(lines), False


def bad_date(rng: random.Random, text: str) -> tuple[str, str, bool]:
    detail, out = _set_value(rng, text, BAD_DATES, re.compile(r"^(\s*)(date):( *)(.*)$"))
    return detail, out, False


def bad_deadline(rng: random.Random, text: str) -> tuple[str, str, bool]:
    pattern = re.compile(r"^(\s*(?:- )?)(deadline|due):( *)(.*)$")
    detail, out = _set_value(rng, text, DEADLINES, pattern)
    return detail, out, False


def misspell_bureau(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = _pick(rng, lines, _REF_LINE)
    if i is None:
        return "no reference", text, False
    line = lines[i]
    spots = [j for j, ch in enumerate(line) if "\u4e00" <= ch <= "\u9fff" or ch.isalnum()]
    j = rng.choice(spots)
    how = rng.choice(["drop", "swap", "add", "space"])
    if how == "drop":
        line = line[:j] + line[j + 1 :]
    elif how == "swap" and j + 1 < len(line):
        line = line[:j] + line[j + 1] + line[j] + line[j + 2 :]
    elif how == "add":
        line = line[:j] + rng.choice("和部局 x") + line[j:]
    else:
        line = line[:j] + " " + line[j:]
    old, lines[i] = lines[i], line
    return f"line {i + 1} ({how}): {old!r} -> {line!r}", "\n".join(lines), False


def wrong_type(rng: random.Random, text: str) -> tuple[str, str, bool]:
    detail, out = _set_value(rng, text, WRONG_VALUES, _KEY_LINE)
    return detail, out, False


def extreme_number(rng: random.Random, text: str) -> tuple[str, str, bool]:
    pattern = re.compile(
        r"^(\s*(?:- )?)(number|telegram_id|target|baseline|baseline_year|version|max_followups"
        r"|digest_weekday|yellow_window_days|catch_up_grace_hours|overdue_every_days):( *)(.*)$"
    )
    detail, out = _set_value(rng, text, NUMBERS, pattern)
    return detail, out, False


def duplicate_key(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = _pick(rng, lines, re.compile(r"^\s+[A-Za-z_]+: \S"))
    if i is None:
        return "no key line", text, False
    lines.insert(i + 1, lines[i])
    return f"line {i + 1} repeated: {lines[i]!r}", "\n".join(lines), False


def duplicate_id(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    ids = [i for i, line in enumerate(lines) if re.match(r"^\s*(?:- )?id: ", line)]
    a, b = rng.sample(ids, 2)
    value = lines[a].split("id: ", 1)[1]
    old, lines[b] = lines[b], lines[b].split("id: ", 1)[0] + "id: " + value
    return f"line {b + 1}: {old!r} takes the id {value!r} of line {a + 1}", "\n".join(lines), False


def duplicate_item(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    starts = [i for i, line in enumerate(lines) if re.match(r"^  - ", line)]
    i = rng.choice(starts)
    j = next((k for k in range(i + 1, len(lines)) if not lines[k].startswith("    ")), len(lines))
    lines[j:j] = lines[i:j]
    return f"list item at line {i + 1} ({j - i} lines) repeated", "\n".join(lines), False


def control_char(rng: random.Random, text: str) -> tuple[str, str, bool]:
    pos = rng.randrange(len(text))
    char = rng.choice(CONTROL)
    return f"U+{ord(char):04X} at offset {pos}", text[:pos] + char + text[pos:], False


def special_char(rng: random.Random, text: str) -> tuple[str, str, bool]:
    pos = rng.randrange(len(text))
    char = rng.choice(SPECIALS)
    return f"{char!r} at offset {pos}", text[:pos] + char + text[pos:], False


def unicode_noise(rng: random.Random, text: str) -> tuple[str, str, bool]:
    pos = rng.randrange(len(text))
    char = rng.choice(NOISE)
    return f"U+{ord(char):04X} at offset {pos}", text[:pos] + char + text[pos:], False


def swap_lines(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    i = rng.randrange(len(lines) - 1)
    lines[i], lines[i + 1] = lines[i + 1], lines[i]
    return f"lines {i + 1} and {i + 2} swapped", "\n".join(lines), False


def anchors(rng: random.Random, text: str) -> tuple[str, str, bool]:
    """Plain, recursive, undefined and exponential anchors and aliases."""
    lines = _lines(text)
    kind = rng.choice(["plain", "plain", "recursive", "undefined", "exponential", "merge"])
    if kind == "exponential":
        fan = rng.choice([3, 9])
        block = [f"x0: &x0 [{', '.join(['lol'] * fan)}]"] + [
            f"x{k}: &x{k} [{', '.join([f'*x{k - 1}'] * fan)}]" for k in range(1, 9)
        ]
        at = rng.randrange(len(lines))
        lines[at:at] = block
        return f"exponential aliases (fan {fan}) at line {at + 1}", "\n".join(lines), False
    i = _pick(rng, lines, _KEY_LINE)
    assert i is not None
    m = _KEY_LINE.match(lines[i])
    assert m is not None
    if kind == "recursive":
        value = rng.choice(["&r [*r]", "&r {a: *r}", "&r [1, [2, *r]]"])
        lines[i] = f"{m[1]}{m[2]}: {value}"
    elif kind == "undefined":
        lines[i] = f"{m[1]}{m[2]}: *nowhere"
    elif kind == "merge":
        lines[i] = f"{m[1]}<<: {rng.choice(['{}', '*nowhere', '[1]', '{title: x}', 'x'])}"
    else:
        later = [k for k in range(i + 1, len(lines)) if _KEY_LINE.match(lines[k])]
        if not later or not m[4].strip():
            return "no value to alias", text, False
        k = rng.choice(later)
        mk = _KEY_LINE.match(lines[k])
        assert mk is not None
        lines[i] = f"{m[1]}{m[2]}: &v {m[4]}"
        lines[k] = f"{mk[1]}{mk[2]}: *v"
        return f"{kind}: line {k + 1} aliases line {i + 1}", "\n".join(lines), False
    return f"{kind}: line {i + 1} -> {lines[i]!r}", "\n".join(lines), False


def deep_nesting(rng: random.Random, text: str) -> tuple[str, str, bool]:
    depth = rng.choice([5, 58, 60, 64, 65, 1000, 50_000])
    style = rng.choice(["flow", "block"])
    lines = _lines(text)
    i = _pick(rng, lines, _KEY_LINE)
    assert i is not None
    m = _KEY_LINE.match(lines[i])
    assert m is not None
    if style == "flow":
        lines[i] = f"{m[1]}{m[2]}: {'[' * depth}x{']' * depth}"
    else:
        indent = len(m[1])
        nested = [" " * (indent + 2 + 2 * k) + "- " for k in range(min(depth, 500))]
        lines[i : i + 1] = [f"{m[1]}{m[2]}:", *nested]
    return f"{style} nesting {depth} deep at line {i + 1}", "\n".join(lines), False


def bom(rng: random.Random, text: str) -> tuple[str, str | bytes, bool]:
    if rng.random() < 0.5:
        return "BOM as text", "\ufeff" + text, True
    return "BOM as bytes", b"\xef\xbb\xbf" + text.encode(), True


def crlf(rng: random.Random, text: str) -> tuple[str, str | bytes, bool]:
    if rng.random() < 0.5:
        return "CRLF line ends", text.replace("\n", "\r\n"), True
    return "CRLF line ends, as bytes", text.replace("\n", "\r\n").encode(), True


def comments(rng: random.Random, text: str) -> tuple[str, str, bool]:
    lines = _lines(text)
    at = sorted(rng.sample(range(len(lines)), 3), reverse=True)
    for i in at:
        lines.insert(i, "# 管理员的注释：不影响内容")
    return f"comments before lines {sorted(at)}", "\n".join(lines), True


def truncate(rng: random.Random, text: str) -> tuple[str, str | bytes, bool]:
    raw = text.encode()
    cut = rng.randrange(len(raw))
    if rng.random() < 0.5:
        return f"bytes cut at {cut} of {len(raw)} (a save caught half-way)", raw[:cut], False
    pos = rng.randrange(len(text))
    return f"text cut at {pos} of {len(text)}", text[:pos], False


def binary_garbage(rng: random.Random, text: str) -> tuple[str, bytes, bool]:
    raw = bytearray(text.encode())
    if rng.random() < 0.3:
        junk = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4096)))
        return f"{len(junk)} random bytes", junk, False
    for _ in range(rng.randrange(1, 20)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return "random bytes overwritten", bytes(raw), False


def huge(rng: random.Random, text: str) -> tuple[str, str | bytes, bool]:
    kind = rng.choice(["over", "comment", "scalar", "items"])
    if kind == "over":
        filler = "# " + "填" * (LIMITS.max_bytes // 3) + "\n"
        return "over the size limit", text + filler, False
    if kind == "comment":
        return "a 2 MB comment", text + "# " + "x" * 2_000_000 + "\n", True
    if kind == "scalar":
        lines = _lines(text)
        i = next(k for k, line in enumerate(lines) if line.startswith("    title: "))
        lines[i] = "    title: " + "长" * 500_000
        return f"a 500,000-character title at line {i + 1}", "\n".join(lines), False
    lines = _lines(text)
    i = next(k for k, line in enumerate(lines) if line.startswith("    aliases:"))
    kept = lines[i].split(":", 1)[1].strip().strip("[]")
    many = [f"      - {a.strip()}" for a in kept.split(",") if a.strip()]
    many += [f"      - 别名{k}" for k in range(20_000)]
    lines[i : i + 1] = ["    aliases:", *many]
    out = "\n".join(lines)
    return "20,000 aliases", out, False


MUTATIONS: dict[str, Callable[[random.Random, str], tuple[str, str | bytes, bool]]] = {
    "delete_lines": delete_lines,
    "change_indent": change_indent,
    "tab_indent": tab_indent,
    "bad_date": bad_date,
    "bad_deadline": bad_deadline,
    "misspell_bureau": misspell_bureau,
    "wrong_type": wrong_type,
    "extreme_number": extreme_number,
    "duplicate_key": duplicate_key,
    "duplicate_id": duplicate_id,
    "duplicate_item": duplicate_item,
    "control_char": control_char,
    "special_char": special_char,
    "unicode_noise": unicode_noise,
    "swap_lines": swap_lines,
    "anchors": anchors,
    "deep_nesting": deep_nesting,
    "bom": bom,
    "crlf": crlf,
    "comments": comments,
    "truncate": truncate,
    "binary_garbage": binary_garbage,
    "huge": huge,
}
_NAMES = sorted(MUTATIONS)


def make_case(seed: int) -> Case:
    """The case for a seed: the mutation cycles with the seed, the rest is drawn from it."""
    rng = random.Random(seed)
    name = _NAMES[seed % len(_NAMES)]
    source = rng.choice(sorted(SOURCES))
    text = SOURCES[source]
    rounds = 1 if rng.random() < 0.8 else rng.randrange(2, 4)  # sometimes a few at once
    details: list[str] = []
    out: str | bytes = text
    same = True
    for r in range(rounds):
        mutation = MUTATIONS[name if r == 0 else rng.choice(_NAMES)]
        if isinstance(out, bytes):
            break
        detail, out, keeps = mutation(rng, out)
        details.append(detail)
        same = same and keeps
    if isinstance(out, bytes):
        return Case(seed, source, name, "; ".join(details), data=out, same_as_source=same)
    return Case(seed, source, name, "; ".join(details), text=out, same_as_source=same)
