"""A reader's path through the demo publication in a real Chromium against ``newsdesk serve``."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_run, axe_violations, blocking, describe
from tests.e2e.conftest import RequestLog

pytestmark = pytest.mark.e2e

_WORD = re.compile(r"[A-Za-z]{6,}")


def _first_article_url(page: Any, base: str) -> str:
    page.goto(base + "/")
    return str(page.locator("main .card__title a").first.get_attribute("href"))


def _article_with_toc(page: Any, base: str) -> str:
    """The first article on the home page long enough to have a table of contents."""
    page.goto(base + "/")
    hrefs = page.locator("main .card__title a").evaluate_all("links => links.map(a => a.href)")
    for href in hrefs:
        page.goto(href)
        if page.get_by_role("navigation", name="In this article").count():
            return str(href)
    pytest.fail("no article on the home page has a table of contents")


@pytest.mark.e2e
def test_home_to_article_shows_headline_sections_recent_and_related(
    live_server_url: str, page: Any
) -> None:
    page.goto(live_server_url + "/")
    first = page.locator("main .card__title a").first
    headline = first.inner_text().strip()
    first.click()
    page.wait_for_load_state()
    article_path = urlsplit(page.url).path
    assert article_path != "/"

    h1 = page.get_by_role("heading", level=1)
    assert h1.count() == 1
    assert h1.inner_text().strip() == headline

    sections = page.locator(".article__body h2[id]")
    assert sections.count() >= 2
    ids = sections.evaluate_all("headings => headings.map(h => h.id)")
    assert all(ids) and len(set(ids)) == len(ids)

    recent = page.get_by_role("region", name="Recent Articles")
    recent_links = recent.get_by_role("link")
    assert recent_links.count() == 5
    recent_paths = [
        urlsplit(href).path for href in recent_links.evaluate_all("links => links.map(a => a.href)")
    ]
    assert article_path not in recent_paths

    related = page.get_by_role("region", name="Related Stories")
    assert related.get_by_role("link").count() >= 1
    related_paths = [
        urlsplit(href).path
        for href in related.get_by_role("link").evaluate_all("links => links.map(a => a.href)")
    ]
    assert article_path not in related_paths


@pytest.mark.e2e
def test_table_of_contents_links_jump_to_sections(live_server_url: str, page: Any) -> None:
    _article_with_toc(page, live_server_url)
    toc_links = page.get_by_role("navigation", name="In this article").get_by_role("link")
    assert toc_links.count() >= 3
    for index in (1, toc_links.count() - 1):
        link = toc_links.nth(index)
        anchor = str(link.get_attribute("href"))
        assert anchor.startswith("#")
        target = page.locator(f"[id='{anchor[1:]}']")
        assert target.count() == 1
        assert target.evaluate("el => el.tagName") == "H2"
        assert target.inner_text().strip() == link.inner_text().strip()
        link.click()
        page.wait_for_url(re.compile(re.escape(anchor) + "$"))
        # The theme scrolls smoothly (unless the reader prefers reduced motion): wait for it.
        expect(target).to_be_in_viewport(ratio=1)
    # A section in the middle of the article ends up at the top of the viewport.
    middle = page.locator(f"[id='{str(toc_links.nth(1).get_attribute('href'))[1:]}']")
    toc_links.nth(1).click()
    page.wait_for_function(
        "el => Math.abs(el.getBoundingClientRect().top) < 80", arg=middle.element_handle()
    )


@pytest.mark.e2e
def test_topic_navigation_lists_articles_of_that_topic(live_server_url: str, page: Any) -> None:
    page.goto(live_server_url + "/")
    topic_links = page.get_by_role("navigation", name="Topics").get_by_role("link")
    assert topic_links.count() >= 5
    link = topic_links.nth(1)
    name = link.inner_text().strip()
    link.click()
    page.wait_for_url(re.compile(r"/topics/[\w-]+/$"))

    assert name in page.get_by_role("heading", level=1).inner_text()
    current = page.get_by_role("navigation", name="Topics").locator("[aria-current='page']")
    assert current.inner_text().strip() == name
    cards = page.locator("main .card")
    assert cards.count() >= 1
    for kicker in cards.locator(".kicker").all_text_contents():
        assert name in kicker


@pytest.mark.e2e
def test_search_finds_an_article_by_a_word_from_its_body(live_server_url: str, page: Any) -> None:
    article_url = _first_article_url(page, live_server_url)
    page.goto(live_server_url + article_url)
    headline = page.get_by_role("heading", level=1).inner_text().strip()
    body = page.locator(".article__body p").all_inner_texts()
    # A word that is in the body but not the headline, and rare enough to find this article.
    words = Counter(w.lower() for w in _WORD.findall(" ".join(body)))
    in_headline = {w.lower() for w in _WORD.findall(headline)}
    candidates = [w for w, _ in words.most_common() if w not in in_headline]
    assert candidates
    word = max(candidates, key=len)

    page.goto(live_server_url + "/")
    search = page.get_by_role("search").first
    search.get_by_role("searchbox").fill(word)
    search.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search/\?q="))

    assert word in page.get_by_role("heading", name=re.compile("Results for")).inner_text()
    result_paths = [
        urlsplit(href).path
        for href in page.locator("main .card__title a").evaluate_all(
            "links => links.map(a => a.href)"
        )
    ]
    assert article_url in result_paths, f"searching {word!r} did not find {article_url}"


def _public_pages(page: Any, base: str) -> dict[str, str]:
    page.goto(base + "/")
    article = str(page.locator("main .card__title a").first.get_attribute("href"))
    topic_nav = page.get_by_role("navigation", name="Topics")
    topic = str(topic_nav.get_by_role("link").first.get_attribute("href"))
    return {
        "home": "/",
        "article": article,
        "topic": topic,
        "search": "/search/?q=harbour",
    }


PAGE_KINDS = ["home", "article", "topic", "search"]


@pytest.mark.e2e
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_axe_finds_no_serious_or_critical_violations(
    live_server_url: str, page: Any, kind: str
) -> None:
    path = _public_pages(page, live_server_url)[kind]
    page.goto(live_server_url + path)
    violations = axe_violations(page)
    if violations:
        print(f"axe on {path}:\n{describe(violations)}")
    assert not blocking(violations), describe(blocking(violations))


@pytest.mark.e2e
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_dark_mode_passes_axe_colour_contrast(
    live_server_url: str, dark_page: Any, kind: str
) -> None:
    path = _public_pages(dark_page, live_server_url)[kind]
    dark_page.goto(live_server_url + path)
    assert dark_page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    background = dark_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(253, 252, 249)", "the dark palette was not applied"
    results = axe_run(dark_page)
    violations = results["violations"]
    # The rule ran and checked text on the page (it would "pass" vacuously on an empty page).
    assert any(rule["id"] == "color-contrast" and rule["nodes"] for rule in results["passes"])
    if violations:
        print(f"axe (dark) on {path}:\n{describe(violations)}")
    contrast = [v for v in violations if v["id"] == "color-contrast"]
    assert not contrast, describe(contrast)
    assert not blocking(violations), describe(blocking(violations))


@pytest.mark.e2e
def test_axe_harness_reports_a_contrast_failure(live_server_url: str, page: Any) -> None:
    """The axe checks above can fail: grey-on-white text added to a real page is caught."""
    page.goto(live_server_url + "/")
    page.evaluate(
        """() => {
            const p = document.createElement("p");
            p.textContent = "Barely visible";
            p.style.cssText = "color:#c8c8c8;background:#ffffff";
            document.querySelector("main").prepend(p);
        }"""
    )
    violations = axe_violations(page, rules=["color-contrast"])
    assert [v["id"] for v in blocking(violations)] == ["color-contrast"]


@pytest.mark.e2e
def test_pages_make_no_request_off_loopback(
    live_server_url: str, page_and_requests: tuple[Any, RequestLog]
) -> None:
    page, requests = page_and_requests
    paths = _public_pages(page, live_server_url)
    for path in paths.values():
        page.goto(live_server_url + path)
        page.wait_for_load_state("networkidle")
    assert len(requests.urls) >= len(paths)
    assert any(url.endswith(".css") for url in requests.urls), "the stylesheet was not loaded"
    assert not requests.off_loopback(), requests.off_loopback()


@pytest.mark.e2e
def test_site_works_without_javascript(live_server_url: str, page_without_js: Any) -> None:
    page = page_without_js
    page.goto(live_server_url + "/")
    assert page.locator("script:not([type='application/ld+json'])").count() == 0
    page.locator("main .card__title a").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).count() == 1
    assert page.get_by_role("region", name="Recent Articles").get_by_role("link").count() == 5

    search = page.get_by_role("search").first
    search.get_by_role("searchbox").fill("harbour")
    search.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/search/\?q=harbour"))
    assert page.locator("main .card").count() >= 1
