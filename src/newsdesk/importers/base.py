"""What every importer shares: the error type, size limits, decoding and field checks."""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from newsdesk.markup import markdown_to_html, sanitize_html
from newsdesk.news.services import ArticleInput, AuthorInput
from newsdesk.newsletter.subscriptions.member_imports import ImportedMember

# A news archive file larger than this is almost certainly a mistake (or an attack); split it.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TITLE_CHARS = 255
MAX_DEK_CHARS = 300
MAX_DESCRIPTION_CHARS = 1000  # Wagtail's search_description is a text field; Ghost allows 500
MAX_ALT_CHARS = 250  # ArticlePage.featured_image_alt
MAX_BIO_CHARS = 5000  # Ghost allows 200; room for other sources' longer ones
MAX_BODY_CHARS = 1_000_000
MAX_NAMES = 20
# Every article of a run is parsed, and held, before the first is written (so that a bad file
# imports nothing). 64 MB of tiny JSON Lines records are 1.7 million articles: 200 s and 1.1 GB
# to parse; this limit keeps a run to about 12 s and 70 MB of parsing, and one transaction sane.
MAX_ARTICLES = 100_000
MAX_ID_CHARS = 255  # the column's size (ArticlePage.import_external_id)
# Dates outside these years are typos ("0224", "20224"), and the ends of Python's calendar
# (years 1 and 9999) overflow when an offset moves them to UTC. 1600 leaves room for digitised
# archives of the first printed newspapers; nothing is scheduled further ahead than 2200.
FIRST_YEAR = 1600
LAST_YEAR = 2200

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# C0 and C1 control characters (Unicode category Cc). C1's U+009B is a terminal's CSI, so a
# title holding one could drive the operator's terminal when ``--verbosity 2`` prints it.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with every character that is not printable shown as its escape (``\\x1b``).

    Messages quote file names and pieces of the input: an escape sequence in either would
    otherwise reach the operator's terminal, and a lone surrogate could not be written out.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class ImportFailure(Exception):
    """A malformed input, reported as ``file:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(printable(f"{where}: {message}"))


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    format: str
    articles: list[ArticleInput]
    # What the operator should know about a file that imported (lines dropped as page
    # furniture); the command prints them with the file's name.
    remarks: tuple[str, ...] = ()
    # What the file held that was left out or changed, for the report ("page not imported").
    notes: Counter[str] = field(default_factory=Counter)
    # Plain pages ("About", "Contact") of sources that have them, described like articles.
    pages: list[ArticleInput] = field(default_factory=list)
    # What the source says of its authors beyond their names (Ghost's bios and portraits).
    authors: list[AuthorInput] = field(default_factory=list)
    # The source's subscribers (Ghost members, Substack's email list), already checked.
    members: list[ImportedMember] = field(default_factory=list)
    # The platform's name, for the consent records of its members ("imported from Ghost").
    platform: str = ""
    # Items the parser would not take, by (kind, reason): ("subscribers", "address not valid").
    refused: Counter[tuple[str, str]] = field(default_factory=Counter)


def read_bytes(path: Path) -> bytes:
    """At most ``MAX_FILE_BYTES`` of the file; an input longer than that is refused.

    The size is not taken on trust from ``stat``: a pipe, a FIFO or a device such as /dev/zero
    reports 0 and may never end, and a file can grow between a stat and a read. Reading one
    byte past the limit tells an over-long input apart while holding no more than that.
    """
    limit = MAX_FILE_BYTES
    try:
        with path.open("rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISREG(info.st_mode) and info.st_size > limit:
                raise ImportFailure(
                    path, None, f"file is {info.st_size:,} bytes; the limit is {limit:,} (split it)"
                )
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise ImportFailure(
            path, None, f"input is longer than the limit of {limit:,} bytes (split it)"
        )
    return raw


def _line_at(raw: bytes, offset: int) -> int:
    """The line number of a byte offset, counting CR, LF and CRLF as the parsers do."""
    return len(_LINE_BREAK.findall(raw, 0, offset)) + 1


def read_text(path: Path, *, expected: str = "") -> str:
    """The file as text: UTF-8 (a BOM is allowed), with a line number for undecodable bytes.

    ``expected``, when given, describes the layout the file's format needs; an empty file's
    message ends with it, so the operator learns what to put in.
    """
    raw = read_bytes(path)
    # The BOM is cut off before decoding so that the error offset below counts in ``raw``;
    # decoding with "utf-8-sig" reports offsets without the BOM's 3 bytes (wrong line numbers).
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_at(raw, exc.start)
        raise ImportFailure(path, line, "not valid UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        line = _line_at(raw, raw.index(b"\x00"))
        raise ImportFailure(path, line, "contains NUL bytes: this is not a text file")
    if not text.strip():
        message = f"the file is empty; {expected}" if expected else "the file is empty"
        raise ImportFailure(path, None, message)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def check_text(value: str, *, field: str, path: Path | str, line: int | None) -> str:
    """Refuse a lone UTF-16 surrogate (``"\\ud800"`` in JSON or YAML escapes).

    It is not a character: PostgreSQL refuses it, SQLite's driver and nh3 cannot encode it,
    and it cannot be printed. Encoding finds one at C speed, also in a megabyte of body text.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = ascii(value[exc.start])[1:-1]
        raise ImportFailure(
            path,
            line,
            f"{field!r} contains {bad}, half of a UTF-16 surrogate pair, which is not a "
            "character: write the character itself, or both halves of its \\u escape",
        ) from None
    return value


