"""Reads for the public site (Related Stories included). Every list starts from
``ArticlePage.objects.published()``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from newsdesk.news.models import ArticlePage, Author, PlainPage, Topic
from newsdesk.news.queries import ArticleQuerySet
from newsdesk.news.versioning import cached

# Search queries longer than this are cut: nobody types more, and long queries are costly.
MAX_SEARCH_CHARS = 200
# A footer is not a site map: beyond this many pages, the rest are reached from those.
MAX_FOOTER_PAGES = 12
_SEARCH_WORD = re.compile(r"\w+")


def published_articles() -> ArticleQuerySet:
    """Published articles, newest first, with what a listing card shows fetched in bulk."""
    return (
        ArticlePage.objects.published()
        .newest_first()
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.only("name", "slug")))
    )


class _CountedPaginator(Paginator):
    """A paginator whose total is known in advance (counting the archive costs more than
    rendering the page, so the count is cached per publication version)."""

    def __init__(self, object_list: ArticleQuerySet, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # fills Paginator.count's cached_property


def _page_of(queryset: ArticleQuerySet, number: str | int | None, key: str) -> PaginatorPage:
    count = cached(f"count:{key}", queryset.count)
    # get_page() turns a malformed or out-of-range page number into the nearest valid page.
    return _CountedPaginator(queryset, settings.NEWSDESK_PAGE_SIZE, count).get_page(number)


def _tagged(through: type[models.Model], column: str, value: int) -> Exists:
    # EXISTS rather than a join: newest-first pages then walk the date index and stop after one
    # page of matches, instead of sorting every tagged article.
    # _default_manager: a bare model class is typed without ``objects`` (it is the same manager).
    return Exists(through._default_manager.filter(articlepage_id=OuterRef("pk"), **{column: value}))


def article_page_of(number: str | int | None) -> PaginatorPage:
    return _page_of(published_articles(), number, "all")


def topic_article_page_of(topic: Topic, number: str | int | None) -> PaginatorPage:
    articles = published_articles().filter(
        _tagged(ArticlePage.topics.through, "topic_id", topic.pk)
    )
    return _page_of(articles, number, f"topic:{topic.pk}")


def author_article_page_of(author: Author, number: str | int | None) -> PaginatorPage:
    articles = published_articles().filter(
        _tagged(ArticlePage.authors.through, "author_id", author.pk)
    )
    return _page_of(articles, number, f"author:{author.pk}")


def recent_articles(*, exclude: ArticlePage | None = None, limit: int | None = None) -> list:
    """The newest published articles, never the page's own article."""
    count = settings.NEWSDESK_RECENT_COUNT if limit is None else limit
    # One cached list serves every page: one more than shown, so that dropping the page's own
    # article still leaves enough.
    newest = cached(
        f"recent:{count}",
        lambda: list(
            ArticlePage.objects.published()
            .newest_first()
            .only("title", "slug", "url_path", "first_published_at")[: count + 1]
        ),
    )
    excluded = exclude.pk if exclude is not None else None
    return [article for article in newest if article.pk != excluded][:count]


def article_topics(article: ArticlePage) -> list[Topic]:
    return list(article.topics.all())


def article_authors(article: ArticlePage) -> list[Author]:
    return list(article.authors.all())


@dataclass(frozen=True)
class ArticleFurniture:
    topics: list[Topic]
    authors: list[Author]


def article_furniture(article: ArticlePage, *, use_cache: bool = True) -> ArticleFurniture:
    """What an article page shows around the body, cached per article and publication version
    (an edit and a publish anywhere change the version). Related Stories are the related
    app's, through its template tag (``related_tags``)."""

    def compute() -> ArticleFurniture:
        return ArticleFurniture(
            topics=article_topics(article),
            authors=article_authors(article),
        )

    if not use_cache:
        return compute()
    edited = article.last_published_at.timestamp() if article.last_published_at else 0
    return cached(f"article:{article.pk}:{edited}", compute)


def footer_pages() -> list[PlainPage]:
    """The live plain pages an editor put in the menus ("About", "Contact"), in the admin's
    order, for every page's footer; cached per publication version like the navigation."""

    def compute() -> list[PlainPage]:
        pages = PlainPage.objects.published().in_menu().order_by("path")
        return list(pages.only("title", "slug", "url_path")[:MAX_FOOTER_PAGES])

    return cached("footer-pages", compute)


