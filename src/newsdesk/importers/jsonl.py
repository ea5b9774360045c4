"""JSON Lines: one article per line with ``title`` and Markdown ``body``; optional ``seo_title``,
``dek``, ``slug``, ``published`` (ISO 8601), ``tags``, ``authors`` and ``id`` (external id)."""

from __future__ import annotations

import json
from pathlib import Path

from newsdesk.importers.base import (
    MAX_DEK_CHARS,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_date,
    clean_line,
    clean_names,
    clean_slug,
    read_text,
    with_identity,
)
from newsdesk.markup import markdown_to_html
from newsdesk.news.services import ArticleInput

KNOWN_KEYS = {
    "id",
    "title",
    "body",
    "seo_title",
    "dek",
    "slug",
    "published",
    "tags",
    "authors",
    "topic",
}


def parse_record(path: Path, line: int, record: object) -> ArticleInput:
    if not isinstance(record, dict):
        raise ImportFailure(path, line, "each line must be a JSON object")
    unknown = sorted(str(key) for key in record if key not in KNOWN_KEYS)
    if unknown:
        raise ImportFailure(path, line, f"unknown keys: {', '.join(unknown)}")
    body = record.get("body")
    if not isinstance(body, str):
        raise ImportFailure(path, line, "'body' is missing or not text")
    external_id = record.get("id")
    if external_id is not None and not isinstance(external_id, str | int):
        raise ImportFailure(path, line, "'id' must be text or a number")
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
        body_html=check_body(markdown_to_html(body), path=path, line=line),
        source="jsonl",
        external_id=clean_line(
            "" if external_id is None else str(external_id),
            field="id",
            path=path,
            line=line,
            limit=255,
        ),
    )
    return with_identity(article)


def parse_jsonl(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path) if text is None else text
    articles: list[ArticleInput] = []
    seen_ids: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
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
