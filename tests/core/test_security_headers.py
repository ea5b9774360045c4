"""Security headers on public pages (Django's settings plus newsdesk's middleware)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from newsdesk.news.models import ArticlePage


@pytest.fixture
def article(make_article: Callable[..., ArticlePage]) -> ArticlePage:
    return make_article("Headers story", topics=("Council",), authors=("Ana Ruiz",))


def _policy(header: str) -> dict[str, str]:
    directives = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: value for name, value in directives}


PUBLIC = [
    "/",
    "ARTICLE",
    "/topics/council/",
    "/authors/ana-ruiz/",
    "/search/?q=x",
    "/feed/rss/",
    "/robots.txt",
    "/sitemap.xml",
    "/no-such-page/",
]


@pytest.mark.parametrize("url", PUBLIC)
def test_public_pages_send_the_security_headers(
    client: Client, article: ArticlePage, url: str
) -> None:
    response = client.get(article.url if url == "ARTICLE" else url)
    assert response.status_code in (200, 404)
    policy = _policy(response["Content-Security-Policy"])
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]


def test_public_pages_load_nothing_from_other_hosts(client: Client, article: ArticlePage) -> None:
    html = client.get(article.url).content.decode()
    for attribute in ('src="http', "src='http", 'href="//', 'src="//'):
        assert attribute not in html
    stylesheets = [line for line in html.splitlines() if 'rel="stylesheet"' in line]
    assert stylesheets and all('href="/static/' in line for line in stylesheets)


def test_admin_keeps_framing_forbidden_but_allows_its_scripts(client: Client, home: object) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    policy = _policy(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == "'none'"
    assert "script-src" not in policy  # Wagtail's admin needs its inline scripts
    assert response["X-Frame-Options"] == "DENY"


def test_an_editors_preview_may_be_framed_by_the_editor_only(
    client: Client, article: ArticlePage
) -> None:
    """A review found the editor's live preview blank: every response forbade framing, so
    Wagtail's preview panel (and its Checks panel) showed nothing."""
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("ed", "ed@example.org", "pw"))
    preview = client.get(f"/admin/pages/{article.pk}/view_draft/")
    assert preview.status_code == 200
    assert article.title in preview.content.decode()
    policy = preview["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "script-src 'self'" in policy
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    # The editor itself, and the public page, still refuse any frame.
    editor = client.get(f"/admin/pages/{article.pk}/edit/")
    assert "frame-ancestors 'none'" in editor["Content-Security-Policy"]
    public = client.get(article.url)
    assert "frame-ancestors 'none'" in public["Content-Security-Policy"]
    assert public["X-Frame-Options"] == "DENY"
