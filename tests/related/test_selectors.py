"""Reading stored lists: rank order, published only, the news site's fallback, and what the
article page costs in queries with and without stored lists, with 10 and 100 articles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.news import versioning
from newsdesk.news.models import ArticlePage
from newsdesk.related.models import RelatedLink
from newsdesk.related.selectors import related_articles
from newsdesk.related.services import related_rebuild
from tests.helpers import bulk_publish_articles
from tests.related.conftest import Newsroom, stored_list
from tests.related.stories import STORIES


def test_the_stored_list_is_read_in_rank_order_with_one_query(
    published: Newsroom, django_assert_num_queries: Callable[..., Any]
) -> None:
    article = published.articles["hospital-ward"]
    expected = stored_list(article)
    assert len(expected) >= 2
    related_articles(article, 5)  # warm the cached restricted paths that published() uses
    with django_assert_num_queries(1):
        shown = related_articles(article, 5)
    assert [a.pk for a in shown] == expected
    assert [a.pk for a in related_articles(article, 1)] == expected[:1]


def test_unpublished_targets_of_a_stale_list_are_never_shown(published: Newsroom) -> None:
    article = published.articles["hospital-ward"]
    first = ArticlePage.objects.get(pk=stored_list(article)[0])
    # Unpublished without its refresh having run yet (the task is still queued).
    with published.capture(execute=False):
        first.unpublish()
    assert first.pk in stored_list(article)
    assert first.pk not in [a.pk for a in related_articles(article, 5)]


def test_without_a_stored_list_the_newest_stories_sharing_a_topic_are_shown(
    published: Newsroom,
) -> None:
    article = published.articles["rovers-tickets"]
    RelatedLink.objects.filter(source=article).delete()
    shown = [a.pk for a in related_articles(article, 5)]
    sharing = (
        ArticlePage.objects.published()
        .filter(topics__articles=article)
        .exclude(pk=article.pk)
        .order_by("-first_published_at")
    )
    assert shown == [a.pk for a in sharing]
    assert article.pk not in shown


def _page_queries(client: Client, article: ArticlePage, *, cold: bool) -> int:
    if cold:  # nothing cached: the page computes its related stories
        cache.clear()
        versioning.forget()
    else:
        assert client.get(article.url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = client.get(article.url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_article_page_costs_the_same_with_10_or_100_articles(
    newsroom: Newsroom, client: Client
) -> None:
    for n, story in enumerate(STORIES[:9]):
        newsroom.publish(story, age=timedelta(hours=n + 1))
    newsroom.publish(STORIES[0], age=timedelta(hours=20))  # a tenth
    article = ArticlePage.objects.get(pk=newsroom.articles["flood-works"].pk)
    assert ArticlePage.objects.published().count() == 10
    assert stored_list(article)
    small = {cold: _page_queries(client, article, cold=cold) for cold in (True, False)}

    bulk_publish_articles(newsroom.home, 90, oldest_first_from=article.first_published_at)
    assert related_rebuild() == 100
    assert stored_list(article)
    assert {cold: _page_queries(client, article, cold=cold) for cold in (True, False)} == small


def test_the_article_page_costs_the_same_with_or_without_a_stored_list(
    published: Newsroom, client: Client
) -> None:
    article = ArticlePage.objects.get(pk=published.articles["flood-works"].pk)
    with_list = _page_queries(client, article, cold=True)
    RelatedLink.objects.filter(source=article).delete()
    versioning.publication_changed()
    assert _page_queries(client, article, cold=True) == with_list
