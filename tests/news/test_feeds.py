"""RSS 2.0 and Atom feeds, site-wide and per topic, read the way feed readers read them."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET  # our own test output, not untrusted XML
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import feedparser
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.news.services import home_page_ensure
from tests.helpers import (
    active_markup,
    article_create,
    bulk_publish_articles,
    parse_html,
    rolled_back,
)
from tests.news.not_found import assert_answers_like_an_unknown_name

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


def _shown(detail: Any) -> str:
    """What a reader shows for a feedparser text construct: HTML rendered to its text, or text."""
    if detail.type in {"text/html", "application/xhtml+xml"}:
        return parse_html(detail.value).text
    return str(detail.value)


FEEDS = {"/feed/rss/": "rss20", "/feed/atom/": "atom10"}


@pytest.mark.parametrize(("url", "version"), FEEDS.items())
def test_site_feed_is_valid_and_lists_published_articles_newest_first(
    client: Client, news: FeedNews, url: str, version: str
) -> None:
    parsed = _parse(client, url)
    assert parsed.version == version
    assert [_shown(entry.title_detail) for entry in parsed.entries] == [
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
    # The raw XML is well formed (ElementTree raises otherwise) and holds no live tag.
    ET.fromstring(response.content)  # noqa: S314 - our own output
    assert b"<script>" not in response.content
    # A feed reader shows the headline as the editor typed it, markup as text.
    entry = _parse(client, url).entries[1]
    assert _shown(entry.title_detail) == TRICKY_TITLE
    if entry.title_detail.type == "text/html":
        assert [element.tag for element in parse_html(entry.title_detail.value).iter()] == []


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_topic_feed_lists_only_that_topic(client: Client, news: FeedNews, kind: str) -> None:
    parsed = _parse(client, f"/topics/harbour/feed/{kind}/")
    assert [_shown(entry.title_detail) for entry in parsed.entries] == [
        news.tricky.title,
        news.oldest.title,
    ]
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


# --- What feed readers are given: text stays text, HTML is sanitised ---------------------------

HOSTILE = (
    '<a href="javascript:alert(1)">x</a> <script>alert(2)</script> <b onmouseover="alert(3)">b</b>'
)
HOSTILE_BODY = (
    # Markup the site shows as text (entity-escaped in the body), then markup that is live.
    f"<p>Quoted: {html.escape(HOSTILE)}</p>{HOSTILE}"
    '<p><a href="JaVaScRiPt:alert(4)">bad</a> <img src="x" onerror="alert(5)">'
    '<a href="https://example.org/">fine</a> <a href="/topics/harbour/">harbour</a></p>'
)
HOSTILE_FEEDS = [
    "/feed/rss/",
    "/feed/atom/",
    "/topics/hostile/feed/rss/",
    "/topics/hostile/feed/atom/",
]


@dataclass(frozen=True)
class Hostile:
    with_dek: ArticlePage
    without_dek: ArticlePage


@pytest.fixture
def hostile(home: HomePage) -> Hostile:
    make = partial(article_create, home, topics=("Hostile",), body=HOSTILE_BODY)
    return Hostile(
        with_dek=make(f"Dek {HOSTILE}", dek=f"Standfirst {HOSTILE}", age=timedelta(minutes=5)),
        without_dek=make(f"Excerpt {HOSTILE}", age=timedelta(minutes=6)),
    )


def _reader_view(client: Client, url: str) -> Any:
    """The feed as a reader that shows feed HTML as it comes (feedparser's own sanitiser, on by
    default, would hide what this is about)."""
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content, sanitize_html=False)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def _entry(parsed: Any, article: ArticlePage) -> Any:
    return next(entry for entry in parsed.entries if entry.id.endswith(f"?p={article.pk}"))


@pytest.mark.parametrize("url", HOSTILE_FEEDS)
def test_no_field_of_any_entry_carries_live_markup(
    client: Client, hostile: Hostile, url: str
) -> None:
    parsed = _reader_view(client, url)
    assert len(parsed.entries) >= 2
    for entry in parsed.entries:
        for detail in [entry.title_detail, entry.summary_detail, *entry.content]:
            if detail.type in {"text/html", "application/xhtml+xml"}:
                assert active_markup(detail.value) == [], (url, detail)


@pytest.mark.parametrize("url", HOSTILE_FEEDS)
def test_headline_and_standfirst_arrive_as_the_characters_typed(
    client: Client, hostile: Hostile, url: str
) -> None:
    parsed = _reader_view(client, url)
    entry = _entry(parsed, hostile.with_dek)
    assert _shown(entry.title_detail) == hostile.with_dek.title
    assert _shown(entry.summary_detail) == hostile.with_dek.dek
    # Without a standfirst the summary is the body's opening, also as text.
    excerpt = _entry(parsed, hostile.without_dek).summary_detail
    assert _shown(excerpt) == f"Quoted: {HOSTILE}"


@pytest.mark.parametrize("url", HOSTILE_FEEDS)
def test_content_is_the_sanitised_body_with_absolute_links(
    client: Client, hostile: Hostile, url: str
) -> None:
    [content] = _entry(_reader_view(client, url), hostile.with_dek).content
    assert content.type == "text/html"
    document = parse_html(content.value)
    assert "Quoted: " + HOSTILE in document.text  # the body's escaped markup is still text
    # The live <script>'s contents are dropped, not shown: only the quoted one remains.
    assert document.text.count("alert(2)") == 1
    hrefs = [a.attrs.get("href", "") for a in document.find_all("a")]
    assert hrefs == ["", "", "https://example.org/", "http://testserver/topics/harbour/"]


def test_feed_costs_the_same_queries_with_internal_links_in_two_or_six_bodies(
    client: Client, home: HomePage
) -> None:
    target = article_create(home, "Earlier coverage", topics=("Linked",))
    body = f'<p>See <a linktype="page" id="{target.pk}">earlier</a>.</p>'

    def count() -> int:
        client.get("/topics/linked/feed/atom/")
        with CaptureQueriesContext(connection) as queries:
            parsed = _reader_view(client, "/topics/linked/feed/atom/")
        linking = [entry for entry in parsed.entries if entry.id != f"{target.pk}"]
        assert all(f"/{target.slug}/" in entry.content[0].value for entry in linking[:-1])
        return len(queries.captured_queries)

    for n in range(2):
        article_create(home, f"Follow-up {n}", topics=("Linked",), body=body)
    few = count()
    for n in range(2, 6):
        article_create(home, f"Follow-up {n}", topics=("Linked",), body=body)
    assert count() == few


# --- Only public topics have feeds; feeds only read ----------------------------------------------


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_feed_of_a_topic_known_only_from_a_draft_is_404(
    client: Client, home: HomePage, kind: str
) -> None:
    article_create(home, "Takeover talks", topics=("Takeover",), publish=False)
    assert_answers_like_an_unknown_name(client, f"/topics/takeover/feed/{kind}/", "takeover")


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/feed/rss/", "/feed/atom/", "/topics/harbour/feed/rss/"])
def test_feeds_answer_only_get_and_head(
    client: Client, news: FeedNews, url: str, method: str
) -> None:
    response = client.generic(method, url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head(url).status_code == 200
