"""Convention 6: the number of queries a page costs does not grow with the archive.

Each page is measured with 10 published articles, then the archive grows to 500 and the same page
must cost exactly as many queries. The archive is built once for the module (``rolled_back``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import ArticlePage, Author, Topic
from newsdesk.news.services import ArticleInput, article_save, home_page_ensure
from tests.helpers import bulk_publish_articles, rolled_back

SMALL, LARGE = 10, 500
# The mark makes pytest-django create the test database before the module fixture uses it.
pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Archive:
    urls: dict[str, str]
    small_counts: dict[str, int]
    published: int


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
        reading = ArticlePage.objects.get(pk=articles[4].pk)
        urls = {
            "home": "/",
            "home page 2": "/?page=2",
            "article": reading.url,
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
        bulk_publish_articles(
            home,
            LARGE - SMALL,
            topics=list(Topic.objects.all()),
            authors=list(Author.objects.all()),
            oldest_first_from=timezone.now() - timedelta(hours=SMALL + 1),
        )
        published = ArticlePage.objects.published().count()
        yield Archive(urls=urls, small_counts=small, published=published)


def test_the_archive_has_500_published_articles(archive: Archive) -> None:
    assert archive.published == LARGE


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "home page 2",
        "article",
        "topic",
        "author",
        "rss",
        "atom",
        "topic rss",
        "topic atom",
        "news sitemap",
        "sitemap",
    ],
)
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
