"""Whole pages for anonymous readers: stored once, answered without rendering, retired by any
publish, never for editors, never with a cookie; ETag and 304; expiry honoured."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from newsdesk.news import versioning
from newsdesk.news.models import ArticlePage
from newsdesk.news.page_cache import HIT_HEADER
from newsdesk.news.services import ArticleInput, article_save

pytestmark = pytest.mark.django_db

MakeArticle = Callable[..., ArticlePage]


def test_the_second_anonymous_visit_is_answered_from_the_cache_without_a_query(
    client: Client, make_article: MakeArticle, django_assert_max_num_queries: Any
) -> None:
    article = make_article("Harbour story", topics=("Council",))
    first = client.get(article.url)
    assert first[HIT_HEADER] == "miss"
    with django_assert_max_num_queries(1):  # at most the publication version's check
        again = client.get(article.url)
    assert again[HIT_HEADER] == "hit"
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == first["Content-Type"]
    # The security headers are added around the cache, on hits too.
    assert "default-src 'self'" in again["Content-Security-Policy"]
    directives = {part.strip() for part in again["Cache-Control"].split(",")}
    assert directives == {"public", "max-age=0", "s-maxage=10", "stale-while-revalidate=30"}
    assert not again.cookies


def test_a_conditional_get_is_answered_304(client: Client, make_article: MakeArticle) -> None:
    article = make_article("Conditional story")
    etag = client.get(article.url)["ETag"]
    unchanged = client.get(article.url, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert client.get(article.url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_publish_retires_every_stored_page(
    client: Client, make_article: MakeArticle, django_capture_on_commit_callbacks: Any
) -> None:
    make_article("First story")
    assert client.get("/")[HIT_HEADER] == "miss"
    assert client.get("/")[HIT_HEADER] == "hit"
    # The version is raised once the publish has committed.
    with django_capture_on_commit_callbacks(execute=True):
        article_save(
            data=ArticleInput(
                title="Breaking story", body_html="<p>News.</p>", published_at=timezone.now()
            ),
            publish=True,
        )
    versioning.forget()  # another thread's view of the version, at its next check
    fresh = client.get("/")
    assert fresh[HIT_HEADER] == "miss"
    assert "Breaking story" in fresh.content.decode()


def test_editors_always_get_a_fresh_page(client: Client, make_article: MakeArticle) -> None:
    article = make_article("Editors' story")
    client.get(article.url)
    editor = get_user_model().objects.create_user("ed", password="x" * 12)
    client.force_login(editor)
    response = client.get(article.url)
    assert HIT_HEADER not in response


@pytest.mark.parametrize(
    "url", ["/newsletter/confirm/not-a-token/", "/no-such-page/", "/healthz", "/admin/login/"]
)
def test_pages_that_are_not_for_everyone_are_not_stored(client: Client, url: str) -> None:
    client.get(url)
    assert HIT_HEADER not in client.get(url)


def test_an_article_is_not_served_from_the_cache_past_its_expiry(
    client: Client, make_article: MakeArticle, clock: Any
) -> None:
    article = make_article("Road closed until noon")
    ArticlePage.objects.filter(pk=article.pk).update(expire_at=clock.now() + timedelta(hours=1))
    client.get(article.url)
    assert client.get(article.url)[HIT_HEADER] == "hit"
    clock.advance(timedelta(hours=2))
    assert client.get(article.url).status_code == 404


def test_post_and_head_are_never_answered_from_the_cache(client: Client) -> None:
    client.get("/subscribe/")
    assert client.get("/subscribe/")[HIT_HEADER] == "hit"
    assert HIT_HEADER not in client.head("/subscribe/")
    posted = client.post("/subscribe/", {"email": "not an address"})
    assert posted.status_code == 400 and HIT_HEADER not in posted
