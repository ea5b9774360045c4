"""Markdown files, optionally with YAML front matter (title, seo_title, dek, slug, date, tags,
authors, id). Without a ``title`` the first "# Heading" is the headline."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
_FIRST_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
KNOWN_KEYS = {
    "title",
    "seo_title",
    "dek",
    "slug",
    "date",
    "published",
    "tags",
    "topics",
    "authors",
    "author",
    "id",
}


def _front_matter(path: Path, text: str) -> tuple[dict, str, int]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 1
    try:
        # safe_load: YAML tags that build Python objects are refused.
        data = yaml.safe_load(match.group(1) or "") or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        raise ImportFailure(path, line, f"front matter is not valid YAML: {exc}") from None
    except RecursionError:
        # PyYAML's composer recurses per nesting level; deeply nested front matter is hostile.
        raise ImportFailure(path, 2, "front matter is not valid YAML (nested too deeply)") from None
    if not isinstance(data, dict):
        raise ImportFailure(path, 2, "front matter must be a set of 'key: value' lines")
    unknown = sorted(str(key) for key in data if key not in KNOWN_KEYS)
    if unknown:
        raise ImportFailure(path, 2, f"unknown front matter keys: {', '.join(unknown)}")
    body_start_line = match.group(0).count("\n") + 1
    return data, text[match.end() :], body_start_line


def parse_markdown(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path) if text is None else text
    meta, body, body_line = _front_matter(path, text)
    title = meta.get("title")
    if not title:
        heading = _FIRST_H1.match(body)
        if heading:
            title = heading.group(1)
            body = body[heading.end() :]
    if not title:
        raise ImportFailure(path, 1, "no headline: add 'title:' front matter or a '# Heading' line")
    authors = meta.get("authors", meta.get("author"))
    article = ArticleInput(
        title=clean_line(
            title, field="title", path=path, line=2, limit=MAX_TITLE_CHARS, required=True
        ),
        seo_title=clean_line(
            meta.get("seo_title"), field="seo_title", path=path, line=2, limit=MAX_TITLE_CHARS
        ),
        dek=clean_line(meta.get("dek"), field="dek", path=path, line=2, limit=MAX_DEK_CHARS),
        slug=clean_slug(meta.get("slug"), path=path, line=2),
        published_at=clean_date(
            meta.get("date", meta.get("published")), field="date", path=path, line=2
        ),
        topics=clean_names(meta.get("tags", meta.get("topics")), field="tags", path=path, line=2),
        authors=clean_names(authors, field="authors", path=path, line=2),
        body_html=check_body(markdown_to_html(body), path=path, line=body_line),
        source="markdown",
        external_id=clean_line(
            str(meta["id"]) if meta.get("id") is not None else "",
            field="id",
            path=path,
            line=2,
            limit=255,
        ),
    )
    return ParsedFile(path=path, format="markdown", articles=[with_identity(article)])
