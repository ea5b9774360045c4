"""Turning stored article bodies into reader HTML: heading anchors, table of contents, reading time.

The stored body is Wagtail rich text (from the editor, or sanitised by ``newsdesk.markup`` on
import), so the markup here is already trusted; this module only adds structure to it.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from wagtail.rich_text import expand_db_html

_HEADING = re.compile(r"<(h[23])([^>]*)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+")
# A body image followed by a paragraph wholly in italics: the editor's way of writing a caption
# (imports write theirs so). Shown as a figure, so that the caption belongs to its picture.
_CAPTIONED_IMAGE = re.compile(
    r'(<img\b[^>]*\bclass="richtext-image[^"]*"[^>]*>)\s*'
    r"<p\b[^>]*>\s*<(i|em)>((?:(?!</?(?:p|i|em)\b).)*)</\2>\s*</p>",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Heading:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class BodyRendering:
    html: SafeString
    headings: list[Heading] = field(default_factory=list)
    words: int = 0

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / settings.NEWSDESK_WORDS_PER_MINUTE))

    @property
    def sections(self) -> list[Heading]:
        """The top-level (h2) sections, for the table of contents."""
        return [heading for heading in self.headings if heading.level == 2]


def plain_text(markup: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", markup)).split())


def excerpt(markup: str, max_chars: int = 220) -> str:
    """The first sentences of a body, cut at a word boundary."""
    first_paragraph = re.search(r"<p[^>]*>(.*?)</p>", markup, re.DOTALL | re.IGNORECASE)
    text = plain_text(first_paragraph.group(1) if first_paragraph else markup)
    if len(text) <= max_chars:
        return text
    return text[:max_chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def render_body(stored: str) -> BodyRendering:
    """Expand Wagtail rich text, give every h2/h3 a stable, unique anchor id, and show an
    image with its caption (the italic paragraph after it) as a figure.

    Anchors come from the heading text, so links to a section survive edits elsewhere in the body;
    a repeated heading gets a numeric suffix.
    """
    expanded = expand_db_html(stored or "")
    used: dict[str, int] = {}
    headings: list[Heading] = []

    def add_anchor(match: re.Match[str]) -> str:
        tag, _attributes, inner = match.group(1).lower(), match.group(2), match.group(3)
        text = plain_text(inner)
        base = slugify(text)[:60].strip("-") or "section"
        count = used.get(base, 0) + 1
        used[base] = count
        anchor = base if count == 1 else f"{base}-{count}"
        headings.append(Heading(level=int(tag[1]), anchor=anchor, text=text))
        # Attributes of the stored heading (Draftail's data-block-key) carry nothing for readers.
        return f'<{tag} id="{anchor}">{inner}</{tag}>'

    rendered = _HEADING.sub(add_anchor, expanded)
    rendered = _CAPTIONED_IMAGE.sub(
        r'<figure class="body-figure">\1<figcaption>\3</figcaption></figure>', rendered
    )
    words = len(_WORD.findall(plain_text(expanded)))
    return BodyRendering(html=mark_safe(rendered), headings=headings, words=words)  # noqa: S308
