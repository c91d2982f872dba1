"""Telegram's HTML parse mode, as strict as the real one: the visible text and its length,
or the error Telegram gives ("can't parse entities: ...")."""

from __future__ import annotations

import html
import re

SUPPORTED = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    }
)
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(/?)>")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")


class ParseError(ValueError):
    """The text is not valid Telegram HTML."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(text: str) -> tuple[str, list[dict[str, object]]]:
    """The visible text and its entities; ParseError like Telegram's 400."""
    out: list[str] = []
    entities: list[dict[str, object]] = []
    stack: list[tuple[str, int, str]] = []
    pos = 0
    offset = 0  # UTF-16 offset of the visible text so far
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            m = TAG.match(text, pos)
            if m is None:
                raise ParseError(
                    f"can't parse entities: Unclosed start tag at byte offset "
                    f"{len(text[:pos].encode())}"
                )
            closing, name, attrs = m.group(1) == "/", m.group(2).lower(), m.group(3)
            if name not in SUPPORTED:
                kind = "end" if closing else "start"
                raise ParseError(
                    f'can\'t parse entities: Unsupported {kind} tag "{name}" at byte offset '
                    f"{len(text[:pos].encode())}"
                )
            if closing:
                if not stack or stack[-1][0] != name:
                    raise ParseError(
                        f"can't parse entities: Unmatched end tag at byte offset "
                        f'{len(text[:pos].encode())}, expected "</{stack[-1][0] if stack else ""}>", '
                        f'found "</{name}>"'
                    )
                tag, start, tag_attrs = stack.pop()
                etype = {
                    "b": "bold",
                    "strong": "bold",
                    "i": "italic",
                    "em": "italic",
                    "u": "underline",
                    "ins": "underline",
                    "s": "strikethrough",
                    "strike": "strikethrough",
                    "del": "strikethrough",
                    "a": "text_link",
                    "code": "code",
                    "pre": "pre",
                    "span": "spoiler",
                    "tg-spoiler": "spoiler",
                    "blockquote": "blockquote",
                    "tg-emoji": "custom_emoji",
                }[tag]
                if offset > start:
                    entity: dict[str, object] = {
                        "type": etype,
                        "offset": start,
                        "length": offset - start,
                    }
                    if tag == "a":
                        href = re.search(r'href\s*=\s*"([^"]*)"', tag_attrs)
                        entity["url"] = html.unescape(href.group(1)) if href else ""
                    entities.append(entity)
            else:
                stack.append((name, offset, attrs))
            pos = m.end()
            continue
        if ch == ">":
            raise ParseError(
                f"can't parse entities: Unexpected end of name token at byte offset "
                f"{len(text[:pos].encode())}"
            )
        if ch == "&":
            m = ENTITY.match(text, pos)
            if m is None:
                raise ParseError(
                    f"can't parse entities: Unsupported HTML entity at byte offset "
                    f"{len(text[:pos].encode())}"
                )
            decoded = html.unescape(m.group(0))
            out.append(decoded)
            offset += utf16_len(decoded)
            pos = m.end()
            continue
        out.append(ch)
        offset += utf16_len(ch)
        pos += 1
    if stack:
        raise ParseError(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\""
        )
    entities.sort(key=lambda e: (int(str(e["offset"])), -int(str(e["length"]))))
    return "".join(out), entities
