"""The public pages: home, article, topic, author, search, robots.txt and the 404 page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from newsdesk.news.models import ArticlePage, HomePage
from newsdesk.news.versioning import publication_changed
from tests.helpers import bulk_publish_articles, card_titles, parse_html, section_links
from tests.news.conftest import Clock

MakeArticle = Callable[..., ArticlePage]


# --- Home ----------------------------------------------------------------------------------------


def test_home_lists_the_newest_20_articles_then_pages(client: Client, home: HomePage) -> None:
    bulk_publish_articles(home, 25)  # "Archive story 1" is the newest, then 2, 3, ...
    first = card_titles(parse_html(client.get("/").content))
    second = card_titles(parse_html(client.get("/?page=2").content))
    assert first == [f"Archive story {n}" for n in range(1, 21)]
    assert second == [f"Archive story {n}" for n in range(21, 26)]


def test_home_links_to_the_next_page(client: Client, home: HomePage) -> None:
    bulk_publish_articles(home, 21)
    document = parse_html(client.get("/").content)
    assert document.find("a", rel="next").attrs["href"] == "?page=2"
    assert document.find("link", rel="canonical").attrs["href"] == "http://testserver/"


@pytest.mark.parametrize(
    "page", ["abc", "-1", "0", "999999", "9" * 10_000, "1e9", "2.0", "%00", "", "[]"]
)
def test_home_with_a_bad_page_number_shows_a_valid_page(
    client: Client, home: HomePage, page: str
) -> None:
    bulk_publish_articles(home, 21)
    response = client.get("/", {"page": page})
    assert response.status_code == 200
    assert len(card_titles(parse_html(response.content))) in (20, 1)


def test_home_without_articles_says_so(client: Client, home: HomePage) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "No articles yet." in response.content.decode()


def test_home_shows_standfirst_date_and_topic_on_cards(
    client: Client, make_article: MakeArticle
) -> None:
    make_article("Pier reopens", dek="After two years of repairs.", topics=("Harbour",))
    card = parse_html(client.get("/").content).find("article", class_="card")
    assert card.find("p", class_="card__text").clean_text == "After two years of repairs."
    assert card.find("p", class_="kicker").find("a").attrs["href"] == "/topics/harbour/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT.+", card.find("time").attrs["datetime"])


# --- Article -------------------------------------------------------------------------------------

LONG_BODY = (
    "<h2>The vote</h2><p>" + "word " * 300 + "</p>"
    "<h3>Who voted</h3><p>Most members.</p>"
    "<h2>The vote</h2><p>A second vote followed.</p>"
    "<h2>What next</h2><p>" + "word " * 200 + "</p>"
)


@pytest.fixture
def article(make_article: MakeArticle) -> ArticlePage:
    return make_article(
        "Council approves sea wall",
        body=LONG_BODY,
        dek="The £4m scheme starts in spring.",
        topics=("Council", "Environment"),
        authors=("Maya Okafor", "Tom Reed"),
        seo_title="Is the sea wall worth £4m?",
    )


def test_article_page_has_the_headline_as_h1(client: Client, article: ArticlePage) -> None:
    document = parse_html(client.get(article.url).content)
    assert [h1.clean_text for h1 in document.find_all("h1")] == ["Council approves sea wall"]


def test_article_title_tag_uses_the_seo_title(client: Client, article: ArticlePage) -> None:
    document = parse_html(client.get(article.url).content)
    assert document.find("title").clean_text.startswith("Is the sea wall worth £4m? |")


def test_article_title_tag_falls_back_to_the_headline(
    client: Client, make_article: MakeArticle
) -> None:
    article = make_article("Library hours extended")
    document = parse_html(client.get(article.url).content)
    assert document.find("title").clean_text.startswith("Library hours extended |")


def test_article_page_shows_dek_authors_date_topics_and_reading_time(
    client: Client, article: ArticlePage
) -> None:
    document = parse_html(client.get(article.url).content)
    header = document.find("header", class_="article__header")
    assert header.find("p", class_="dek").clean_text == "The £4m scheme starts in spring."
    byline = header.find("span", class_="byline")
    assert [a.clean_text for a in byline.find_all("a")] == ["Maya Okafor", "Tom Reed"]
    assert [a.attrs["href"] for a in byline.find_all("a")] == [
        "/authors/maya-okafor/",
        "/authors/tom-reed/",
    ]
    kicker = header.find("p", class_="kicker")
    assert [a.clean_text for a in kicker.find_all("a")] == ["Council", "Environment"]
    published = article.first_published_at
    assert published is not None
    # To the whole second: HTML allows at most three digits of a fraction.
    shown = datetime.fromisoformat(header.find("time").attrs["datetime"])
    assert shown == published.replace(microsecond=0)
    # About 520 words at 230 a minute: 3 minutes.
    assert "3 min read" in header.clean_text


def test_article_headings_get_stable_unique_ids(client: Client, article: ArticlePage) -> None:
    body = parse_html(client.get(article.url).content).find("div", class_="article__body")
    headings = [(h.tag, h.attrs.get("id"), h.clean_text) for h in body.iter() if h.tag[0] == "h"]
    assert headings == [
        ("h2", "the-vote", "The vote"),
        ("h3", "who-voted", "Who voted"),
        ("h2", "the-vote-2", "The vote"),
        ("h2", "what-next", "What next"),
    ]
    # The table of contents links to the same ids.
    toc = parse_html(client.get(article.url).content).find("nav", class_="toc")
    links = [a.attrs["href"] for a in toc.find_all("a")]
    assert links == ["#the-vote", "#the-vote-2", "#what-next"]


def test_article_page_has_recent_and_related_sections(
    client: Client, make_article: MakeArticle, article: ArticlePage
) -> None:
    related = make_article("Flood map updated", topics=("Environment",), age=timedelta(hours=3))
    unrelated = make_article("Rovers promoted", topics=("Sport",), age=timedelta(hours=2))
    document = parse_html(client.get(article.url).content)
    assert section_links(document, "related-heading") == [related.title]
    # Recent Articles: newest first, never the article being read.
    assert section_links(document, "recent-heading") == [unrelated.title, related.title]


def test_article_page_without_related_stories_says_so(client: Client, article: ArticlePage) -> None:
    document = parse_html(client.get(article.url).content)
    assert section_links(document, "related-heading") == []
    assert "No related stories yet." in client.get(article.url).content.decode()


# --- Topic and author pages ----------------------------------------------------------------------


def test_a_future_dated_article_answers_404_until_its_date_but_previews(
    client: Client, make_article: MakeArticle
) -> None:
    article = make_article("Budget vote tomorrow", age=timedelta(hours=2))
    assert client.get(article.url).status_code == 200
    # Live, but an editor moved its date to tomorrow: not published() yet. (Any save through
    # Wagtail raises the publication version, which retires the stored page: done here by hand
    # after the update that stands in for the editor.)
    ArticlePage.objects.filter(pk=article.pk).update(
        first_published_at=timezone.now() + timedelta(days=1)
    )
    publication_changed()
    assert client.get(article.url).status_code == 404
    # The editor's preview still shows it.
    preview = ArticlePage.objects.get(pk=article.pk).make_preview_request()
    assert preview.status_code == 200
    assert "Budget vote tomorrow" in preview.content.decode()
    # Once the date has come it is served again.
    ArticlePage.objects.filter(pk=article.pk).update(
        first_published_at=timezone.now() - timedelta(minutes=1)
    )
    publication_changed()
    assert client.get(article.url).status_code == 200


def test_an_article_past_its_expiry_answers_404_and_leaves_every_list(
    client: Client, make_article: MakeArticle, clock: Clock
) -> None:
    make_article("Still running", topics=("Council",), age=timedelta(hours=3))
    article = make_article("Road closed until noon", topics=("Roadworks",), authors=("Ana Ruiz",))
    # An editor set an expiry time an hour from now; publish_scheduled will not run in time.
    ArticlePage.objects.filter(pk=article.pk).update(expire_at=clock.now() + timedelta(hours=1))
    assert client.get(article.url).status_code == 200
    assert client.get("/topics/roadworks/").status_code == 200

    clock.advance(timedelta(hours=2))
    assert ArticlePage.objects.get(pk=article.pk).live  # nothing has un-lived it
    assert not ArticlePage.objects.published().filter(pk=article.pk).exists()
    assert client.get(article.url).status_code == 404
    # Lists shared by every page are cached for a minute of real time (versioning.ENTRY_SECONDS);
    # clearing the cache stands in for that minute.
    cache.clear()
    for url in ["/", "/feed/rss/", "/feed/atom/", "/sitemap.xml", "/news-sitemap.xml"]:
        response = client.get(url)
        assert response.status_code == 200
        assert article.title not in response.content.decode(), url
        assert f"/{article.slug}/" not in response.content.decode(), url
        assert "Roadworks" not in response.content.decode(), url
    assert client.get("/topics/roadworks/").status_code == 404
    assert client.get("/authors/ana-ruiz/").status_code == 404
    # The editor's preview still shows it.
    preview = ArticlePage.objects.get(pk=article.pk).make_preview_request()
    assert preview.status_code == 200


@pytest.mark.usefixtures("fresh_related_index")
def test_a_topic_and_author_become_public_when_their_first_article_is_published(
    client: Client, make_article: MakeArticle, django_capture_on_commit_callbacks: Any
) -> None:
    make_article("Something else", topics=("Council",))
    draft = make_article(
        "Takeover agreed", topics=("Takeover",), authors=("Ben Cole",), publish=False
    )
    assert client.get("/topics/takeover/").status_code == 404
    assert client.get("/authors/ben-cole/").status_code == 404
    assert "/topics/takeover/" not in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        revision = draft.get_latest_revision()
        assert revision is not None
        revision.publish()

    assert client.get("/topics/takeover/").status_code == 200
    assert client.get("/topics/takeover/feed/rss/").status_code == 200
    assert client.get("/authors/ben-cole/").status_code == 200
    assert 'href="/topics/takeover/"' in client.get("/").content.decode()


def test_topic_page_lists_its_articles(client: Client, make_article: MakeArticle) -> None:
    make_article("Rovers win", topics=("Sport",))
    make_article("Budget set", topics=("Council",))
    document = parse_html(client.get("/topics/sport/").content)
    assert document.find("h1").clean_text == "Sport"
    assert card_titles(document) == ["Rovers win"]


def test_author_page_lists_their_articles(client: Client, make_article: MakeArticle) -> None:
    make_article("By Ana", authors=("Ana Ruiz",))
    make_article("By Ben", authors=("Ben Cole",))
    document = parse_html(client.get("/authors/ana-ruiz/").content)
    assert document.find("h1").clean_text == "Ana Ruiz"
    assert card_titles(document) == ["By Ana"]


@pytest.mark.parametrize("url", ["/topics/no-such-topic/", "/authors/nobody/"])
def test_unknown_topic_or_author_is_404(client: Client, home: HomePage, url: str) -> None:
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/topics/sport/", "/authors/ana-ruiz/", "/search/"])
def test_list_pages_refuse_post(client: Client, make_article: MakeArticle, url: str) -> None:
    make_article("Rovers", topics=("Sport",), authors=("Ana Ruiz",))
    assert client.post(url).status_code == 405


def test_topic_page_pages_through_its_articles(client: Client, make_article: MakeArticle) -> None:
    seed = make_article("Seed", topics=("Sport",))
    bulk_publish_articles(HomePage.objects.get(), 20, topics=list(seed.topics.all()))
    first = card_titles(parse_html(client.get("/topics/sport/").content))
    second = card_titles(parse_html(client.get("/topics/sport/?page=2").content))
    assert len(first) == 20 and first[0] == "Seed"
    assert len(second) == 1 and second[0] not in first


# --- Read-only pages -----------------------------------------------------------------------------

READ_ONLY_PAGES = [
    "/",
    "{article}",
    "/topics/sport/",
    "/authors/ana-ruiz/",
    "/search/",
    "/robots.txt",
]


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", READ_ONLY_PAGES)
def test_public_pages_answer_only_get_and_head(
    client: Client, make_article: MakeArticle, url: str, method: str
) -> None:
    article = make_article("Rovers", topics=("Sport",), authors=("Ana Ruiz",))
    address = url.format(article=article.url)
    response = client.generic(method, address)
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
    assert client.get(address).status_code == 200
    assert client.head(address).status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "PUT", "DELETE"])
def test_uploaded_files_answer_only_get_and_head(
    client: Client, home: HomePage, settings: Any, method: str
) -> None:
    # The article pages' pictures, served from MEDIA_ROOT on a single-machine install.
    picture = Path(settings.MEDIA_ROOT) / "original_images" / "read-only-check.txt"
    picture.parent.mkdir(parents=True, exist_ok=True)
    picture.write_text("picture")
    url = "/media/original_images/read-only-check.txt"
    try:
        response = client.generic(method, url)
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"
        assert client.get(url).status_code == 200
    finally:
        picture.unlink()


# --- Search --------------------------------------------------------------------------------------


def test_search_finds_headlines_and_bodies(client: Client, make_article: MakeArticle) -> None:
    make_article("Lighthouse keeper retires", age=timedelta(hours=2))
    make_article("Harbour news", body="<p>The lighthouse lamp is lit again.</p>")
    make_article("Rovers win", body="<p>Nothing about the coast.</p>")
    found = card_titles(parse_html(client.get("/search/", {"q": "lighthouse"}).content))
    assert sorted(found) == ["Harbour news", "Lighthouse keeper retires"]


def test_search_ignores_punctuation_around_words(client: Client, make_article: MakeArticle) -> None:
    make_article("Lighthouse keeper retires")
    found = card_titles(parse_html(client.get("/search/", {"q": '"lighthouse keeper'}).content))
    assert found == ["Lighthouse keeper retires"]


def test_search_without_results_says_so(client: Client, make_article: MakeArticle) -> None:
    make_article("Rovers win")
    response = client.get("/search/", {"q": "zeppelin"})
    assert response.status_code == 200
    assert "No articles match your search." in response.content.decode()


def test_search_page_without_a_query_shows_the_form(client: Client, home: HomePage) -> None:
    document = parse_html(client.get("/search/").content)
    assert document.find("input", id="search-page-q").attrs["value"] == ""
    assert card_titles(document) == []


HOSTILE_QUERIES = [
    '"',
    '"unbalanced',
    "'; DROP TABLE news_articlepage; --",
    "lighthouse AND",
    "OR",
    "NOT lighthouse",
    "NEAR(a b)",
    "light*",
    "*",
    "^lighthouse",
    "title:lighthouse",
    "(((",
    ")",
    "a -b +c",
    "{col}:x",
    "x" * 10_240,
    "lighthouse\x00keeper",
    "\x00",
    "мост über 灯台 🚢",
    "\u202egnirts",
    "%",
    "\\",
    "<script>alert(1)</script>",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES, ids=range(len(HOSTILE_QUERIES)))
def test_search_with_a_hostile_query_answers(
    client: Client, make_article: MakeArticle, query: str
) -> None:
    make_article("Lighthouse keeper retires")
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_search_echoes_the_query_escaped(client: Client, home: HomePage) -> None:
    response = client.get("/search/", {"q": '<b onmouseover="x">"bold"'})
    document = parse_html(response.content)
    assert document.find("input", id="search-page-q").attrs["value"] == '<b onmouseover="x">"bold"'
    assert "<b onmouseover" not in response.content.decode()


def test_search_results_cost_the_same_queries_for_few_and_many(
    client: Client, make_article: MakeArticle
) -> None:
    def count(url: str) -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries.captured_queries)

    for n in range(2):
        make_article(f"Kelp farm {n}", topics=(f"Topic {n}",))
    few = count("/search/?q=kelp")
    for n in range(2, 14):
        make_article(f"Kelp farm {n}", topics=(f"Topic {n}",))
    assert count("/search/?q=kelp") == few


# --- robots.txt and errors -----------------------------------------------------------------------


def test_robots_txt_points_to_the_sitemaps(client: Client, home: HomePage) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "User-agent: *" in lines
    assert "Disallow: /admin/" in lines
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Sitemap: http://testserver/news-sitemap.xml" in lines


def test_unknown_page_shows_the_404_page(client: Client, make_article: MakeArticle) -> None:
    make_article("Still listed in the sidebar")
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    document = parse_html(response.content)
    assert document.find("h1").clean_text == "Page not found"
    assert section_links(document, "recent-heading") == ["Still listed in the sidebar"]


def test_pages_say_their_language_and_link_the_newsletter_archive(
    client: Client, make_article: Any
) -> None:
    page = client.get(make_article("Harbour news").url).content.decode()
    assert '<html lang="en-gb">' in page  # LANGUAGE_CODE, not a bare "en"
    assert '<a href="/newsletter/">past newsletters</a>' in page
