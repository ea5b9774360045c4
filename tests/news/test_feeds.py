"""RSS 2.0 and Atom feeds, site-wide and per topic, read the way feed readers read them."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # our own test output, not untrusted XML
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import feedparser
import pytest
from django.test import Client

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.news.services import home_page_ensure
from tests.helpers import article_create, bulk_publish_articles, rolled_back

pytestmark = pytest.mark.django_db

TRICKY_TITLE = 'Fish & chips: "best" <b>in</b> </title><script>alert(1)</script> town'


@dataclass(frozen=True)
class FeedNews:
    newest: ArticlePage
    tricky: ArticlePage
    oldest: ArticlePage


@pytest.fixture(scope="module")
def news(django_db_setup: None, django_db_blocker: Any) -> Iterator[FeedNews]:
    with rolled_back(django_db_blocker):
        make = partial(article_create, home_page_ensure(title="Feed Gazette"))
        oldest = make("Harbour dredging begins", topics=("Harbour",), age=timedelta(days=3))
        tricky = make(TRICKY_TITLE, topics=("Food", "Harbour"), age=timedelta(days=1))
        newest = make(
            "Ferry timetable changes",
            dek="Winter sailings start on Monday.",
            topics=("Transport",),
            authors=("Ana Ruiz", "Ben Cole"),
            age=timedelta(hours=2),
        )
        make("Draft about the harbour", topics=("Harbour",), publish=False)
        make("Scheduled harbour news", topics=("Harbour",), age=-timedelta(hours=6))
        yield FeedNews(newest=newest, tricky=tricky, oldest=oldest)


def _parse(client: Client, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


FEEDS = {"/feed/rss/": "rss20", "/feed/atom/": "atom10"}


@pytest.mark.parametrize(("url", "version"), FEEDS.items())
def test_site_feed_is_valid_and_lists_published_articles_newest_first(
    client: Client, news: FeedNews, url: str, version: str
) -> None:
    parsed = _parse(client, url)
    assert parsed.version == version
    assert [entry.title for entry in parsed.entries] == [
        news.newest.title,
        news.tricky.title,
        news.oldest.title,
    ]


@pytest.mark.parametrize("url", FEEDS)
def test_feed_links_are_absolute_to_site_url(client: Client, news: FeedNews, url: str) -> None:
    parsed = _parse(client, url)
    assert parsed.feed.link == "http://testserver/"
    assert [entry.link for entry in parsed.entries] == [
        f"http://testserver/{article.slug}/" for article in (news.newest, news.tricky, news.oldest)
    ]


@pytest.mark.parametrize("url", FEEDS)
def test_feed_links_ignore_the_host_header(client: Client, news: FeedNews, url: str) -> None:
    response = client.get(url, headers={"host": "localhost"})
    assert b"http://localhost" not in response.content
    parsed = feedparser.parse(response.content)
    assert parsed.entries[0].link.startswith("http://testserver/")
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [
        f"http://testserver{url}"
    ]


@pytest.mark.parametrize("url", FEEDS)
def test_feed_entries_carry_summary_authors_dates_and_topics(
    client: Client, news: FeedNews, url: str
) -> None:
    entry = _parse(client, url).entries[0]
    assert entry.summary == "Winter sailings start on Monday."
    assert "Ana Ruiz" in entry.author and "Ben Cole" in entry.author
    assert [tag.term for tag in entry.tags] == ["Transport"]
    published = news.newest.first_published_at
    assert published is not None
    assert entry.published_parsed[:6] == published.utctimetuple()[:6]


def test_rss_guid_is_stable_and_not_a_permalink(client: Client, news: FeedNews) -> None:
    entry = _parse(client, "/feed/rss/").entries[0]
    assert entry.id == f"http://testserver/?p={news.newest.pk}"
    assert entry.guidislink is False


@pytest.mark.parametrize("url", FEEDS)
def test_titles_are_escaped_not_interpreted(client: Client, news: FeedNews, url: str) -> None:
    response = client.get(url)
    # The raw XML is well formed and its title element holds the text exactly.
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    titles = [el.text for el in root.iter() if el.tag.rsplit("}", 1)[-1] == "title"]
    assert TRICKY_TITLE in titles
    assert b"<script>" not in response.content
    # A feed reader shows the headline as the editor typed it, markup as text.
    assert _parse(client, url).entries[1].title == TRICKY_TITLE


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_topic_feed_lists_only_that_topic(client: Client, news: FeedNews, kind: str) -> None:
    parsed = _parse(client, f"/topics/harbour/feed/{kind}/")
    assert [entry.title for entry in parsed.entries] == [news.tricky.title, news.oldest.title]
    assert parsed.feed.link == "http://testserver/topics/harbour/"
    assert "Harbour" in parsed.feed.title
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [f"http://testserver/topics/harbour/feed/{kind}/"]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_of_unknown_topic_is_404(client: Client, news: FeedNews, kind: str) -> None:
    assert client.get(f"/topics/nowhere/feed/{kind}/").status_code == 404


def test_feed_is_limited_to_30_items(client: Client, home: HomePage) -> None:
    bulk_publish_articles(home, 35)
    assert len(_parse(client, "/feed/rss/").entries) == 30
