"""Conditional GET on the feeds: Last-Modified and an ETag, and 304 when nothing changed.

Feed readers poll every few minutes with If-Modified-Since and If-None-Match; a 304 must cost
almost nothing, and must never hide a change.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import http_date, parse_http_date

from newsdesk.news.models import ArticlePage
from tests.news.conftest import Clock

pytestmark = pytest.mark.django_db

MakeArticle = Callable[..., ArticlePage]
FEEDS = ["/feed/rss/", "/feed/atom/", "/topics/harbour/feed/rss/", "/topics/harbour/feed/atom/"]


@pytest.fixture
def newest(make_article: MakeArticle) -> ArticlePage:
    make_article("Harbour dredging begins", topics=("Harbour",), age=timedelta(days=2))
    return make_article("Harbour wall repairs", topics=("Harbour",), age=timedelta(hours=2))


@pytest.mark.parametrize("url", FEEDS)
def test_a_feed_says_when_it_last_changed(client: Client, newest: ArticlePage, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    changed = newest.last_changed_at
    assert changed is not None
    assert response["Last-Modified"] == http_date(changed.timestamp())
    assert response["ETag"].startswith('"') and len(response["ETag"]) > 10


@pytest.mark.parametrize("url", FEEDS)
def test_the_same_date_back_gets_304_in_at_most_two_queries(
    client: Client, newest: ArticlePage, url: str
) -> None:
    last_modified = client.get(url)["Last-Modified"]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 304
    assert response.content == b""
    assert response["Last-Modified"] == last_modified
    # One query for the feed's ids and dates; a topic feed also looks its topic up.
    assert len(queries) <= (2 if "/topics/" in url else 1), [q["sql"] for q in queries]


@pytest.mark.parametrize("url", FEEDS)
def test_the_same_etag_back_gets_304(client: Client, newest: ArticlePage, url: str) -> None:
    etag = client.get(url)["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_a_stale_date_gets_the_feed(client: Client, newest: ArticlePage) -> None:
    changed = newest.last_changed_at
    assert changed is not None
    before = http_date((changed - timedelta(seconds=1)).timestamp())
    response = client.get("/feed/rss/", headers={"If-Modified-Since": before})
    assert response.status_code == 200
    assert b"Harbour wall repairs" in response.content


def test_an_article_published_since_gets_the_feed(
    client: Client, newest: ArticlePage, make_article: MakeArticle
) -> None:
    first = client.get("/feed/atom/")
    make_article("Ferry timetable changes", topics=("Harbour",), age=timedelta(minutes=1))
    headers = {"If-Modified-Since": first["Last-Modified"]}
    response = client.get("/feed/atom/", headers=headers)
    assert response.status_code == 200
    assert b"Ferry timetable changes" in response.content
    assert parse_http_date(response["Last-Modified"]) > parse_http_date(first["Last-Modified"])


def test_an_unpublished_article_changes_the_etag(client: Client, newest: ArticlePage) -> None:
    first = client.get("/feed/rss/")
    ArticlePage.objects.get(pk=newest.pk).unpublish()
    # Both validators, as feed readers send them: If-None-Match decides (RFC 9110).
    headers = {"If-None-Match": first["ETag"], "If-Modified-Since": first["Last-Modified"]}
    response = client.get("/feed/rss/", headers=headers)
    assert response.status_code == 200
    assert b"Harbour wall repairs" not in response.content
    assert response["ETag"] != first["ETag"]


def test_an_article_that_became_due_by_its_date_changes_both_validators(
    client: Client, newest: ArticlePage, make_article: MakeArticle, clock: Clock
) -> None:
    # Live but dated an hour ahead (as an editor may date a page): it appears by time alone,
    # with nothing published and no publication version changed.
    embargoed = make_article("Embargoed harbour report", topics=("Harbour",))
    ArticlePage.objects.filter(pk=embargoed.pk).update(
        first_published_at=timezone.now() + timedelta(hours=1),
        last_published_at=timezone.now() - timedelta(minutes=1),
    )
    first = client.get("/feed/rss/")
    assert b"Embargoed harbour report" not in first.content
    clock.advance(timedelta(hours=2))
    headers = {"If-None-Match": first["ETag"], "If-Modified-Since": first["Last-Modified"]}
    response = client.get("/feed/rss/", headers=headers)
    assert response.status_code == 200
    assert b"Embargoed harbour report" in response.content


@pytest.mark.parametrize(
    "value",
    ["yesterday", "Mon, 32 Foo 2026 25:61:61 GMT", "", "0", "Tue, 01 Jan 1980 00:00:00 GMT, x"],
)
def test_a_malformed_date_is_ignored(client: Client, newest: ArticlePage, value: str) -> None:
    response = client.get("/feed/rss/", headers={"If-Modified-Since": value})
    assert response.status_code == 200
    assert b"Harbour wall repairs" in response.content


def test_a_date_in_the_future_is_ignored(client: Client, newest: ArticlePage) -> None:
    # A client with a wrong clock: a 304 would hide every article published until then.
    future = http_date((timezone.now() + timedelta(days=365)).timestamp())
    response = client.get("/feed/rss/", headers={"If-Modified-Since": future})
    assert response.status_code == 200
    assert b"Harbour wall repairs" in response.content


def test_an_unknown_topic_is_404_whatever_the_client_sends(
    client: Client, newest: ArticlePage
) -> None:
    last_modified = client.get("/feed/rss/")["Last-Modified"]
    url = "/topics/no-such-topic/feed/rss/"
    response = client.get(url, headers={"If-Modified-Since": last_modified})
    assert response.status_code == 404


def test_an_empty_feed_has_an_etag(client: Client, home: object) -> None:
    response = client.get("/feed/rss/")
    assert response.status_code == 200
    again = client.get("/feed/rss/", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
