"""Canonical links, Open Graph and Twitter meta, JSON-LD (NewsArticle, Organization), and that a
hostile headline stays text everywhere it appears."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import pytest
from django.test import Client

from newsdesk.news.models import ArticlePage
from newsdesk.news.seo import json_ld
from newsdesk.news.services import home_page_ensure
from tests.helpers import (
    Element,
    article_create,
    card_titles,
    json_ld_graphs,
    meta_content,
    parse_html,
    rolled_back,
)

pytestmark = pytest.mark.django_db

HOSTILE = 'Vote "yes" & <win> </script><script>alert(1)</script>'


@dataclass(frozen=True)
class Pages:
    article: ArticlePage
    hostile: ArticlePage
    anonymous: ArticlePage


@pytest.fixture(scope="module")
def pages(django_db_setup: None, django_db_blocker: Any) -> Iterator[Pages]:
    with rolled_back(django_db_blocker):
        make = partial(article_create, home_page_ensure(title="SEO Gazette"))
        article = make(
            "Ferry fares frozen",
            dek="Operator holds prices for a year.",
            authors=("Ana Ruiz", "Ben Cole"),
            topics=("Transport",),
            seo_title="Will ferry fares rise?",
            age=timedelta(hours=5),
        )
        hostile = make(HOSTILE, dek=HOSTILE, authors=(HOSTILE[:60],), topics=(HOSTILE[:60],))
        anonymous = make("No byline", authors=(), age=timedelta(hours=8))
        yield Pages(article=article, hostile=hostile, anonymous=anonymous)


def _page(client: Client, url: str) -> tuple[str, Element]:
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    return text, parse_html(text)


def _graph_items(document: Element) -> dict[str, dict[str, Any]]:
    (graph,) = json_ld_graphs(document)
    assert graph["@context"] == "https://schema.org"
    return {item["@type"]: item for item in graph["@graph"]}


def test_article_has_a_canonical_link_to_site_url(client: Client, pages: Pages) -> None:
    _, document = _page(client, pages.article.url)
    canonical = document.find("link", rel="canonical").attrs["href"]
    assert canonical == f"http://testserver/{pages.article.slug}/"


def test_canonical_ignores_the_host_header_and_query(client: Client, pages: Pages) -> None:
    response = client.get(pages.article.url + "?utm_source=x", headers={"host": "localhost"})
    document = parse_html(response.content)
    canonical = document.find("link", rel="canonical").attrs["href"]
    assert canonical == f"http://testserver/{pages.article.slug}/"


def test_article_has_open_graph_and_twitter_meta(client: Client, pages: Pages) -> None:
    _, document = _page(client, pages.article.url)
    assert meta_content(document, "og:type") == "article"
    assert meta_content(document, "og:title") == "Ferry fares frozen"
    assert meta_content(document, "og:description") == "Operator holds prices for a year."
    assert meta_content(document, "og:url") == f"http://testserver/{pages.article.slug}/"
    assert meta_content(document, "article:section") == "Transport"
    published = pages.article.first_published_at
    assert published is not None
    shown = datetime.fromisoformat(meta_content(document, "article:published_time"))
    assert shown == published.replace(microsecond=0)
    assert meta_content(document, "twitter:card") == "summary"
    assert meta_content(document, "twitter:title") == "Ferry fares frozen"


def test_news_article_json_ld(client: Client, pages: Pages) -> None:
    _, document = _page(client, pages.article.url)
    items = _graph_items(document)
    article = items["NewsArticle"]
    assert article["headline"] == "Ferry fares frozen"
    assert article["url"] == f"http://testserver/{pages.article.slug}/"
    assert article["description"] == "Operator holds prices for a year."
    published, modified = pages.article.first_published_at, pages.article.last_published_at
    assert published is not None and modified is not None
    assert article["datePublished"] == published.isoformat()
    assert article["dateModified"] == modified.isoformat()
    assert article["author"] == [
        {"@type": "Person", "name": "Ana Ruiz", "url": "http://testserver/authors/ana-ruiz/"},
        {"@type": "Person", "name": "Ben Cole", "url": "http://testserver/authors/ben-cole/"},
    ]
    organization = items["NewsMediaOrganization"]
    assert article["publisher"] == {"@id": organization["@id"]}
    assert organization["url"] == "http://testserver/"
    assert organization["name"]


def test_article_without_authors_is_credited_to_the_publication(
    client: Client, pages: Pages
) -> None:
    _, document = _page(client, pages.anonymous.url)
    article = _graph_items(document)["NewsArticle"]
    assert [author["@type"] for author in article["author"]] == ["Organization"]


def test_home_page_has_organization_json_ld(client: Client, pages: Pages) -> None:
    _, document = _page(client, "/")
    items = _graph_items(document)
    assert set(items) == {"NewsMediaOrganization"}
    assert document.find("link", rel="canonical").attrs["href"] == "http://testserver/"


def test_hostile_headline_cannot_leave_the_json_ld_block(client: Client, pages: Pages) -> None:
    text, document = _page(client, pages.hostile.url)
    # The only <script> elements are the JSON-LD block: the headline opened none.
    scripts = document.find_all("script")
    assert [script.attrs.get("type") for script in scripts] == ["application/ld+json"]
    assert "<script>alert(1)" not in text
    # And the JSON still says exactly what the editor typed.
    article = _graph_items(document)["NewsArticle"]
    assert article["headline"] == HOSTILE
    assert article["description"] == HOSTILE


def test_hostile_headline_is_text_everywhere_in_the_page(client: Client, pages: Pages) -> None:
    text, document = _page(client, pages.hostile.url)
    assert "<win>" not in text
    assert document.find("h1").clean_text == " ".join(HOSTILE.split())
    assert document.find("title").text.startswith(HOSTILE)
    assert meta_content(document, "og:title") == HOSTILE
    assert meta_content(document, "twitter:title") == HOSTILE
    assert document.find("p", class_="dek").text == HOSTILE
    assert document.find("a", rel="author").text == HOSTILE[:60].strip()


@pytest.mark.parametrize("where", ["home", "topic", "author", "search", "feed"])
def test_hostile_headline_is_escaped_in_lists(client: Client, pages: Pages, where: str) -> None:
    topic, author = pages.hostile.topics.get(), pages.hostile.authors.get()
    url = {
        "home": "/",
        "topic": f"/topics/{topic.slug}/",
        "author": f"/authors/{author.slug}/",
        "search": "/search/?q=vote",
        "feed": "/feed/atom/",
    }[where]
    text = client.get(url).content.decode()
    assert "<script>alert(1)" not in text
    assert "<win>" not in text
    if where != "feed":
        assert HOSTILE in card_titles(parse_html(text))


def test_json_ld_escapes_markup_characters() -> None:
    text = json_ld({"name": "</script><!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["@graph"] == [{"name": "</script><!-- & -->"}]
