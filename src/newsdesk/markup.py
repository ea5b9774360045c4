"""Markdown and untrusted HTML in, safe HTML out.

Markdown is parsed with markdown-it-py with raw HTML switched off, then everything passes through
nh3 (the ammonia sanitiser): only the tags the article body editor supports survive, no event
handlers or styles, and links keep only http, https and mailto targets.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "p",
        "h2",
        "h3",
        "h4",
        "strong",
        "b",
        "em",
        "i",
        "a",
        "ul",
        "ol",
        "li",
        "blockquote",
        "hr",
        "br",
        "code",
        "pre",
        "sup",
        "sub",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
# What an import's sanitiser also keeps: pictures with their text, until the importer has made
# each one an image of the library or a link (``newsdesk.importers.figures``). ``src`` obeys
# the same schemes as links, so no ``data:`` or ``javascript:`` address passes.
IMPORT_IMAGE_TAGS = frozenset({"img", "figure", "figcaption"})
IMPORT_IMAGE_ATTRIBUTES = {"img": {"src", "alt"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# "commonmark" with html=False: raw HTML in Markdown is shown as text, never passed through.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


def sanitize_html(untrusted: str, *, base_url: str | None = None, keep_images: bool = False) -> str:
    """Reduce any HTML to the body allowlist. Script and style contents are dropped entirely.

    ``base_url`` is for HTML read away from the site (feeds): relative links are resolved
    against it, as a browser on that page would, so that they still lead somewhere.
    ``keep_images`` is for imports only: their result is not a body yet (see
    IMPORT_IMAGE_TAGS).
    """
    tags = set(ALLOWED_TAGS)
    attributes = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}
    if keep_images:
        tags |= IMPORT_IMAGE_TAGS
        attributes.update({tag: set(attrs) for tag, attrs in IMPORT_IMAGE_ATTRIBUTES.items()})
    return nh3.clean(
        untrusted,
        tags=tags,
        attributes=attributes,
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=None,
        clean_content_tags={"script", "style"},
        strip_comments=True,
        url_relative=("rewrite_with_base", base_url) if base_url else None,
    )


def markdown_to_html(source: str) -> str:
    """Render Markdown to sanitised HTML. A "# Heading" becomes h2: the page has one h1."""
    rendered = _markdown.render(source)
    rendered = rendered.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return sanitize_html(rendered)
