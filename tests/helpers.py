"""Small typed helpers shared by the test modules: an HTML reader and a fast article filler."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser
from itertools import count
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from newsdesk.news.models import ArticlePage, Author, HomePage, Topic
from newsdesk.news.services import ArticleInput, article_save

_serial = count(1)

# Elements that never have content, so the parser must not wait for their end tag.
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return "".join(parts)

    @property
    def clean_text(self) -> str:
        return " ".join(self.text.split())

    def iter(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str, **attrs: str) -> list[Element]:
        """Descendants named ``tag`` whose attributes include ``attrs`` (``class_`` for class)."""
        wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
        return [
            element
            for element in self.iter()
            if element.tag == tag
            and all(element.attrs.get(key) == value for key, value in wanted.items())
        ]

    def find(self, tag: str, **attrs: str) -> Element:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag} {attrs}> in the page"
        return found[0]


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {key: value or "" for key, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {key: value or "" for key, value in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(markup: str | bytes) -> Element:
    builder = _TreeBuilder()
    builder.feed(markup.decode() if isinstance(markup, bytes) else markup)
    builder.close()
    return builder.root


def section_links(document: Element, heading_id: str) -> list[str]:
    """Link texts of the <section> labelled by the heading with ``heading_id``."""
    for section in document.find_all("section"):
        if section.attrs.get("aria-labelledby") == heading_id:
            return [link.clean_text for link in section.find_all("a")]
    raise AssertionError(f"no section labelled {heading_id!r}")


def card_titles(document: Element) -> list[str]:
    """Headlines of the article cards in the main column, in page order."""
    main = document.find("main")
    return [
        element.clean_text
        for element in main.iter()
        if element.tag in {"h2", "h3"} and element.attrs.get("class") == "card__title"
    ]


def json_ld_graphs(document: Element) -> list[dict[str, Any]]:
    return [
        json.loads(script.text)
        for script in document.find_all("script", type="application/ld+json")
    ]


def meta_content(document: Element, key: str) -> str:
    """The content of <meta property=key> or <meta name=key>."""
    for meta in document.find_all("meta"):
        if key in (meta.attrs.get("property"), meta.attrs.get("name")):
            return meta.attrs.get("content", "")
    raise AssertionError(f"no <meta> {key!r}")


def bulk_publish_articles(
    home: HomePage,
    count: int,
    *,
    topics: Sequence[Topic] = (),
    authors: Sequence[Author] = (),
    oldest_first_from: datetime | None = None,
    title_prefix: str = "Archive story",
) -> list[int]:
    """Add ``count`` live articles under ``home`` quickly, for archive-size tests.

    The article service saves a revision and indexes each article for search (about 80 ms each);
    here each page is placed in the tree by computing its materialised path (as treebeard's
    ``add_child`` does), saved without revisions, and the search/reference index tasks are sent
    to a backend that does not run them. The pages are ordinary live, public articles with
    ``first_published_at`` set, so they satisfy ``ArticlePage.objects.published()``. Dates step
    back one minute per article from ``oldest_first_from`` (default: two days ago), so they are
    all older than articles the tests create "an hour ago".
    """
    start = oldest_first_from or timezone.now() - timedelta(days=2)
    home = HomePage.objects.get(pk=home.pk)  # numchild must be current
    last_child = home.get_last_child()
    position = last_child._get_lastpos_in_path() if last_child else 0
    ids: list[int] = []
    dummy_tasks = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy_tasks):
        for index in range(count):
            position += 1
            when = start - timedelta(minutes=index)
            slug = f"{title_prefix.lower().replace(' ', '-')}-{position}"
            page = ArticlePage(
                title=f"{title_prefix} {position}",
                draft_title=f"{title_prefix} {position}",
                slug=slug,
                body=f"<h2>Background</h2><p>Report {position} from the archive.</p>",
                live=True,
                first_published_at=when,
                last_published_at=when,
                path=ArticlePage._get_path(home.path, home.depth + 1, position),
                depth=home.depth + 1,
                numchild=0,
                locale_id=home.locale_id,
                topics=list(topics),
                authors=list(authors),
            )
            page._cached_parent_obj = home  # Page.save() builds url_path from the parent
            page.save(clean=False)
            ids.append(page.pk)
    HomePage.objects.filter(pk=home.pk).update(numchild=home.get_children().count())
    return ids


def article_create(
    home: HomePage,
    title: str | None = None,
    *,
    body: str = "<h2>What happened</h2><p>Something happened in town.</p>",
    topics: tuple[str, ...] = ("Council",),
    authors: tuple[str, ...] = ("Maya Okafor",),
    dek: str = "",
    age: timedelta = timedelta(hours=1),
    publish: bool = True,
    **extra: object,
) -> ArticlePage:
    """Create an article through the same service the importers use."""
    n = next(_serial)
    data = ArticleInput(
        title=title or f"Article number {n}",
        body_html=body,
        dek=dek,
        topics=topics,
        authors=authors,
        published_at=timezone.now() - age,
        source="test",
        external_id=f"t{n}",
        **extra,  # type: ignore[arg-type]
    )
    article, _ = article_save(data=data, publish=publish, home=home)
    return ArticlePage.objects.get(pk=article.pk)


@contextmanager
def rolled_back(django_db_blocker: Any) -> Iterator[None]:
    """Database access for a module-scoped fixture, undone when the module's tests are done.

    Building a publication once per module instead of once per test keeps the suite fast; each
    test still runs in its own savepoint inside this transaction. Needs the module to be marked
    ``django_db`` (so that the test database exists before the fixture runs).
    """
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()  # Wagtail caches the site's root paths, which pointed at rolled-back pages


_WEB_SCHEMES = {"http", "https", "mailto"}


def active_markup(markup: str) -> list[str]:
    """What in this HTML a browser would run: scripts, event handlers, non-web link schemes."""
    found = []
    for element in parse_html(markup).iter():
        if element.tag in {"script", "style", "iframe", "object", "embed"}:
            found.append(element.tag)
        for name, value in element.attrs.items():
            # Browsers drop tabs and newlines from URLs before reading the scheme.
            scheme = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", re.sub(r"[\t\n\r]", "", value))
            if name.startswith("on") or (
                name in {"href", "src"} and scheme and scheme.group(1).lower() not in _WEB_SCHEMES
            ):
                found.append(f"{name}={value}")
    return found