def topics_in_use() -> list[Topic]:
    """Topics that have at least one published article: the public ones, for the site navigation.

    Counting any article would put a topic known only from drafts or scheduled stories (a
    takeover not yet announced) in every page's navigation.
    """

    def compute() -> list[Topic]:
        published = ArticlePage.objects.published().filter(topics=OuterRef("pk"))
        return list(Topic.objects.filter(Exists(published)).only("name", "slug"))

    return cached("topics-in-use", compute)


def _author_ids_in_use() -> frozenset[int]:
    def compute() -> frozenset[int]:
        published = ArticlePage.objects.published().filter(authors=OuterRef("pk"))
        return frozenset(Author.objects.filter(Exists(published)).values_list("pk", flat=True))

    return cached("author-ids-in-use", compute)


# A topic or author is public only while it has a published article: a name known only from
# drafts, scheduled, future-dated, expired or private stories (a takeover not yet announced, a
# source's name) must not answer at its address, in its feeds or in any list. Both lookups
# answer None for a hidden and for an unknown slug alike, so the two look the same to a reader.
# They use the cached sets above, so a topic or author page costs no query more than before.


def public_topic(slug: str) -> Topic | None:
    topic = Topic.objects.filter(slug=slug).first()
    if topic is None or topic.pk not in {public.pk for public in topics_in_use()}:
        return None
    return topic


def public_author(slug: str) -> Author | None:
    author = Author.objects.filter(slug=slug).select_related("photo").first()
    if author is None or author.pk not in _author_ids_in_use():
        return None
    return author


def public_topics() -> QuerySet[Topic]:
    """The public topics as a queryset, for forms that offer them as choices (the newsletter's
    topic preferences); the form validates a submitted topic against the same set."""
    return Topic.objects.filter(pk__in=[topic.pk for topic in topics_in_use()]).order_by("name")


def articles_published_since(since: datetime, limit: int = 1000) -> list[ArticlePage]:
    """For the Google News sitemap, which lists at most 1,000 recent articles."""
    return list(
        ArticlePage.objects.published()
        .filter(first_published_at__gte=since)
        .newest_first()
        .only("title", "slug", "url_path", "first_published_at")[:limit]
    )


def search_articles(query: str) -> ArticleQuerySet | list:
    query = " ".join(query.split())[:MAX_SEARCH_CHARS]
    # Only the words go to the search backend: SQLite FTS5 gives quotes and other punctuation
    # a meaning, and a lone '"' or a NUL byte in the query made it raise (a 500 for readers).
    words = _SEARCH_WORD.findall(query)
    if not words:
        return []
    return (
        ArticlePage.objects.published()
        # Each result is shown as a card with its topics: fetch them in one query, not one each.
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.only("name", "slug")))
        .search(" ".join(words), operator="and")
    )


@dataclass(frozen=True)
class FeedValidators:
    """What a feed's conditional GET compares: an ETag and a Last-Modified date."""

    etag: str
    last_modified: datetime | None


def feed_validators(topic: Topic | None, size: int) -> FeedValidators:
    """The validators of the feed of ``topic`` (None: the whole site), in one small query.

    Made from the same articles the feed shows (ids and dates, not bodies), so the ETag
    changes when an article joins, leaves (unpublished, expired, pushed out) or is edited, and
    with the publication version, which also covers a renamed topic or author. Last-Modified
    is the newest change among them; an article leaving moves only the ETag, which is why
    clients that send If-None-Match (it wins over If-Modified-Since) see that at once.
    """
    from hashlib import blake2b

    from newsdesk.news.versioning import current_version

    articles = ArticlePage.objects.published().newest_first()
    if topic is not None:
        articles = articles.filter(topics=topic)
    rows = list(articles.values_list("pk", "first_published_at", "last_published_at")[:size])
    changes = [max(when for when in (first, last) if when) for _, first, last in rows]
    summary = f"{current_version()}|" + ",".join(
        f"{pk}:{changed.timestamp()}" for (pk, _, _), changed in zip(rows, changes, strict=True)
    )
    return FeedValidators(
        etag=blake2b(summary.encode(), digest_size=12).hexdigest(),
        last_modified=max(changes) if changes else None,
    )
