"""Plain text articles shaped like a web page copied as text (``samples/seed-article.txt``).

Layout: the first line is the browser/SEO title, the next non-empty line the headline; then
blocks separated by blank lines. A short single-line block without final punctuation that is
followed by a paragraph is a section heading. Page furniture at the end (the "Recent Articles"
box, the newsletter call to action, ...) is recognised and dropped.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from django.utils.text import slugify

from newsdesk.importers.base import (
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_line,
    read_text,
)
from newsdesk.news.services import ArticleInput

# Lines that belong to the page around an article, not to the article. Compared case-folded,
# without punctuation, so "Related stories:" matches too.
FURNITURE = frozenset(
    {
        "recent articles",
        "recent posts",
        "related stories",
        "related articles",
        "related posts",
        "get the daily news directly in your inbox",
        "subscribe to our newsletter",
        "sign up for our newsletter",
        "share this article",
        "share this",
        "leave a comment",
        "advertisement",
    }
)
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 14
# Sentence-ending punctuation; a line ending in one of these is prose, not a heading.
_FINAL_PUNCTUATION = tuple('.!?:;,…"”’)')


def _norm(line: str) -> str:
    return re.sub(r"[^\w\s]", "", line).casefold().strip()


def is_furniture(block: str) -> bool:
    return _norm(block) in FURNITURE


def looks_like_heading(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= MAX_HEADING_CHARS
        and len(block.split()) <= MAX_HEADING_WORDS
        and not block.endswith(_FINAL_PUNCTUATION)
    )


def _blocks(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Group (line number, text) pairs into blank-line-separated blocks."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, text in lines:
        if text.strip():
            if not current:
                start = number
            current.append(" ".join(text.split()))
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def parse_plaintext(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path) if text is None else text
    numbered = list(enumerate(text.split("\n"), start=1))
    blocks = _blocks(numbered)
    while blocks and is_furniture(blocks[-1][1]):
        blocks.pop()
    if len(blocks) < 3:
        raise ImportFailure(
            path, None, "expected a title line, a headline line and at least one paragraph"
        )
    (seo_line, seo_title), (headline_line, headline) = blocks[0], blocks[1]
    if "\n" in seo_title or "\n" in headline:
        bad = seo_line if "\n" in seo_title else headline_line
        raise ImportFailure(path, bad, "the title and the headline must each be one line")
    seo_title = clean_line(
        seo_title, field="title line", path=path, line=seo_line, limit=MAX_TITLE_CHARS
    )
    headline = clean_line(
        headline,
        field="headline",
        path=path,
        line=headline_line,
        limit=MAX_TITLE_CHARS,
        required=True,
    )
    body = blocks[2:]
    parts: list[str] = []
    for index, (_line, block) in enumerate(body):
        if is_furniture(block):
            continue
        followed_by_paragraph = index + 1 < len(body) and not looks_like_heading(body[index + 1][1])
        if looks_like_heading(block) and followed_by_paragraph:
            parts.append(f"<h2>{html.escape(block, quote=False)}</h2>")
        else:
            paragraph = " ".join(block.split("\n"))
            parts.append(f"<p>{html.escape(paragraph, quote=False)}</p>")
    body_html = check_body("".join(parts), path=path, line=blocks[2][0])
    article = ArticleInput(
        title=headline,
        seo_title="" if seo_title == headline else seo_title,
        body_html=body_html,
        slug=slugify(headline)[:200],
        source="text",
    )
    return ParsedFile(path=path, format="text", articles=[article])
