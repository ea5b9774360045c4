"""Convention 6: the number of queries a page costs does not grow with the archive.

Each page is measured with 10 published articles, then the archive grows to 500 and the same page
must cost exactly as many queries. The archive is built once for the module (``rolled_back``).

Both ends are measured twice: warm (a repeat visit, what most readers get) and cold, with every
cache the page uses emptied first (as Zulip's ``keep_cache_warm=False``): the first reader after
a publish, a restart or an eviction, whose cost must not grow with the archive either.

What is measured is the page's rendering, so the whole-page cache (news/page_cache.py, which
would answer the warm visits itself) is off here; tests/news/test_page_cache.py counts its hits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news import versioning
from newsdesk.news.models import ArticlePage, Author, Topic
from newsdesk.news.services import (
    ArticleInput,
    article_save,
    home_page_ensure,
    plain_page_save,
)
from tests.helpers import bulk_publish_articles, rolled_back

SMALL, LARGE = 10, 500
# What an empty cache may add to a page: the publication version, the Site, Wagtail's site root
# paths, content types, the restricted subtrees and the shared fragments (topic navigation,
# Recent Articles, counts, an article's furniture) are each a query or two when not cached.
# Measured: 4 (feeds, sitemaps) to 10 more (home: 13 cold against 3 warm).
COLD_EXTRA_MAX = 12
# The mark makes pytest-django create the test database before the module fixture uses it.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module", autouse=True)
def _rendering_measured() -> Iterator[None]:
    with override_settings(NEWSDESK_PAGE_CACHE=False):
        yield


@dataclass(frozen=True)
class Archive:
    urls: dict[str, str]
    small_counts: dict[str, int]
    small_cold_counts: dict[str, int]
    published: int


def caches_emptied() -> None:
    """Every cache a public page reads, as after a restart: Django's cache (the cached Site per
    host, the fragments of news/versioning.py, the templates' {% cache %} blocks, Wagtail's site
    root paths), this thread's publication version, and Django's content types."""
    cache.clear()
    versioning.forget()
    ContentType.objects.clear_cache()


def _cold_count(client: Client, url: str) -> int:
    """Queries of a visit with every cache empty."""
    caches_emptied()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def _warm_count(client: Client, url: str) -> int:
    """Queries of a repeat visit (Wagtail caches the site's root paths on the first)."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


@pytest.fixture(scope="module")
def archive(django_db_setup: None, django_db_blocker: Any) -> Iterator[Archive]:
    with rolled_back(django_db_blocker):
        # Module fixtures run before the per-test cache clearing: what the module before left
        # (its Site under a publication version that recurs here) must not be read.
        caches_emptied()
        home = home_page_ensure(title="Query Count Gazette")
        articles = []
        for n in range(SMALL):
            data = ArticleInput(
                title=f"Service story {n}",
                body_html="<h2>First</h2><p>Words.</p><h3>Detail</h3><p>More words.</p>",
                dek=f"Standfirst {n}",
                topics=("Council", "Harbour"),
                authors=("Maya Okafor", "Tom Reed"),
                published_at=timezone.now() - timedelta(hours=n + 1),
                source="count",
                external_id=f"c{n}",
            )
            articles.append(article_save(data=data, publish=True, home=home)[0])
        about = ArticleInput(
            title="About", body_html="<h2>Who</h2><p>Us.</p>", slug="about", source="count"
        )
        plain_page_save(data=about, publish=True, home=home)
        reading = ArticlePage.objects.get(pk=articles[4].pk)
        urls = {
            "home": "/",
            "home page 2": "/?page=2",
            "article": reading.url,
            "plain page": "/about/",
            "topic": "/topics/council/",
            "author": "/authors/maya-okafor/",
            "rss": "/feed/rss/",
            "atom": "/feed/atom/",
            "topic rss": "/topics/council/feed/rss/",
            "topic atom": "/topics/council/feed/atom/",
            "news sitemap": "/news-sitemap.xml",
            "sitemap": "/sitemap.xml",
        }
        client = Client()
        small = {name: _warm_count(client, url) for name, url in urls.items()}
        small_cold = {name: _cold_count(client, url) for name, url in urls.items()}
        bulk_publish_articles(
            home,
            LARGE - SMALL,
            topics=list(Topic.objects.all()),
            authors=list(Author.objects.all()),
            oldest_first_from=timezone.now() - timedelta(hours=SMALL + 1),
        )
        published = ArticlePage.objects.published().count()
        yield Archive(
            urls=urls, small_counts=small, small_cold_counts=small_cold, published=published
        )


def test_the_archive_has_500_published_articles(archive: Archive) -> None:
    assert archive.published == LARGE


PAGES = [
    "home",
    "home page 2",
    "article",
    "plain page",
    "topic",
    "author",
    "rss",
    "atom",
    "topic rss",
    "topic atom",
    "news sitemap",
    "sitemap",
]


@pytest.mark.parametrize("name", PAGES)
def test_query_count_does_not_grow_with_the_archive(
    archive: Archive,
    client: Client,
    django_assert_num_queries: Callable[..., object],
    name: str,
) -> None:
    url = archive.urls[name]
    client.get(url)  # warm Wagtail's site root paths cache, as in the measurement with 10
    with django_assert_num_queries(archive.small_counts[name]):  # type: ignore[operator]
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("name", PAGES)
def test_cold_cache_query_count_does_not_grow_with_the_archive(
    archive: Archive, client: Client, name: str
) -> None:
    url = archive.urls[name]
    cold = _cold_count(client, url)
    print(f"{name}: warm {archive.small_counts[name]}, cold {cold}")
    assert cold == archive.small_cold_counts[name]
    # The caches do save queries, and an empty one costs a bounded few more.
    assert archive.small_counts[name] < cold <= archive.small_counts[name] + COLD_EXTRA_MAX


def test_emptying_the_caches_is_what_makes_a_visit_cold(archive: Archive, client: Client) -> None:
    """The cold measurement above is not warm by accident: after it, a repeat visit is cheaper."""
    url = archive.urls["article"]
    cold = _cold_count(client, url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries.captured_queries) == archive.small_counts["article"] < cold
