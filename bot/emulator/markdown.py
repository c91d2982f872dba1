"""Telegram's MarkdownV2 and legacy Markdown, strictly: the emulator's 400 for text that
does not parse."""

from __future__ import annotations

from typing import Any

from bot.emulator.html import ParseError, utf16_len

# -- MarkdownV2 (a strict subset: the markers, escapes and reserved characters)

MD_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
MD_NAMES = {
    "*": ("bold", "Bold"),
    "_": ("italic", "Italic"),
    "__": ("underline", "Underline"),
    "~": ("strikethrough", "Strikethrough"),
    "||": ("spoiler", "Spoiler"),
    "[": ("text_link", "TextUrl"),
}


def parse_markdown(text: str, *, legacy: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's MarkdownV2 (or, with `legacy`, the old Markdown): the visible text and its
    entities, or ParseError ("can't parse entities: ...") like Telegram's 400.

    Supported: *bold* _italic_ __underline__ ~strike~ ||spoiler|| [text](url) `code`
    ```lang pre``` and > quotes at line starts; `\\` escapes any ASCII character, and in
    MarkdownV2 every other reserved character must be escaped.
    """
    out: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, int]] = []  # (marker, visible offset, byte offset)
    offset = 0
    i = 0
    n = len(text)
    quote: int | None = None

    def at(pos: int) -> int:
        return len(text[:pos].encode())

    def emit(chunk: str) -> None:
        nonlocal offset
        out.append(chunk)
        offset += utf16_len(chunk)

    def entity(kind: str, start: int, **extra: Any) -> None:
        if offset > start:
            entities.append({"type": kind, "offset": start, "length": offset - start, **extra})

    def fail(message: str) -> ParseError:
        return ParseError(f"can't parse entities: {message}")

    def code_until(opening: int, fence: str) -> tuple[str, int]:
        """The escaped content from the opening fence at `opening` up to the closing one,
        and the index after it."""
        chunk: list[str] = []
        pos = opening + len(fence)
        while pos < n:
            if text.startswith(fence, pos):
                return "".join(chunk), pos + len(fence)
            if text[pos] == "\\" and pos + 1 < n and text[pos + 1] in "`\\":
                chunk.append(text[pos + 1])
                pos += 2
                continue
            chunk.append(text[pos])
            pos += 1
        name = "Pre" if fence == "```" else "Code"
        raise fail(f"Can't find end of {name} entity at byte offset {at(opening)}")

    markers = ("*", "_") if legacy else ("__", "||", "*", "_", "~")
    while i < n:
        ch = text[i]
        line_start = i == 0 or text[i - 1] == "\n"
        if (
            ch == "\\"
            and i + 1 < n
            and (text[i + 1] in "_*`[" if legacy else 1 <= ord(text[i + 1]) <= 126)
        ):
            emit(text[i + 1])
            i += 2
            continue
        if ch == ">" and line_start and not legacy:
            if quote is None:
                quote = offset
            i += 1
            continue
        if ch == "\n" and quote is not None and not text.startswith(">", i + 1):
            entity("blockquote", quote)
            quote = None
        if ch == "`":
            start = offset
            if text.startswith("```", i):
                body, i = code_until(i, "```")
                first, sep, rest = body.partition("\n")
                language = (
                    first.strip() if sep and first.strip() and " " not in first.strip() else ""
                )
                emit(rest if language else body)
                if language:
                    entity("pre", start, language=language)
                else:
                    entity("pre", start)
            else:
                body, i = code_until(i, "`")
                emit(body)
                entity("code", start)
            continue
        marker = next((m for m in markers if text.startswith(m, i)), None)
        if marker is not None:
            if stack and stack[-1][0] == marker:
                _, start, _ = stack.pop()
                entity(MD_NAMES[marker][0], start)
            else:
                stack.append((marker, offset, at(i)))
            i += len(marker)
            continue
        if ch == "[":
            stack.append(("[", offset, at(i)))
            i += 1
            continue
        if ch == "]" and stack and stack[-1][0] == "[":
            _, start, byte = stack.pop()
            if not text.startswith("(", i + 1):
                if legacy:
                    emit("")  # legacy Markdown: "[text]" without a URL stays plain text
                    i += 1
                    continue
                raise fail(f"Can't find end of a URL for TextUrl entity at byte offset {byte}")
            url: list[str] = []
            j = i + 2
            while j < n and text[j] != ")":
                if text[j] == "\\" and j + 1 < n and text[j + 1] in ")\\":
                    j += 1
                url.append(text[j])
                j += 1
            if j >= n:
                raise fail(f"Can't find end of a URL at byte offset {at(i + 2)}")
            entity("text_link", start, url="".join(url))
            i = j + 1
            continue
        if not legacy and ch in MD_RESERVED:
            raise fail(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
        emit(ch)
        i += 1
    if stack:
        marker, _, byte = stack[-1]
        raise fail(f"Can't find end of {MD_NAMES[marker][1]} entity at byte offset {byte}")
    if quote is not None:
        entity("blockquote", quote)
    entities.sort(key=lambda e: (int(e["offset"]), -int(e["length"])))
    return "".join(out), entities
