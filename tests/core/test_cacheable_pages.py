"""Anonymous readers' pages carry no cookie and do not vary on one, so a proxy or CDN may
store them: the signup form on every page needs no CSRF cookie (it checks the request's
origin instead, newsletter/subscriptions/origins.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from newsdesk.news.models import ArticlePage
from newsdesk.news.services import ArticleInput, plain_page_save

PUBLIC = [
    "/",
    "/?page=2",
    "ARTICLE",
    "/about/",
    "/topics/council/",
    "/authors/ana-ruiz/",
    "/search/?q=harbour",
    "/feed/rss/",
    "/feed/atom/",
    "/topics/council/feed/",
    "/sitemap.xml",
    "/news-sitemap.xml",
    "/robots.txt",
    "/subscribe/",
    "/subscribe/thanks/",
    "/no-such-page/",
]


@pytest.fixture
def article(make_article: Callable[..., ArticlePage]) -> ArticlePage:
    plain_page_save(
        data=ArticleInput(title="About", body_html="<p>Us.</p>", slug="about"), publish=True
    )
    return make_article("Harbour story", topics=("Council",), authors=("Ana Ruiz",))


@pytest.mark.parametrize("url", PUBLIC)
def test_an_anonymous_reader_gets_no_cookie_and_no_vary_on_cookies(
    client: Client, article: ArticlePage, url: str
) -> None:
    response = client.get(article.url if url == "ARTICLE" else url)
    assert response.status_code in (200, 404), response.status_code
    assert not response.cookies, response.cookies
    assert "cookie" not in response.get("Vary", "").lower(), response["Vary"]
    if response.status_code == 200 and "html" in response["Content-Type"]:
        assert "csrfmiddlewaretoken" not in response.content.decode()
