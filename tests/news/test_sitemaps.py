"""/sitemap.xml (Wagtail's) and the Google News sitemap (the last two days)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from xml.etree.ElementTree import Element  # for types; parsing goes through defusedxml

import pytest
from defusedxml.ElementTree import fromstring
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from newsdesk.news.services import home_page_ensure
from tests.helpers import article_create, rolled_back
from tests.news.conftest import Clock

pytestmark = pytest.mark.django_db

NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "news": "http://www.google.com/schemas/sitemap-news/0.9",
}


@dataclass(frozen=True)
class Archive:
    today: ArticlePage
    yesterday: ArticlePage
    last_week: ArticlePage
    draft: ArticlePage


@pytest.fixture(scope="module")
def archive(django_db_setup: None, django_db_blocker: Any) -> Iterator[Archive]:
    with rolled_back(django_db_blocker):
        make = partial(article_create, home_page_ensure(title="Sitemap Gazette"))
        yield Archive(
            today=make("Tide & <weather> warning", age=timedelta(hours=3)),
            yesterday=make("Yesterday's council vote", age=timedelta(hours=40)),
            last_week=make("Last week's regatta", age=timedelta(days=7)),
            draft=make("Draft story", publish=False),
        )


def _xml(client: Client, url: str) -> Element:
    response = client.get(url)
    assert response.status_code == 200
    assert "xml" in response["Content-Type"]
    return fromstring(response.content)


def _locs(root: Element) -> list[str]:
    return [loc.text or "" for loc in root.findall("sm:url/sm:loc", NS)]


def test_sitemap_lists_home_and_published_articles(client: Client, archive: Archive) -> None:
    locs = _locs(_xml(client, "/sitemap.xml"))
    expected = {
        "http://testserver/",
        *(f"http://testserver/{a.slug}/" for a in (archive.today, archive.yesterday)),
        f"http://testserver/{archive.last_week.slug}/",
    }
    assert set(locs) == expected
    assert len(locs) == len(expected)


def _lastmods(client: Client) -> dict[str, str]:
    return {
        url.findtext("sm:loc", namespaces=NS) or "": url.findtext("sm:lastmod", namespaces=NS) or ""
        for url in _xml(client, "/sitemap.xml").findall("sm:url", NS)
    }


def test_an_imported_article_was_last_modified_on_its_own_date(
    client: Client, archive: Archive
) -> None:
    # Imported today, dated a week ago: the import is not a change (it was the import's day).
    published = archive.last_week.first_published_at
    assert published is not None and published.date() < timezone.now().date()
    lastmod = _lastmods(client)[f"http://testserver/{archive.last_week.slug}/"]
    assert lastmod == published.date().isoformat()


def test_an_edit_published_later_is_the_last_modification(
    client: Client, archive: Archive, clock: Clock
) -> None:
    clock.advance(timedelta(days=2))
    article = ArticlePage.objects.get(pk=archive.last_week.pk)
    article.dek = "Corrected: the regatta was on Saturday."
    article.save_revision().publish()

    lastmod = _lastmods(client)[f"http://testserver/{article.slug}/"]
    assert lastmod == clock.now().date().isoformat()
    article.refresh_from_db()
    assert article.last_changed_at == article.last_published_at == clock.now()


def test_a_scheduled_article_is_not_modified_before_its_date() -> None:
    # Made live (by publish_scheduled) a moment before its date: the date shown is the later.
    dated = timezone.now()
    article = ArticlePage(first_published_at=dated, last_published_at=dated - timedelta(minutes=1))
    assert article.last_changed_at == dated
    assert ArticlePage().last_changed_at is None


def test_news_sitemap_lists_only_the_last_two_days(client: Client, archive: Archive) -> None:
    root = _xml(client, "/news-sitemap.xml")
    assert _locs(root) == [
        f"http://testserver/{archive.today.slug}/",
        f"http://testserver/{archive.yesterday.slug}/",
    ]


def test_news_sitemap_entries_have_title_date_and_publication(
    client: Client, archive: Archive
) -> None:
    url = _xml(client, "/news-sitemap.xml").findall("sm:url", NS)[0]
    # The title is escaped in the XML and reads back exactly.
    assert url.findtext("news:news/news:title", namespaces=NS) == archive.today.title
    assert url.findtext("news:news/news:publication/news:language", namespaces=NS) == "en"
    assert url.findtext("news:news/news:publication/news:name", namespaces=NS)
    published = url.findtext("news:news/news:publication_date", namespaces=NS) or ""
    first_published = archive.today.first_published_at
    assert first_published is not None
    assert datetime.fromisoformat(published) == first_published


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/sitemap.xml", "/news-sitemap.xml"])
def test_sitemaps_answer_only_get_and_head(
    client: Client, archive: Archive, url: str, method: str
) -> None:
    response = client.generic(method, url)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.head(url).status_code == 200
