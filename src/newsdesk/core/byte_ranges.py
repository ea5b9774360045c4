"""Reading an HTTP ``Range`` header (RFC 9110 section 14) for a file of known size.

One range is served as 206. Several ranges in one header are answered with the whole file
(200), which the RFC allows: a multipart/byteranges body would be code for a case no browser or
media player needs, and an easy way to ask for the same bytes many times over.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# Longer headers are not honoured: a range of a file on disk needs a few dozen characters, and
# int() of a huge run of digits is slow.
MAX_HEADER_LENGTH = 200


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as in Content-Range

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class RangeAnswer(enum.Enum):
    WHOLE = "whole"  # no range, one we do not understand, or several: 200 with everything
    UNSATISFIABLE = "unsatisfiable"  # 416


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def requested_range(header: str | None, size: int) -> ByteRange | RangeAnswer:
    """What to send of a ``size``-byte file for this ``Range`` header."""
    if not header or len(header) > MAX_HEADER_LENGTH:
        return RangeAnswer.WHOLE
    unit, equals, specs = header.partition("=")
    if not equals or unit.strip().lower() != "bytes" or "," in specs:
        return RangeAnswer.WHOLE
    first_text, dash, last_text = specs.partition("-")
    if not dash:
        return RangeAnswer.WHOLE
    first, last = _number(first_text), _number(last_text)
    if first_text.strip() and first is None:
        return RangeAnswer.WHOLE
    if first is None:
        if last is None:
            return RangeAnswer.WHOLE
        # "-N": the last N bytes; the last zero bytes of anything is nothing to send.
        if last == 0 or size == 0:
            return RangeAnswer.UNSATISFIABLE
        return ByteRange(max(0, size - last), size - 1)
    if last_text.strip() and (last is None or last < first):
        return RangeAnswer.WHOLE  # not a valid range: ignored, as the RFC says
    if first >= size:
        return RangeAnswer.UNSATISFIABLE
    return ByteRange(first, size - 1 if last is None else min(last, size - 1))
