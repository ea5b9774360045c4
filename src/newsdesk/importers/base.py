"""What every importer shares: the error type, size limits, decoding and field checks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.text import slugify

from newsdesk.news.services import ArticleInput

# A news archive file larger than this is almost certainly a mistake (or an attack); split it.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_TITLE_CHARS = 255
MAX_DEK_CHARS = 300
MAX_BODY_CHARS = 1_000_000
MAX_NAMES = 20


class ImportFailure(Exception):
    """A malformed input, reported as ``file:line: message``."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ParsedFile:
    path: Path
    format: str
    articles: list[ArticleInput]


def read_text(path: Path) -> str:
    """The file as text: UTF-8 (a BOM is allowed), with a line number for undecodable bytes."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot read the file: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ImportFailure(
            path, None, f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,} (split it)"
        )
    raw = path.read_bytes()
    # The BOM is cut off before decoding so that the error offset below counts in ``raw``;
    # decoding with "utf-8-sig" reports offsets without the BOM's 3 bytes (wrong line numbers).
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFailure(path, line, "not valid UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFailure(path, line, "contains NUL bytes: this is not a text file")
    if not text.strip():
        raise ImportFailure(path, None, "the file is empty")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_line(
    value: Any, *, field: str, path: Path, line: int | None, limit: int, required: bool = False
) -> str:
    """A one-line text field: whitespace folded, control characters refused, length checked."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ImportFailure(path, line, f"{field!r} must be text, not {type(value).__name__}")
    text = " ".join(value.split())
    if any(ord(ch) < 32 for ch in text):
        raise ImportFailure(path, line, f"{field!r} contains control characters")
    if required and not text:
        raise ImportFailure(path, line, f"{field!r} is missing or empty")
    if len(text) > limit:
        raise ImportFailure(
            path, line, f"{field!r} is {len(text)} characters; the limit is {limit}"
        )
    return text


def clean_names(value: Any, *, field: str, path: Path, line: int | None) -> tuple[str, ...]:
    """Tags or authors: a list of names, or one comma-separated string."""
    if value in (None, ""):
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


def clean_date(value: Any, *, field: str, path: Path, line: int | None) -> datetime | None:
    """ISO 8601 date or date-time; a time without zone is read in the site's TIME_ZONE."""
    if value in (None, ""):
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
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def clean_slug(value: Any, *, path: Path, line: int | None) -> str:
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


def check_body(html: str, *, path: Path, line: int | None) -> str:
    if len(html) > MAX_BODY_CHARS:
        raise ImportFailure(path, line, f"body is longer than {MAX_BODY_CHARS:,} characters")
    if not html.strip():
        raise ImportFailure(path, line, "the article has no body text")
    return html
