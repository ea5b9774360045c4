"""JSON Lines: one article per line with ``title`` and Markdown ``body`` (or ``body_html``,
sanitised HTML, as ``newsdesk export --format jsonl`` writes); optional ``seo_title``, ``dek``,
``slug``, ``published`` (ISO 8601), ``tags``, ``authors`` and ``id`` (external id)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newsdesk.importers.base import (
    MAX_ARTICLES,
    MAX_DEK_CHARS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    clean_date,
    clean_id,
    clean_line,
    clean_names,
    clean_slug,
    html_body,
    read_text,
    render_body,
    with_identity,
)
from newsdesk.news.services import ArticleInput

KNOWN_KEYS = frozenset(
    {
        "id",
        "title",
        "body",
        "body_html",
        "seo_title",
        "dek",
        "slug",
        "published",
        "tags",
        "authors",
        "topic",
    }
)
MAX_KEYS_SHOWN = 10


class LongNumber:
    """A JSON number with more digits than any field takes, kept as its length only.

    ``json.loads`` turns digits into an ``int`` with ``int()``, which raises ValueError past
    4,300 digits (Python's guard against quadratic conversion) and takes the line down without
    a field name. Standing in for the number lets ``parse_record`` name the field.
    """

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits


def _parse_int(text: str) -> int | LongNumber:
    digits = len(text.lstrip("-"))
    return LongNumber(digits) if digits > MAX_ID_CHARS else int(text)


def _check_numbers(path: Path, line: int, record: dict[str, Any]) -> None:
    """Refuse a ``LongNumber`` where a field or a list item of one holds it."""
    for key, value in record.items():
        for item in value if isinstance(value, list) else (value,):
            if isinstance(item, LongNumber):
                raise ImportFailure(
                    path,
                    line,
                    f"{key!r} holds a number with {item.digits:,} digits; the limit is "
                    f"{MAX_ID_CHARS} (put it in quotes if it is text)",
                )


def parse_record(path: Path, line: int, record: object) -> ArticleInput:
    if not isinstance(record, dict):
        raise ImportFailure(path, line, "each line must be a JSON object")
    unknown = sorted(key for key in record if key not in KNOWN_KEYS)
    if unknown:
        more = len(unknown) - MAX_KEYS_SHOWN
        raise ImportFailure(
            path,
            line,
            f"unknown keys: {', '.join(unknown[:MAX_KEYS_SHOWN])}"
            + (f" and {more} more" if more > 0 else "")
            + f" (known: {', '.join(sorted(KNOWN_KEYS))})",
        )
    _check_numbers(path, line, record)
    body, body_html = record.get("body"), record.get("body_html")
    if body is not None and body_html is not None:
        raise ImportFailure(path, line, "give 'body' (Markdown) or 'body_html', not both")
    if body_html is not None:
        if not isinstance(body_html, str):
            raise ImportFailure(path, line, "'body_html' is not text")
        html = html_body(body_html, path=path, line=line)
    elif isinstance(body, str):
        html = render_body(body, path=path, line=line)
    else:
        raise ImportFailure(path, line, "'body' is missing or not text")
    article = ArticleInput(
        title=clean_line(
            record.get("title"),
            field="title",
            path=path,
            line=line,
            limit=MAX_TITLE_CHARS,
            required=True,
        ),
        seo_title=clean_line(
            record.get("seo_title"), field="seo_title", path=path, line=line, limit=MAX_TITLE_CHARS
        ),
        dek=clean_line(record.get("dek"), field="dek", path=path, line=line, limit=MAX_DEK_CHARS),
        slug=clean_slug(record.get("slug"), path=path, line=line),
        published_at=clean_date(record.get("published"), field="published", path=path, line=line),
        # "topic" (one name) is accepted beside "tags" (several), as topic-labelled datasets use it.
        topics=clean_names(
            record.get("tags") or ([record["topic"]] if record.get("topic") else None),
            field="tags",
            path=path,
            line=line,
        ),
        authors=clean_names(record.get("authors"), field="authors", path=path, line=line),
        body_html=html,
        source="jsonl",
        external_id=clean_id(record.get("id"), path=path, line=line),
    )
    return with_identity(article)


def parse_jsonl(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path) if text is None else text
    articles: list[ArticleInput] = []
    seen_ids: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        if len(articles) == MAX_ARTICLES:
            # Checked before parsing the line, so the time spent is bounded too.
            raise ImportFailure(
                path, number, f"more than {MAX_ARTICLES:,} articles; split the file"
            )
        try:
            record = json.loads(raw, parse_int=_parse_int)
        except json.JSONDecodeError as exc:
            raise ImportFailure(
                path, number, f"not valid JSON ({exc.msg}, column {exc.colno})"
            ) from None
        except RecursionError:
            # json.loads recurses per nesting level: "[[[[..." a few thousand deep would
            # otherwise end the import with a traceback instead of a message naming the line.
            raise ImportFailure(path, number, "not valid JSON (nested too deeply)") from None
        article = parse_record(path, number, record)
        key = article.external_id or article.slug
        if key:
            if key in seen_ids:
                raise ImportFailure(
                    path, number, f"duplicate id/slug {key!r} (first on line {seen_ids[key]})"
                )
            seen_ids[key] = number
        articles.append(article)
    return ParsedFile(path=path, format="jsonl", articles=articles)
