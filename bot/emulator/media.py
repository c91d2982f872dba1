"""Images for the emulator: the size of a PNG or JPEG, and the smaller copies Telegram
makes of a photo a user sends (a message's `photo` is a list of sizes, largest last).

The copies are plain grey PNGs of the right dimensions (the emulator has no image
library); the largest size is the original bytes, so a bot downloading it gets exactly
what the user sent.
"""

from __future__ import annotations

import struct
import zlib

# Telegram's photo sizes: the longest side of the 's', 'm', 'x', 'y' copies.
THUMB_SIDES = (90, 320, 800, 1280)
# Start-of-frame markers of baseline, progressive and other JPEG codings (not DHT/JPG/DAC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, or None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return int(width), int(height)
        pos += 2 + length
    return None


def grey_png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size (8-bit greyscale)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = (b"\x00" + b"\x80" * width) * height
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def photo_copies(data: bytes, width: int, height: int) -> list[tuple[bytes, int, int]]:
    """(bytes, width, height) of each size of a photo, smallest first, the original last.

    A copy is made for each of Telegram's sides shorter than the photo's longest side,
    and kept only while it is smaller in bytes than the next one (sizes increase).
    """
    longest = max(width, height)
    copies: list[tuple[bytes, int, int]] = []
    for side in THUMB_SIDES:
        if side >= longest:
            break
        w = max(1, round(width * side / longest))
        h = max(1, round(height * side / longest))
        copies.append((grey_png(w, h), w, h))
    copies.append((data, width, height))
    increasing: list[tuple[bytes, int, int]] = []
    for copy in reversed(copies):
        if not increasing or len(copy[0]) < len(increasing[-1][0]):
            increasing.append(copy)
    return increasing[::-1]
