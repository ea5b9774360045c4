"""The one definition of "published" (``ArticlePage.objects.published()``) and every place that
shows articles to readers: nothing unpublished, scheduled, future-dated, expired or private leaks
out, and neither do the names of topics and authors known only from such articles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import PageViewRestriction

from newsdesk.news import selectors
from newsdesk.news.models import ArticlePage
from newsdesk.news.services import home_page_ensure
from tests.helpers import article_create, parse_html, rolled_back, section_links
from tests.news.not_found import assert_answers_like_an_unknown_name

MakeArticle = Callable[..., ArticlePage]
HIDDEN_KINDS = ("draft", "unpublished", "scheduled", "future-dated", "expired", "private")
# Every hidden and visible article mentions this word, so search would find all of them.
WORD = "quokka"
# The newsroom is built once for the module (see ``rolled_back``); this creates the database.
pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Newsroom:
    visible: ArticlePage
    visible_too: ArticlePage
    hidden: dict[str, ArticlePage]


def _secret_topic(kind: str) -> str:
    return f"Secret {kind}"


def _secret_author(kind: str) -> str:
    return f"Writer {kind}"


def _hide(kind: str, make_article: MakeArticle) -> ArticlePage:
    title = f"Hidden {kind} {WORD}"
    body = f"<h2>Secret</h2><p>The {WORD} story nobody may read yet.</p>"
    # Each hidden article also has a topic and an author of its own, known from nothing else.
    make = partial(
        make_article,
        title,
        body=body,
        topics=("Council", _secret_topic(kind)),
        authors=(_secret_author(kind),),
    )
    if kind == "draft":
        return make(publish=False)
    if kind == "scheduled":
        # A future publication date through the service schedules the article (go_live_at).
        return make(age=-timedelta(days=1))
    article = make()
    if kind == "unpublished":
        article.unpublish()
    elif kind == "future-dated":
        # Live, but dated tomorrow (an editor changed the date): not due yet.
        ArticlePage.objects.filter(pk=article.pk).update(
            first_published_at=timezone.now() + timedelta(days=1)
        )
    elif kind == "expired":
        # Its expiry time has passed, but publish_scheduled has not run yet: still live.
        ArticlePage.objects.filter(pk=article.pk).update(
            expire_at=timezone.now() - timedelta(minutes=5)
        )
    elif kind == "private":
        PageViewRestriction.objects.create(
            page=article, restriction_type=PageViewRestriction.PASSWORD, password="s3cret"
        )
    return ArticlePage.objects.get(pk=article.pk)


@pytest.fixture(scope="module")
def newsroom(django_db_setup: None, django_db_blocker: Any) -> Iterator[Newsroom]:
    with rolled_back(django_db_blocker):
        home = home_page_ensure(title="Test Gazette")
        make_article = partial(article_create, home)
        body = f"<h2>Found</h2><p>A {WORD} was seen on the harbour wall.</p>"
        visible_too = make_article(f"Visible {WORD} follow-up", body=body, age=timedelta(hours=3))
        hidden = {kind: _hide(kind, make_article) for kind in HIDDEN_KINDS}
        visible = make_article(f"Visible {WORD} story", body=body, age=timedelta(hours=2))
        yield Newsroom(visible=visible, visible_too=visible_too, hidden=hidden)


def test_hidden_articles_are_in_the_states_they_claim(newsroom: Newsroom) -> None:
    hidden = newsroom.hidden
    assert not hidden["draft"].live and hidden["draft"].has_unpublished_changes
    assert not hidden["unpublished"].live
    scheduled = hidden["scheduled"]
    assert not scheduled.live
    assert scheduled.go_live_at is not None and scheduled.go_live_at > timezone.now()
    assert scheduled.revisions.filter(approved_go_live_at__isnull=False).exists()
    assert hidden["future-dated"].live
    expired = hidden["expired"]
    assert expired.live and expired.expire_at is not None and expired.expire_at < timezone.now()
    assert hidden["private"].live and hidden["private"].view_restrictions.exists()


def test_published_is_exactly_the_visible_articles(newsroom: Newsroom) -> None:
    published = set(ArticlePage.objects.published().values_list("pk", flat=True))
    assert published == {newsroom.visible.pk, newsroom.visible_too.pk}


@pytest.mark.parametrize("kind", HIDDEN_KINDS)
def test_published_excludes_each_hidden_kind(newsroom: Newsroom, kind: str) -> None:
    assert not ArticlePage.objects.published().filter(pk=newsroom.hidden[kind].pk).exists()


# Every list a reader (or a crawler, or a feed reader) sees.
SURFACES = [
    "/",
    "/topics/council/",
    "/authors/maya-okafor/",
    "/feed/rss/",
    "/feed/atom/",
    "/topics/council/feed/rss/",
    "/topics/council/feed/atom/",
    "/sitemap.xml",
    "/news-sitemap.xml",
    f"/search/?q={WORD}",
]


@pytest.mark.parametrize("url", SURFACES)
def test_no_surface_lists_a_hidden_article(client: Client, newsroom: Newsroom, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    # Sitemaps carry URLs, the other surfaces headlines: look for both.
    assert newsroom.visible.slug in text or newsroom.visible.title in text
    for kind, article in newsroom.hidden.items():
        assert article.title not in text, f"{kind} article listed on {url}"
        assert f"/{article.slug}/" not in text, f"{kind} article linked on {url}"
        # Nor its topic (the navigation is on every page) or its author.
        assert _secret_topic(kind) not in text, f"{kind} article's topic named on {url}"
        assert _secret_author(kind) not in text, f"{kind} article's author named on {url}"


def test_recent_articles_never_show_hidden_articles(client: Client, newsroom: Newsroom) -> None:
    document = parse_html(client.get("/").content)
    assert section_links(document, "recent-heading") == [
        newsroom.visible.title,
        newsroom.visible_too.title,
    ]


def test_related_stories_never_show_hidden_articles(client: Client, newsroom: Newsroom) -> None:
    # All seven articles share the topic "Council"; only the other visible one is related.
    document = parse_html(client.get(newsroom.visible.url).content)
    assert section_links(document, "related-heading") == [newsroom.visible_too.title]


@pytest.mark.parametrize("kind", ["draft", "unpublished", "scheduled", "future-dated", "expired"])
def test_unpublished_article_pages_are_not_served(
    client: Client, newsroom: Newsroom, kind: str
) -> None:
    article = newsroom.hidden[kind]
    assert client.get(f"/{article.slug}/").status_code == 404


def test_private_article_page_asks_for_the_password(client: Client, newsroom: Newsroom) -> None:
    response = client.get(f"/{newsroom.hidden['private'].slug}/")
    assert response.status_code == 200
    assert b"The quokka story nobody may read yet" not in response.content
    assert b'name="password"' in response.content


# --- Topics and authors: public only while they have a published article ------------------------

NAME_URLS = [
    "/topics/{topic}/",
    "/topics/{topic}/?page=2",
    "/topics/{topic}/feed/rss/",
    "/topics/{topic}/feed/atom/",
    "/authors/{author}/",
]


@pytest.mark.parametrize("url", NAME_URLS)
@pytest.mark.parametrize("kind", HIDDEN_KINDS)
def test_a_name_known_only_from_a_hidden_article_answers_like_an_unknown_one(
    client: Client, newsroom: Newsroom, kind: str, url: str
) -> None:
    topic, author = slugify(_secret_topic(kind)), slugify(_secret_author(kind))
    address = url.format(topic=topic, author=author)
    assert_answers_like_an_unknown_name(client, address, topic if "{topic}" in url else author)


@pytest.mark.parametrize("url", NAME_URLS)
def test_names_of_published_articles_answer(client: Client, newsroom: Newsroom, url: str) -> None:
    response = client.get(url.format(topic="council", author="maya-okafor"))
    assert response.status_code == 200


def test_the_public_topics_are_those_of_published_articles(newsroom: Newsroom) -> None:
    assert [topic.name for topic in selectors.topics_in_use()] == ["Council"]
    assert [topic.name for topic in selectors.public_topics()] == ["Council"]
    for kind in HIDDEN_KINDS:
        assert selectors.public_topic(slugify(_secret_topic(kind))) is None
        assert selectors.public_author(slugify(_secret_author(kind))) is None
    assert selectors.public_topic("council") is not None
    assert selectors.public_author("maya-okafor") is not None
