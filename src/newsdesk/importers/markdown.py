"""Markdown files, optionally with YAML front matter (title, seo_title, dek, slug, date, tags,
authors, id). Without a ``title`` the first "# Heading" is the headline."""

from __future__ import annotations

import re
from pathlib import Path

from newsdesk.importers.base import (
    MAX_DEK_CHARS,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    clean_date,
    clean_id,
    clean_line,
    clean_names,
    clean_slug,
    read_text,
    render_body,
    with_identity,
)
from newsdesk.importers.front_matter import read_front_matter
from newsdesk.news.services import ArticleInput

_FIRST_H1 = re.compile(r"\A\s*#[ \t]+(.+?)[ \t#]*(?:\n|\Z)")
KNOWN_KEYS = frozenset(
    {
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
)


def parse_markdown(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path) if text is None else text
    meta = read_front_matter(path, text, known=KNOWN_KEYS)
    body, body_line = meta.body, meta.body_line
    _key, title, title_line = meta.first("title")
    if not title:
        heading = _FIRST_H1.match(body)
        if heading:
            title = heading.group(1)
            title_line = body_line + body.count("\n", 0, heading.start(1))
            body = body[heading.end() :]
    if not title:
        raise ImportFailure(path, 1, "no headline: add 'title:' front matter or a '# Heading' line")
    seo_key, seo_title, seo_line = meta.first("seo_title")
    dek_key, dek, dek_line = meta.first("dek")
    _key, slug, slug_line = meta.first("slug")
    date_key, published, date_line = meta.first("date", "published")
    tags_key, tags, tags_line = meta.first("tags", "topics")
    authors_key, authors, authors_line = meta.first("authors", "author")
    _key, external_id, id_line = meta.first("id")
    article = ArticleInput(
        title=clean_line(
            title, field="title", path=path, line=title_line, limit=MAX_TITLE_CHARS, required=True
        ),
        seo_title=clean_line(
            seo_title, field=seo_key, path=path, line=seo_line, limit=MAX_TITLE_CHARS
        ),
        dek=clean_line(dek, field=dek_key, path=path, line=dek_line, limit=MAX_DEK_CHARS),
        slug=clean_slug(slug, path=path, line=slug_line),
        published_at=clean_date(published, field=date_key, path=path, line=date_line),
        topics=clean_names(tags, field=tags_key, path=path, line=tags_line),
        authors=clean_names(authors, field=authors_key, path=path, line=authors_line),
        body_html=render_body(body, path=path, line=body_line),
        source="markdown",
        external_id=clean_id(external_id, path=path, line=id_line),
    )
    return ParsedFile(path=path, format="markdown", articles=[with_identity(article)])
