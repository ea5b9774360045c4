"""Plain pages ("About", "Contact"): served at /<slug>/ beside the articles, linked in every
footer while live and in the menus, written by ``plain_page_save`` for imports."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from newsdesk.news import selectors
from newsdesk.news.models import ArticlePage, HomePage, PlainPage
from newsdesk.news.services import ArticleInput, plain_page_save

ABOUT = ArticleInput(
    title="About the Gazette",
    seo_title="About us",
    body_html="<h2>Who we are</h2><p>A newsroom on the river.</p><h2>Contact</h2><p>Write.</p>",
    slug="about",
    source="test",
    external_id="page-1",
)


def test_a_published_plain_page_is_served_at_its_slug(client: Client, home: HomePage) -> None:
    page, result = plain_page_save(data=ABOUT, publish=True, home=home)
    assert result == "created"
    response = client.get("/about/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="headline">About the Gazette</h1>' in html
    assert "<title>About us | " in html
    assert 'id="who-we-are"' in html  # headed sections, as in an article body
    assert "A newsroom on the river." in html
    # Not an article: no byline, date, reading time or Related Stories.
    assert "Related Stories" not in html
    assert "min read" not in html
    assert page.url == "/about/"


def test_a_draft_plain_page_answers_404(client: Client, home: HomePage) -> None:
    plain_page_save(data=ABOUT, publish=False, home=home)
    assert client.get("/about/").status_code == 404


def test_a_plain_page_answers_only_get_and_head(client: Client, home: HomePage) -> None:
    plain_page_save(data=ABOUT, publish=True, home=home)
    assert client.head("/about/").status_code == 200
    for method in (client.post, client.put, client.delete):
        assert method("/about/").status_code == 405


def test_articles_are_still_found_beside_plain_pages(
    client: Client, home: HomePage, make_article: Callable[..., ArticlePage]
) -> None:
    plain_page_save(data=ABOUT, publish=True, home=home)
    article = make_article("River wall vote")
    assert client.get(article.url).status_code == 200
    assert client.get("/no-such-page/").status_code == 404


def test_a_plain_page_and_an_article_never_share_a_slug(
    home: HomePage, make_article: Callable[..., ArticlePage]
) -> None:
    article = make_article("About")
    assert article.slug == "about"
    page, _ = plain_page_save(data=ABOUT, publish=True, home=home)
    assert page.slug == "about-2"


def test_the_footer_links_live_plain_pages_in_the_menus(
    client: Client, home: HomePage, django_capture_on_commit_callbacks: Any
) -> None:
    page, _ = plain_page_save(data=ABOUT, publish=True, home=home)
    assert '<a href="/about/">About the Gazette</a>' in client.get("/").content.decode()
    # Taken out of the menus, it leaves the footer at once (the publish bumps the version).
    page.show_in_menus = False
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert "/about/" not in client.get("/").content.decode()
    page.show_in_menus = True
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert "/about/" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        PlainPage.objects.get(pk=page.pk).unpublish()
    assert "/about/" not in client.get("/").content.decode()


def test_the_footer_lists_at_most_a_dozen_pages_in_tree_order(home: HomePage) -> None:
    for n in range(selectors.MAX_FOOTER_PAGES + 3):
        data = ArticleInput(
            title=f"Page {n:02d}", body_html="<p>Text.</p>", source="test", external_id=f"p{n}"
        )
        plain_page_save(data=data, publish=True, home=home)
    titles = [page.title for page in selectors.footer_pages()]
    assert titles == [f"Page {n:02d}" for n in range(selectors.MAX_FOOTER_PAGES)]


def test_saving_the_same_page_again_is_skipped_and_a_change_updates(home: HomePage) -> None:
    page, _ = plain_page_save(data=ABOUT, publish=True, home=home)
    assert plain_page_save(data=ABOUT, publish=True, home=home) == (page, "skipped")
    changed = ArticleInput(**{**ABOUT.__dict__, "body_html": "<p>Moved downstream.</p>"})
    again, result = plain_page_save(data=changed, publish=True, home=home)
    assert (again.pk, result) == (page.pk, "updated")
    assert PlainPage.objects.get().body == "<p>Moved downstream.</p>"


def test_a_draft_page_published_by_a_later_save_is_updated(home: HomePage) -> None:
    plain_page_save(data=ABOUT, publish=False, home=home)
    page, result = plain_page_save(data=ABOUT, publish=True, home=home)
    assert result == "updated"
    assert PlainPage.objects.get(pk=page.pk).live


@pytest.mark.parametrize("slug", ["admin", "search", "topics", "newsletter"])
def test_a_plain_page_cannot_take_a_slug_the_site_uses(home: HomePage, slug: str) -> None:
    page = PlainPage(title="Clash", slug=slug, body="<p>x</p>")
    with pytest.raises(ValidationError, match="used by the site itself"):
        page.full_clean()


def test_the_home_page_accepts_plain_pages_as_children() -> None:
    assert PlainPage in HomePage.allowed_subpage_models()
    assert HomePage in PlainPage.allowed_parent_page_models()
