"""What feeds carry for each article field: text that stays text, bodies as sanitised HTML."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from newsdesk.news.feed_markup import bodies_as_html, rss_title, text_as_html
from newsdesk.news.models import ArticlePage
from tests.helpers import active_markup, parse_html

MakeArticle = Callable[..., ArticlePage]
HOSTILE = [
    '<a href="javascript:alert(1)">x</a>',
    "<script>alert(2)</script>",
    '<b onmouseover="alert(3)">bold</b>',
    "&lt;already escaped&gt; &amp; more",
    "Fish & chips < 5 > 3",
]


def _links(markup: str) -> list[str]:
    return [a.attrs.get("href", "") for a in parse_html(markup).find_all("a")]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_as_html_shows_every_character_as_itself(text: str) -> None:
    markup = text_as_html(text)
    document = parse_html(markup)
    assert list(document.iter()) == []  # no element at all: only text
    assert document.text == text


@pytest.mark.parametrize("text", HOSTILE)
def test_rss_title_reads_as_typed_whether_a_reader_takes_it_as_html(text: str) -> None:
    title = rss_title(text)
    if "<" in text:
        assert list(parse_html(title).iter()) == []
        assert parse_html(title).text == text
    else:
        assert title == text  # nothing that could be markup: left alone for text readers


@pytest.mark.parametrize("title", ["AT&T buys the pier", "Fish & chips: “best” in town", "Plain"])
def test_rss_title_leaves_headlines_without_markup_alone(title: str) -> None:
    assert rss_title(title) == title


def test_bodies_are_sanitised() -> None:
    body = (
        '<p onclick="alert(1)">Said: &lt;a href="javascript:alert(2)"&gt;quoted&lt;/a&gt;</p>'
        '<script>alert(3)</script><p><a href="JaVaScRiPt:alert(4)">bad</a>'
        '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>'
        '<img src="x" onerror="alert(5)"><a href="https://example.org/" title="t">fine</a></p>'
    )
    [cleaned] = bodies_as_html([body], ["http://testserver/story/"])
    assert active_markup(cleaned) == []
    assert "alert(3)" not in cleaned
    assert _links(cleaned) == ["", "", "https://example.org/"]
    # Markup the body shows as text stays text.
    assert 'Said: <a href="javascript:alert(2)">quoted</a>' in parse_html(cleaned).text


def test_relative_links_are_resolved_against_each_article() -> None:
    bodies = [
        '<p><a href="/topics/x/">a</a> <a href="#facts">b</a></p>',
        '<p><a href="#z">c</a></p>',
    ]
    first, second = bodies_as_html(bodies, ["http://testserver/one/", "http://testserver/two/"])
    assert _links(first) == ["http://testserver/topics/x/", "http://testserver/one/#facts"]
    assert _links(second) == ["http://testserver/two/#z"]


def test_pictures_are_left_out_without_being_looked_up(db: None) -> None:
    body = (
        '<p>Before</p><embed alt="a &gt; b" embedtype="image" format="left" id="999"/><p>After</p>'
    )
    with CaptureQueriesContext(connection) as queries:
        [cleaned] = bodies_as_html([body], ["http://testserver/story/"])
    assert cleaned == "<p>Before</p><p>After</p>"
    assert queries.captured_queries == []


def _linking_to(article: ArticlePage) -> str:
    return f'<p>See <a linktype="page" id="{article.pk}">earlier</a>.</p>'


def test_internal_links_become_absolute_addresses(make_article: MakeArticle) -> None:
    earlier = make_article("Earlier story")
    [cleaned] = bodies_as_html([_linking_to(earlier)], ["http://testserver/later/"])
    assert _links(cleaned) == [f"http://testserver/{earlier.slug}/"]


def test_a_whole_feed_of_internal_links_costs_what_one_does(make_article: MakeArticle) -> None:
    targets = [make_article(f"Target {n}") for n in range(6)]

    def queries_for(count: int) -> int:
        bodies = [_linking_to(target) for target in targets[:count]]
        with CaptureQueriesContext(connection) as queries:
            cleaned = bodies_as_html(bodies, ["http://testserver/x/"] * count)
        assert [_links(body) for body in cleaned] == [
            [f"http://testserver/{target.slug}/"] for target in targets[:count]
        ]
        return len(queries.captured_queries)

    queries_for(1)  # Wagtail caches the site's root paths on the first use
    assert queries_for(6) == queries_for(1)


def test_a_malformed_body_does_not_mix_up_the_others(make_article: MakeArticle) -> None:
    target = make_article("Target")
    # An unclosed internal link would swallow the separator that follows it.
    bodies = [f'<p><a linktype="page" id="{target.pk}"', "<p>Second</p>", _linking_to(target)]
    cleaned = bodies_as_html(bodies, ["http://testserver/x/"] * 3)
    assert len(cleaned) == 3
    assert cleaned[1] == "<p>Second</p>"
    assert _links(cleaned[2]) == [f"http://testserver/{target.slug}/"]
    assert all(active_markup(body) == [] for body in cleaned)


def test_an_empty_feed_has_no_bodies() -> None:
    assert bodies_as_html([], []) == []
