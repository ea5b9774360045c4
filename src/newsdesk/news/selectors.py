"""Reads for the public site. Every list starts from ``ArticlePage.objects.published()``."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.core.paginator import Page as PaginatorPage
from django.core.paginator import Paginator
from django.db.models import Prefetch

from newsdesk.news.models import ArticlePage, Author, Topic
from newsdesk.news.queries import ArticleQuerySet

# Search queries longer than this are cut: nobody types more, and long queries are costly.
MAX_SEARCH_CHARS = 200
_SEARCH_WORD = re.compile(r"\w+")


def published_articles() -> ArticleQuerySet:
    """Published articles, newest first, with what a listing card shows fetched in bulk."""
    return (
        ArticlePage.objects.published()
        .newest_first()
        .prefetch_related(Prefetch("topics", queryset=Topic.objects.only("name", "slug")))
    )


def _page_of(queryset: ArticleQuerySet, number: str | int | None) -> PaginatorPage:
    # get_page() turns a malformed or out-of-range page number into the nearest valid page.
    return Paginator(queryset, settings.NEWSDESK_PAGE_SIZE).get_page(number)


def article_page_of(number: str | int | None) -> PaginatorPage:
    return _page_of(published_articles(), number)


def topic_article_page_of(topic: Topic, number: str | int | None) -> PaginatorPage:
    return _page_of(published_articles().filter(topics=topic), number)


def author_article_page_of(author: Author, number: str | int | None) -> PaginatorPage:
    return _page_of(published_articles().filter(authors=author), number)


def recent_articles(*, exclude: ArticlePage | None = None, limit: int | None = None) -> list:
    """The newest published articles, never the page's own article."""
    queryset = ArticlePage.objects.published().newest_first()
    if exclude is not None and exclude.pk:
        queryset = queryset.exclude(pk=exclude.pk)
    count = settings.NEWSDESK_RECENT_COUNT if limit is None else limit
    return list(queryset.only("title", "slug", "url_path", "first_published_at")[:count])


def article_topics(article: ArticlePage) -> list[Topic]:
    return list(article.topics.all())


def article_authors(article: ArticlePage) -> list[Author]:
    return list(article.authors.all())


def related_articles(article: ArticlePage, limit: int) -> list[ArticlePage]:
    """Stories a reader of ``article`` should read next.

    The related-stories engine's stored list (editors' pins first); until the engine has a list
    for the article, the newest published articles sharing a topic with it.
    """
    if not article.pk:
        return []
    from newsdesk.related.selectors import stored_related

    stored = stored_related(article, limit)
    if stored:
        return stored
    queryset = (
        ArticlePage.objects.published()
        .filter(topics__articles=article)
        .exclude(pk=article.pk)
        .distinct()
        .newest_first()
    )
    return list(queryset.only("title", "slug", "url_path", "dek", "first_published_at")[:limit])


def topics_in_use() -> list[Topic]:
    """Topics that have at least one published article, for the site navigation.

    Counting any article would put a topic known only from drafts or scheduled stories (a
    takeover not yet announced) in every page's navigation.
    """
    published = ArticlePage.objects.published().values("pk")
    return list(Topic.objects.filter(articles__in=published).distinct().only("name", "slug"))


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
