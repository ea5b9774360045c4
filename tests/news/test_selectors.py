"""Reads for the public site: recent and related articles, topics in use, paging, search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from newsdesk.news import selectors
from newsdesk.news.models import ArticlePage, HomePage, Topic
from newsdesk.related.selectors import related_articles
from tests.helpers import bulk_publish_articles

MakeArticle = Callable[..., ArticlePage]


def _titles(articles: object) -> list[str]:
    return [article.title for article in articles]  # type: ignore[attr-defined]


def test_published_articles_are_newest_first(make_article: MakeArticle) -> None:
    middle = make_article("Middle", age=timedelta(days=2))
    newest = make_article("Newest", age=timedelta(hours=1))
    oldest = make_article("Oldest", age=timedelta(days=9))
    assert list(selectors.published_articles()) == [newest, middle, oldest]


def test_recent_articles_are_the_five_newest(make_article: MakeArticle) -> None:
    # Created out of date order, so the order proves sorting by date, not by creation.
    for hours in (5, 1, 7, 3, 2, 6, 4):
        make_article(f"{hours} hours ago", age=timedelta(hours=hours))
    recent = selectors.recent_articles()
    assert _titles(recent) == [f"{hours} hours ago" for hours in (1, 2, 3, 4, 5)]


def test_recent_articles_never_include_the_page_being_read(make_article: MakeArticle) -> None:
    articles = {h: make_article(f"{h}h", age=timedelta(hours=h)) for h in range(1, 8)}
    recent = selectors.recent_articles(exclude=articles[2])
    assert articles[2] not in recent
    assert _titles(recent) == ["1h", "3h", "4h", "5h", "6h"]


def test_recent_articles_with_fewer_articles_than_the_limit(make_article: MakeArticle) -> None:
    only = make_article("The only one")
    assert selectors.recent_articles(exclude=only) == []
    assert selectors.recent_articles() == [only]


def test_related_articles_share_a_topic_newest_first(make_article: MakeArticle) -> None:
    reading = make_article("Flood barrier vote", topics=("Environment", "Council"))
    older = make_article("Old flood map", topics=("Environment",), age=timedelta(days=3))
    newer = make_article("Council budget", topics=("Council",), age=timedelta(hours=2))
    make_article("Rovers win", topics=("Sport",))
    both = make_article("River council", topics=("Council", "Environment"), age=timedelta(days=1))
    related = related_articles(reading, limit=5)
    # Sharing two topics does not list an article twice.
    assert related == [newer, both, older]


def test_related_articles_never_include_the_article_itself(make_article: MakeArticle) -> None:
    reading = make_article("Alone in its topic", topics=("Culture",))
    assert related_articles(reading, limit=5) == []


def test_related_articles_respect_the_limit(make_article: MakeArticle) -> None:
    reading = make_article("Reading", topics=("Sport",))
    others = [
        make_article(f"Sport {n}", topics=("Sport",), age=timedelta(hours=n)) for n in (2, 3, 4)
    ]
    assert related_articles(reading, limit=2) == others[:2]


def test_related_articles_of_an_unsaved_article_is_empty(home: HomePage) -> None:
    assert related_articles(ArticlePage(title="Not saved"), limit=5) == []


def test_related_articles_leave_out_unpublished_ones(make_article: MakeArticle) -> None:
    reading = make_article("Reading", topics=("Health",))
    make_article("Draft on health", topics=("Health",), publish=False)
    make_article("Scheduled on health", topics=("Health",), age=-timedelta(hours=5))
    shown = make_article("Published on health", topics=("Health",), age=timedelta(hours=3))
    assert related_articles(reading, limit=5) == [shown]


def test_topics_in_use_lists_only_topics_of_published_articles(make_article: MakeArticle) -> None:
    make_article("Match report", topics=("Sport",))
    make_article("Secret merger", topics=("Takeover Talks",), publish=False)
    Topic.objects.create(name="Unused", slug="unused")
    # A topic known only from a draft would reveal what the newsroom is working on.
    assert [topic.name for topic in selectors.topics_in_use()] == ["Sport"]


def test_page_of_articles_is_20_a_page(home: HomePage) -> None:
    bulk_publish_articles(home, 45)
    first, third = selectors.article_page_of(1), selectors.article_page_of("3")
    assert len(first.object_list) == 20
    assert len(third.object_list) == 5
    assert first.paginator.num_pages == 3


@pytest.mark.parametrize("number", ["abc", "-1", "0", "999999", "9" * 5000, "1.5", "", None])
def test_page_of_articles_turns_bad_numbers_into_a_valid_page(
    home: HomePage, number: str | None
) -> None:
    bulk_publish_articles(home, 25)
    page = selectors.article_page_of(number)
    assert page.number in (1, 2)
    assert len(page.object_list) in (20, 5)


def test_topic_and_author_pages_filter_their_articles(make_article: MakeArticle) -> None:
    sport = make_article("Rovers", topics=("Sport",), authors=("Ana Ruiz",))
    council = make_article("Budget", topics=("Council",), authors=("Ben Cole",))
    assert list(selectors.topic_article_page_of(Topic.objects.get(name="Sport"), 1)) == [sport]
    author = council.authors.get()
    assert list(selectors.author_article_page_of(author, 1)) == [council]


def test_articles_published_since_keeps_only_recent_ones(make_article: MakeArticle) -> None:
    fresh = make_article("Fresh", age=timedelta(hours=30))
    make_article("Stale", age=timedelta(days=3))
    since = timezone.now() - timedelta(days=2)
    assert selectors.articles_published_since(since) == [fresh]


def test_search_finds_headlines_and_bodies(make_article: MakeArticle) -> None:
    in_title = make_article("Lighthouse keeper retires")
    in_body = make_article("Harbour news", body="<p>The old lighthouse lamp is lit again.</p>")
    make_article("Unrelated", body="<p>Nothing about the coast.</p>")
    assert set(selectors.search_articles("lighthouse")) == {in_title, in_body}


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_search_with_an_empty_query_finds_nothing(make_article: MakeArticle, query: str) -> None:
    make_article("Anything")
    assert list(selectors.search_articles(query)) == []
