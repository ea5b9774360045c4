"""Subscriber lists as CSV: writing an export and reading an import file. No database writes.

Export cells that a spreadsheet would run as a formula are neutralised, also where a spreadsheet
splitting on another separator would see a cell start. An import file is read
whole and checked before anything is stored, so a bad file is refused with the line numbers of
its bad rows instead of being half imported.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress, address_parse

# Spreadsheets run a cell starting with these as a formula (=, +, -, @) or strip them to reach
# one (tab, CR); OWASP's "CSV injection" advice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a cell inside one of ours: the file is comma separated, but one
# set to split on semicolons (Excel in much of Europe) or tabs splits "zz;=1+3" into "zz" and
# the formula "=1+3", quoting or not (a quote counts only at the start of a field); a line
# break starts a row. Quotes and spaces after such a place may be skipped on the way to the
# cell's first character. A formula character there gets the same quote as at the start.
_CELL_START = re.compile(r"""(\A|[,;\t\r\n])([" ]*)(?=[=+\-@\t\r])""")
EXPORT_COLUMNS = (
    "email",
    "status",
    "frequency",
    "paused",
    "topics",
    "created_at",
    "confirmed_at",
    "unsubscribed_at",
)
DELIMITERS = (",", ";", "\t")  # comma first; semicolon is what Excel writes in many locales
MAX_ERRORS_SHOWN = 50


def neutralise(value: str) -> str:
    """Put a single quote before a formula character wherever a spreadsheet may start a cell:
    at the start, and after a comma, semicolon, tab or line break (see ``_CELL_START``)."""
    return _CELL_START.sub(lambda start: start.group(1) + start.group(2) + "'", value)


def _unneutralise(value: str) -> str:
    """Read back a cell this module exported: drop the quote added in front of a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


class _Line:
    """A file-like object whose write returns the line, for streaming ``csv.writer`` output."""

    def write(self, value: str) -> str:
        return value


def _date(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def export_row(subscriber: Subscriber) -> list[str]:
    topics = "; ".join(sorted(topic.name for topic in subscriber.topics.all()))
    return [
        subscriber.email,
        subscriber.status,
        subscriber.frequency,
        "yes" if subscriber.paused else "no",
        topics,
        _date(subscriber.created_at),
        _date(subscriber.confirmed_at),
        _date(subscriber.unsubscribed_at),
    ]


def export_lines(subscribers: Iterable[Subscriber]) -> Iterator[str]:
    """The CSV file, one line at a time: the header, then a row per subscriber."""
    # Every cell quoted: one holding a ";" stays one cell for a reader that splits on ";".
    writer = csv.writer(_Line(), lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    yield writer.writerow(EXPORT_COLUMNS)
    for subscriber in subscribers:
        yield writer.writerow([neutralise(cell) for cell in export_row(subscriber)])


# --- Import ---------------------------------------------------------------------------------------


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message is safe to show to the editor."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    key: str
    frequency: Subscriber.Frequency | None


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message}"


@dataclass
class ParsedImport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: int = 0  # rows repeating an address already seen earlier in the file


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFileError(f"Line {line}: the file contains NUL bytes; it is not a CSV file.")
    try:
        # utf-8-sig drops the byte order mark Excel puts in front of "CSV UTF-8" files.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"Line {line}: the file is not UTF-8 text. Save it as “CSV UTF-8” and try again."
        ) from None


def _columns(header: list[str]) -> dict[str, int]:
    names = [name.strip().lower() for name in header]
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise ImportFileError(f"Line 1: the column {repeated[0]!r} appears more than once.")
    return {name: index for index, name in enumerate(names) if name}


def _delimiter(first_line: str) -> str:
    """The delimiter whose split of the header yields an ``email`` column."""
    for delimiter in DELIMITERS:
        names = next(csv.reader([first_line], delimiter=delimiter), [])
        if "email" in (name.strip().lower() for name in names):
            return delimiter
    shown = first_line[:80] + ("…" if len(first_line) > 80 else "")
    raise ImportFileError(
        "Line 1: no “email” column. The first line must name the columns, separated by "
        f"commas (for example “email,frequency”); it reads {shown!r}."
    )


def _frequency(raw: str) -> Subscriber.Frequency | None:
    value = raw.strip().lower()
    if not value:
        return None
    if value not in Subscriber.Frequency.values:
        raise InvalidAddress(f"frequency must be daily or weekly, not {raw[:20]!r}.")
    return Subscriber.Frequency(value)


def parse_import(data: bytes, *, max_bytes: int, max_rows: int) -> ParsedImport:
    """Read and check an uploaded file: a header with an ``email`` column (``frequency``
    optional, other columns ignored), then one subscriber per row.

    Raises ``ImportFileError`` for a file that cannot be read at all; bad rows are returned in
    ``errors`` with their line numbers, for the caller to refuse or skip.
    """
    if len(data) > max_bytes:
        raise ImportFileError(f"The file is larger than {max_bytes // 1000:,} kB.")
    text = _decode(data)
    if not text.strip():
        raise ImportFileError("The file is empty.")
    # Only CR and LF end a line in CSV (str.splitlines would also split on form feeds and
    # Unicode separators inside a cell).
    first_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    # strict: an unclosed quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    parsed = ParsedImport()
    seen: set[str] = set()
    try:
        columns = _columns(next(reader))
        email_at, frequency_at = columns["email"], columns.get("frequency")
        start = reader.line_num + 1
        for cells in reader:
            # A record may span lines (a quoted line break): report the line where it starts.
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are common at the end of hand-made files
            if len(parsed.rows) + len(parsed.errors) + parsed.duplicates >= max_rows:
                raise ImportFileError(f"The file has more than {max_rows:,} rows.")
            try:
                raw = _unneutralise(cells[email_at]) if email_at < len(cells) else ""
                address = address_parse(raw)
                frequency = (
                    _frequency(cells[frequency_at])
                    if frequency_at is not None and frequency_at < len(cells)
                    else None
                )
            except InvalidAddress as exc:
                parsed.errors.append(RowError(line, str(exc)))
                continue
            if address.key in seen:
                parsed.duplicates += 1
                continue
            seen.add(address.key)
            parsed.rows.append(ImportRow(line, address.email, address.key, frequency))
    except csv.Error as exc:
        # An unclosed quote or a cell beyond the csv module's size limit: the rest of the file
        # cannot be trusted to line up, so the file as a whole is refused.
        raise ImportFileError(f"Line {reader.line_num}: not valid CSV ({exc}).") from None
    return parsed
