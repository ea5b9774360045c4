"""What a feed reader is given for each article field: text that stays text, or sanitised HTML.

Feed readers show an Atom ``<summary type="html">``, an Atom ``<content type="html">``, an RSS
``<description>`` and ``<content:encoded>`` as HTML, once the XML's own escaping is undone. So
plain text (a standfirst, an excerpt) goes into those fields HTML-escaped, and arrives as the
characters the editor typed: ``<a href="javascript:…">`` in a standfirst is shown, never linked.
HTML (the article body) goes through the same sanitiser as imported bodies (``newsdesk.markup``:
no script, no event handlers, only http, https and mailto links).
"""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Sequence

from wagtail.rich_text import expand_db_html

from newsdesk.markup import sanitize_html

# Wagtail's stored rich text marks pictures (and oEmbed media) with <embed ... />. The sanitiser
# keeps no <img>, so expanding them would cost a rendition lookup each (an oEmbed fetch for
# media) for nothing: they are removed before expansion. Attribute values are quoted, and a
# quoted value may hold ">".
_EMBED = re.compile(r"""<embed\b(?:[^>"']|"[^"]*"|'[^']*')*>""", re.IGNORECASE)


def text_as_html(text: str) -> str:
    """Plain text for a field that readers show as HTML: every character shown as itself."""
    return html.escape(text, quote=False)


def rss_title(text: str) -> str:
    """A headline for an RSS ``<title>``.

    RSS leaves it open whether a title is text or HTML, and readers differ: feedparser, for one,
    reads a title that looks like markup as HTML. Only "<" can start markup, so a headline with
    one is HTML-escaped: readers that take titles as HTML then show it as typed, and those that
    take them as text show entities for that rare headline instead of running a link. Any other
    headline ("AT&T", "Fish & chips") is left alone, which reads right in both kinds. Atom has
    ``type="text"`` for this and needs none of it.
    """
    return html.escape(text, quote=False) if "<" in text else text


def bodies_as_html(bodies: Sequence[str], base_urls: Sequence[str]) -> list[str]:
    """Stored article bodies as sanitised HTML, with links made absolute against each article's
    address (a feed is read away from the site, where "/topics/x/" leads nowhere).

    Wagtail's expansion of internal links costs a query per body; the bodies are expanded in
    one go, joined by a comment no body can contain (a random token), so a whole feed costs one
    query for its internal links, however many items it has.
    """
    stripped = [_EMBED.sub("", body or "") for body in bodies]
    separator = f"<!--newsdesk-{secrets.token_hex(16)}-->"
    expanded = expand_db_html(separator.join(stripped)).split(separator)
    if len(expanded) != len(stripped):
        # A malformed tag swallowed a separator: expand one by one (correct, just slower).
        expanded = [expand_db_html(body) for body in stripped]
    return [
        sanitize_html(part, base_url=base_url)
        for part, base_url in zip(expanded, base_urls, strict=True)
    ]