def clean_line(
    value: Any,
    *,
    field: str,
    path: Path | str,
    line: int | None,
    limit: int,
    required: bool = False,
) -> str:
    """A one-line text field: whitespace folded, control characters refused, length checked."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ImportFailure(path, line, f"{field!r} must be text, not {type(value).__name__}")
    text = " ".join(check_text(value, field=field, path=path, line=line).split())
    control = _CONTROL.search(text)
    if control:
        raise ImportFailure(
            path,
            line,
            f"{field!r} contains control characters ({ascii(control.group())[1:-1]} at "
            f"character {control.start() + 1}); remove them",
        )
    if required and not text:
        raise ImportFailure(path, line, f"{field!r} is missing or empty")
    if len(text) > limit:
        raise ImportFailure(
            path, line, f"{field!r} is {len(text)} characters; the limit is {limit}"
        )
    return text


def clean_names(value: Any, *, field: str, path: Path | str, line: int | None) -> tuple[str, ...]:
    """Tags or authors: a list of names, or one comma-separated string."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise ImportFailure(path, line, f"{field!r} must be a list of names")
    if len(value) > MAX_NAMES:
        raise ImportFailure(
            path, line, f"{field!r} has {len(value)} names; the limit is {MAX_NAMES}"
        )
    names: list[str] = []
    for item in value:
        name = clean_line(item, field=field, path=path, line=line, limit=80)
        if name and name.lower() not in {n.lower() for n in names}:
            names.append(name)
    return tuple(names)


def clean_id(value: Any, *, path: Path | str, line: int | None) -> str:
    """An external id: text, or a whole number (JSON and YAML write numeric ids unquoted).

    Anything else would be stored as its Python spelling: ``1.10`` as "1.1", ``yes`` as
    "True". A huge number is refused before ``str()``, which raises ValueError past 4,300
    digits (Python's guard against quadratic int-to-text conversion).
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ImportFailure(path, line, "'id' must be text or a whole number (put it in quotes)")
    if isinstance(value, int):
        if abs(value) >= 10**MAX_ID_CHARS:
            raise ImportFailure(
                path, line, f"'id' is a number longer than the limit of {MAX_ID_CHARS} digits"
            )
        value = str(value)
    return clean_line(value, field="id", path=path, line=line, limit=MAX_ID_CHARS)


def clean_date(value: Any, *, field: str, path: Path | str, line: int | None) -> datetime | None:
    """ISO 8601 date or date-time; a time without zone is read in the site's TIME_ZONE."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ImportFailure(
                path, line, f"{field!r} is not an ISO 8601 date: {value[:40]!r}"
            ) from None
    else:
        raise ImportFailure(path, line, f"{field!r} must be an ISO 8601 date")
    # Checked before any conversion between zones, which is where years 1 and 9999 overflow.
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ImportFailure(
            path,
            line,
            f"{field!r} is in the year {parsed.year}; dates must fall in the years "
            f"{FIRST_YEAR} to {LAST_YEAR} (check the year)",
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # In UTC: Python allows offsets up to ±23:59 but PostgreSQL only to ±15:59 ("time zone
    # displacement out of range" when the value is written).
    return parsed.astimezone(UTC)


def clean_slug(value: Any, *, path: Path | str, line: int | None) -> str:
    text = clean_line(value, field="slug", path=path, line=line, limit=200)
    return slugify(text)


def with_identity(article: ArticleInput) -> ArticleInput:
    """Give an article without an id or a slug the headline's slug, to match re-imports by.

    Without it, importing the same file twice created every such article twice. Articles with
    an id keep an empty slug, so that an edited headline does not change a published URL.
    """
    if article.slug or article.external_id:
        return article
    return replace(article, slug=slugify(article.title)[:200].strip("-"))


def check_body(html: str, *, path: Path | str, line: int | None) -> str:
    if len(html) > MAX_BODY_CHARS:
        raise ImportFailure(path, line, f"body is longer than {MAX_BODY_CHARS:,} characters")
    if not html.strip():
        raise ImportFailure(path, line, "the article has no body text")
    return html


def html_body(source: str, *, path: Path | str, line: int | None) -> str:
    """HTML body text, sanitised as every import's, checked before and after."""
    check_text(source, field="body_html", path=path, line=line)
    if len(source) > MAX_BODY_CHARS:
        raise ImportFailure(
            path, line, f"body is longer than {MAX_BODY_CHARS:,} characters (split the article)"
        )
    return check_body(sanitize_html(source).strip(), path=path, line=line)


_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>\n?")
_H1 = re.compile(r"<(/?)h1(?=[\s>])", re.IGNORECASE)
_H5_H6 = re.compile(r"<(/?)h[56](?=[\s>])", re.IGNORECASE)


def platform_body(html: str) -> str:
    """HTML another platform rendered (Ghost, Substack), as a newsdesk body: headings moved
    into h2 to h4 (the page's one h1 is the headline), sanitised with its pictures kept for
    the run (``newsdesk.importers.figures``), and the empty paragraphs editors leave dropped."""
    html = _H5_H6.sub(r"<\1h4", _H1.sub(r"<\1h2", html))
    return _EMPTY_PARAGRAPH.sub("", sanitize_html(html, keep_images=True)).strip()


def render_body(source: str, *, path: Path, line: int | None) -> str:
    """Markdown body text to checked, sanitised HTML.

    The length is checked before rendering: hostile Markdown ("[a](" repeated) costs
    markdown-it about 7 µs a character, so a 64 MB body would take minutes only to be refused.
    """
    check_text(source, field="body", path=path, line=line)
    if len(source) > MAX_BODY_CHARS:
        raise ImportFailure(
            path, line, f"body is longer than {MAX_BODY_CHARS:,} characters (split the article)"
        )
    return check_body(markdown_to_html(source), path=path, line=line)
