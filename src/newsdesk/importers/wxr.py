"""WordPress exports (WXR 1.0 to 1.2, from Tools → Export): posts become articles.

The file is read as a stream by defusedxml, one ``<item>`` at a time, so a large export is never
held whole; defusedxml refuses a document type declaration, and with it entity expansion
("billion laughs"), external entities (XXE) and external DTDs, none of which WordPress writes.

What each post keeps: its status (published, scheduled, draft; private only when asked for),
its GMT date, author, categories and tags (as topics), excerpt (as standfirst), its
``wp:post_id`` as the import key, its old addresses (for redirects), and its pictures: inline
ones, ``[caption]`` and ``[gallery]`` figures, and its featured image (``_thumbnail_id``), the
last two read from the export's attachments once the whole file has been read.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import iterparse

from newsdesk.importers.base import (
    MAX_ARTICLES,
    MAX_BODY_CHARS,
    MAX_DEK_CHARS,
    MAX_NAMES,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_date,
    clean_line,
    clean_names,
    clean_slug,
)
from newsdesk.importers.wordpress_body import (
    ATTACHMENT_PLACEHOLDER,
    THIS_POST,
    clean_wordpress_body,
)
from newsdesk.markup import sanitize_html
from newsdesk.news.services import ArticleInput

SOURCE = "wordpress"
# Each version's namespace is http://wordpress.org/export/1.N/, its excerpts' one below it.
_WP_NAMESPACE = re.compile(r"http://wordpress\.org/export/1\.[0-2]/")
_CONTENT_NAMESPACE = "http://purl.org/rss/1.0/modules/content/"
_DC_NAMESPACE = "http://purl.org/dc/elements/1.1/"
# How much of the file's start is enough to tell an export: WordPress writes a comment of
# about 1 KB, then <rss> with its namespaces.
_SNIFF_BYTES = 64 * 1024
# The export is streamed, so it may be larger than other inputs; its articles are still all
# held before writing (MAX_ARTICLES bounds that).
MAX_WXR_BYTES = 1024 * 1024 * 1024
_TAG = re.compile(r"<[^>]*>")
# What is left of a paragraph that held only an image once the sanitiser has removed it.
_EMPTY_PARAGRAPH = re.compile(r"<p>(?:\s|<br>)*</p>\n?")
_NO_DATE = "0000-00-00 00:00:00"
_PICTURE_FILE = re.compile(r"\.(?:jpe?g|png|gif|webp|avif)$", re.IGNORECASE)
# A gallery's picture as the sanitiser leaves it, before its attachment is known.
_PLACEHOLDER_FIGURE = re.compile(
    r'<figure><img src="' + re.escape(ATTACHMENT_PLACEHOLDER) + r'([\w-]+)"></figure>'
)
# The post meta this importer reads: the featured image, and an attachment's alt text.
_META_KEYS = frozenset({"_thumbnail_id", "_wp_attachment_image_alt"})
# WordPress's own category for posts without one: a topic nobody chose.
_DEFAULT_CATEGORY = "uncategorized"


def looks_like_wxr(path: Path) -> bool:
    """Whether a regular file starts like a WordPress export (the full check is the parse).

    Pipes are not sniffed: what is read from them to look could not be read again.
    """
    try:
        if not path.is_file():
            return False
        with path.open("rb") as handle:
            start = handle.read(_SNIFF_BYTES)
    except OSError:
        return False
    return b"<rss" in start and re.search(rb"wordpress\.org/export/1\.[0-2]/", start) is not None


class _LimitedReader:
    """A binary file that refuses to be read past ``limit`` bytes."""

    def __init__(self, handle: IO[bytes], path: Path, limit: int) -> None:
        self._handle, self._path, self._limit, self._read = handle, path, limit, 0

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size if size >= 0 else self._limit + 1)
        self._read += len(data)
        if self._read > self._limit:
            raise ImportFailure(
                self._path, None, f"input is longer than the limit of {self._limit:,} bytes"
            )
        return data


def _kind(tag: str) -> tuple[str, str]:
    """(namespace kind, local name) of an ElementTree tag such as ``{uri}post_id``."""
    if not tag.startswith("{"):
        return "", tag
    uri, local = tag[1:].split("}", 1)
    if _WP_NAMESPACE.match(uri):
        return ("excerpt" if uri.endswith("/excerpt/") else "wp"), local
    if uri == _CONTENT_NAMESPACE:
        return "content", local
    if uri == _DC_NAMESPACE:
        return "dc", local
    return "other", local


@dataclass
class _Post:
    """The fields of one ``<item>`` this importer reads, as text."""

    fields: dict[tuple[str, str], str] = field(default_factory=dict)
    categories: list[tuple[str, str, str]] = field(default_factory=list)  # domain, nicename, name
    meta: dict[str, str] = field(default_factory=dict)  # the keys of _META_KEYS it has

    def get(self, kind: str, name: str) -> str:
        return self.fields.get((kind, name), "")


def _read_post(item: Element) -> _Post:
    post = _Post()
    for child in item:
        key = _kind(child.tag)
        if key == ("", "category"):
            post.categories.append(
                (child.get("domain", ""), child.get("nicename", ""), child.text or "")
            )
        elif key == ("wp", "postmeta"):
            parts = {_kind(part.tag)[1]: (part.text or "").strip() for part in child}
            if parts.get("meta_key") in _META_KEYS:
                post.meta[parts["meta_key"]] = parts.get("meta_value", "")
        elif key not in post.fields:
            post.fields[key] = child.text or ""
    return post


def _plain(text: str) -> str:
    """Text WordPress may have stored with tags or character references (``&#8217;``)."""
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _events(path: Path, handle: IO[bytes]) -> Iterator[tuple[str, Any]]:
    """The parser's events, with defusedxml's and expat's refusals as messages."""
    try:
        yield from iterparse(
            _LimitedReader(handle, path, MAX_WXR_BYTES),
            events=("start", "end", "start-ns"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        )
    except defusedxml.DefusedXmlException:
        raise ImportFailure(
            path,
            None,
            "refused: the file declares entities or a DTD (<!DOCTYPE …>), which a WordPress "
            "export never does and which can read local files or exhaust memory",
        ) from None
    except ParseError as exc:
        line, column = exc.position
        raise ImportFailure(
            path,
            line,
            f"not well-formed XML at column {column + 1} ({str(exc).split(':')[0]}); a "
            "WordPress export is UTF-8 XML, export it again",
        ) from None


@dataclass(frozen=True)
class _Attachment:
    """An uploaded file of the export: the address of the file, its alt text and caption."""

    url: str
    alt: str
    caption: str

    def figure(self) -> str:
        caption = f"<figcaption>{html.escape(self.caption)}</figcaption>" if self.caption else ""
        return (
            f'<figure><img src="{html.escape(self.url)}" alt="{html.escape(self.alt)}">'
            f"{caption}</figure>"
        )


@dataclass
class _Channel:
    authors: dict[str, str] = field(default_factory=dict)  # login -> display name
    notes: Counter[str] = field(default_factory=Counter)
    # The export's pictures by post id, and the ids of each post's own ones (its gallery).
    attachments: dict[str, _Attachment] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    # Post id -> the attachment id of its featured image.
    thumbnails: dict[str, str] = field(default_factory=dict)


def parse_wxr(path: Path, *, include_private: bool = False) -> ParsedFile:
    """Every post of the export as an article and every page as a plain page; other items
    are counted in the notes."""
    channel = _Channel()
    articles: list[ArticleInput] = []
    pages: list[ArticleInput] = []
    seen_ids: set[str] = set()
    wordpress_namespace = False
    channel_element: Element | None = None
    root_checked = False
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot read the file: {exc.strerror or exc}") from None
    with handle:
        for event, value in _events(path, handle):
            if event == "start-ns":
                wordpress_namespace = wordpress_namespace or bool(_WP_NAMESPACE.match(value[1]))
                continue
            if not root_checked:
                root_checked = True
                if value.tag != "rss" or not wordpress_namespace:
                    raise ImportFailure(
                        path,
                        None,
                        "this XML file is not a WordPress export (WXR 1.0 to 1.2, with <rss> "
                        "and the wp: namespace); other XML cannot be imported",
                    )
            if event == "start":
                if value.tag == "channel":
                    channel_element = value
                continue
            kind = _kind(value.tag)
            if kind == ("wp", "author"):
                login = _plain(value.findtext(f"{{{_namespace(value)}}}author_login") or "")
                name = _plain(value.findtext(f"{{{_namespace(value)}}}author_display_name") or "")
                if login:
                    channel.authors[login] = name or login
            elif kind == ("", "item"):
                item = _article(path, _read_post(value), channel, include_private)
                if item is not None:
                    article, is_page = item
                    if article.external_id in seen_ids:
                        raise ImportFailure(
                            path, None, f"post {article.external_id} appears twice in the export"
                        )
                    seen_ids.add(article.external_id)
                    (pages if is_page else articles).append(article)
                    if len(articles) + len(pages) > MAX_ARTICLES:
                        raise ImportFailure(
                            path, None, f"more than {MAX_ARTICLES:,} posts; import in batches"
                        )
                # What has been read is let go: the channel would otherwise hold every item.
                if channel_element is not None:
                    channel_element.clear()
    if not root_checked:
        raise ImportFailure(path, None, "the file is empty")
    return ParsedFile(
        path=path,
        format="wxr",
        articles=[_with_attachments(article, channel) for article in articles],
        pages=[_with_attachments(page, channel) for page in pages],
        notes=channel.notes,
    )


def _with_attachments(article: ArticleInput, channel: _Channel) -> ArticleInput:
    """The article's galleries and featured image, now that every attachment is known."""
    post_id = article.external_id

    def gallery_picture(match: re.Match[str]) -> str:
        key = match.group(1)
        ids = channel.children.get(post_id, []) if key == THIS_POST else [key]
        figures = []
        for attachment_id in ids:
            attachment = channel.attachments.get(attachment_id)
            if attachment is None:
                channel.notes["[gallery] picture missing from the export, left out"] += 1
            else:
                figures.append(attachment.figure())
        return "".join(figures)

    body = article.body_html
    if ATTACHMENT_PLACEHOLDER in body:
        body = _PLACEHOLDER_FIGURE.sub(gallery_picture, body)
    featured = channel.attachments.get(channel.thumbnails.get(post_id, ""))
    if featured is None:
        if post_id in channel.thumbnails:
            channel.notes["featured image missing from the export, left out"] += 1
        return replace(article, body_html=body) if body != article.body_html else article
    return replace(
        article, body_html=body, featured_image_url=featured.url, featured_image_alt=featured.alt
    )


def _namespace(element: Element) -> str:
    return element.tag[1:].split("}", 1)[0]


def _article(
    path: Path, post: _Post, channel: _Channel, include_private: bool
) -> tuple[ArticleInput, bool] | None:
    """The post (or page) as an article, and whether it is a page; None to leave it out."""
    notes = channel.notes
    post_type = post.get("wp", "post_type") or "post"
    if post_type not in {"post", "page", "attachment"}:
        notes[f"{_plain(post_type)[:40]} item skipped"] += 1
        return None
    post_id = post.get("wp", "post_id").strip()
    if not post_id.isdigit():
        raise ImportFailure(path, None, f"a post without a numeric wp:post_id ({post_id[:20]!r})")
    if post_type == "attachment":
        _keep_attachment(post, post_id, channel)
        return None
    if post.meta.get("_thumbnail_id", "").isdigit():
        channel.thumbnails[post_id] = post.meta["_thumbnail_id"]
    where = f"post {post_id}"
    live = _wanted_live(post, notes, include_private)
    if live is None:
        return None
    try:
        article = _build(path, post, post_id, live, channel, is_page=post_type == "page")
    except ImportFailure as failure:
        raise ImportFailure(path, None, f"{where}: {failure.message}") from None
    return (article, post_type == "page") if article is not None else None


def _keep_attachment(post: _Post, post_id: str, channel: _Channel) -> None:
    """Remember an uploaded picture for the posts that show it; other files (PDFs, audio) are
    not pictures, and only counted."""
    url = post.get("wp", "attachment_url").strip()
    if urlsplit(url).scheme not in {"http", "https"} or not _PICTURE_FILE.search(
        urlsplit(url).path
    ):
        channel.notes["attachment that is not a picture not imported"] += 1
        return
    alt = _plain(post.meta.get("_wp_attachment_image_alt", ""))[:250]
    channel.attachments[post_id] = _Attachment(
        url=url, alt=alt, caption=_plain(post.get("excerpt", "encoded"))[:1000]
    )
    parent = post.get("wp", "post_parent").strip()
    if parent.isdigit() and parent != "0":
        channel.children.setdefault(parent, []).append(post_id)


def _wanted_live(post: _Post, notes: Counter[str], include_private: bool) -> bool | None:
    """True to publish (a future date schedules), False for a draft, None to leave out."""
    status = post.get("wp", "status").strip()
    if status == "private":
        if not include_private:
            notes["private post not imported (--include-private imports them as drafts)"] += 1
            return None
        notes["private post imported as a draft"] += 1
        return False
    if status in {"trash", "auto-draft", "inherit"}:
        notes[f"{status} post skipped"] += 1
        return None
    if post.get("wp", "post_password"):
        # The password does not come along: such a post is not for everyone to read.
        notes["password-protected post imported as a draft"] += 1
        return False
    # Anything else (draft, pending, a plugin's own status) stays a draft.
    return status in {"publish", "future"}


def _date(path: Path, post: _Post, live: bool) -> datetime | None:
    """The GMT date; a draft has none (WordPress writes zeros until it is published)."""
    gmt = post.get("wp", "post_date_gmt").strip()
    if gmt and gmt != _NO_DATE:
        try:
            parsed = datetime.fromisoformat(gmt).replace(tzinfo=UTC)
        except ValueError:
            raise ImportFailure(
                path, None, f"'wp:post_date_gmt' is not a date: {gmt[:40]!r}"
            ) from None
        return clean_date(parsed, field="wp:post_date_gmt", path=path, line=None)
    local = post.get("wp", "post_date").strip()
    if live and local and local != _NO_DATE:
        # Some exports lack the GMT date of published posts; the site's local time is the
        # nearest there is (read in this publication's TIME_ZONE).
        return clean_date(local, field="wp:post_date", path=path, line=None)
    return None


def _topics(post: _Post) -> tuple[str, ...]:
    names: list[str] = []
    for domain, nicename, name in post.categories:
        if domain not in {"category", "post_tag"}:
            continue
        if domain == "category" and nicename == _DEFAULT_CATEGORY:
            continue
        text = _plain(name)
        if text and text.lower() not in {n.lower() for n in names}:
            names.append(text[:80])
    # A post may have more tags than a topic list takes; categories come first in the export.
    return clean_names(names[:MAX_NAMES], field="category", path=Path(), line=None)


def _old_paths(post: _Post, post_id: str, parameter: str) -> tuple[str, ...]:
    """The addresses the post had: its permalink's path and WordPress's ``/?p=<id>`` (a
    page's: ``/?page_id=<id>``)."""
    paths = [f"/?{parameter}={post_id}"]
    parts = urlsplit(post.get("", "link").strip())
    if parts.path not in {"", "/"}:
        paths.append(parts.path)
    return tuple(paths)


def _dek(text: str, notes: Counter[str]) -> str:
    dek = _plain(text)
    if len(dek) > MAX_DEK_CHARS:
        notes["excerpt shortened to fit the standfirst"] += 1
        dek = dek[: MAX_DEK_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return dek


def _build(
    path: Path, post: _Post, post_id: str, live: bool, channel: _Channel, *, is_page: bool
) -> ArticleInput | None:
    notes = channel.notes
    kind = "page" if is_page else "post"
    raw_body = post.get("content", "encoded")
    if len(raw_body) > MAX_BODY_CHARS:
        raise ImportFailure(path, None, f"body is longer than {MAX_BODY_CHARS:,} characters")
    cleaned = clean_wordpress_body(raw_body)
    notes.update(cleaned.notes)
    body = _EMPTY_PARAGRAPH.sub("", sanitize_html(cleaned.html, keep_images=True)).strip()
    if not _plain(body) and "<img" not in body:
        # WordPress keeps empty drafts; an article needs body text, and nothing is lost.
        notes[f"{kind} with no body text not imported"] += 1
        return None
    title = _plain(post.get("", "title"))
    if not title:
        notes[f"untitled {kind} given a headline from its id"] += 1
        title = f"Untitled WordPress {kind} {post_id}"
    creator = _plain(post.get("dc", "creator"))
    author = channel.authors.get(creator, creator)
    return ArticleInput(
        title=clean_line(title, field="title", path=path, line=None, limit=MAX_TITLE_CHARS),
        dek=_dek(post.get("excerpt", "encoded"), notes),
        slug=clean_slug(unquote(post.get("wp", "post_name")), path=path, line=None),
        published_at=_date(path, post, live),
        topics=_topics(post),
        authors=clean_names([author] if author else None, field="author", path=path, line=None),
        body_html=check_body(body, path=path, line=None),
        source=SOURCE,
        external_id=post_id,
        wanted_live=live,
        old_paths=_old_paths(post, post_id, "page_id" if is_page else "p"),
    )
