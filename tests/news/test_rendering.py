"""Article bodies for readers: heading anchors, sections, reading time, excerpts."""

from __future__ import annotations

import pytest
from django.test import override_settings

from newsdesk.news.rendering import excerpt, plain_text, render_body


def test_headings_get_anchors_from_their_text() -> None:
    rendered = render_body('<h2 data-block-key="x1">Why it matters</h2><p>Text.</p>')
    assert str(rendered.html) == '<h2 id="why-it-matters">Why it matters</h2><p>Text.</p>'
    assert [(h.level, h.anchor, h.text) for h in rendered.headings] == [
        (2, "why-it-matters", "Why it matters")
    ]


def test_repeated_headings_get_numbered_anchors() -> None:
    rendered = render_body("<h2>Update</h2><h3>Update</h3><h2>Update</h2>")
    assert [h.anchor for h in rendered.headings] == ["update", "update-2", "update-3"]


def test_anchors_are_stable_when_other_sections_change() -> None:
    before = render_body("<h2>Costs</h2><p>a</p><h2>Timeline</h2>")
    after = render_body(
        "<h2>Costs</h2><p>a much longer paragraph</p><h2>New part</h2><h2>Timeline</h2>"
    )
    assert before.headings[-1].anchor == after.headings[-1].anchor == "timeline"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [("<b>Bold</b> &amp; more", "bold-more"), ("!!!", "section"), ("Ünïcode café", "unicode-cafe")],
)
def test_anchor_text_is_plain_and_never_empty(heading: str, anchor: str) -> None:
    assert render_body(f"<h2>{heading}</h2>").headings[0].anchor == anchor


def test_only_h2_headings_are_sections() -> None:
    rendered = render_body("<h2>One</h2><h3>Detail</h3><h2>Two</h2>")
    assert [h.text for h in rendered.sections] == ["One", "Two"]


def test_other_markup_is_left_alone() -> None:
    body = '<p>See <a href="https://example.org/">this</a>.</p><ul><li>x</li></ul>'
    assert str(render_body(body).html) == body


@override_settings(NEWSDESK_WORDS_PER_MINUTE=100)
@pytest.mark.parametrize(("words", "minutes"), [(0, 1), (1, 1), (100, 1), (101, 2), (1000, 10)])
def test_reading_time_rounds_up_with_a_minimum_of_one(words: int, minutes: int) -> None:
    rendered = render_body("<p>" + "word " * words + "</p>")
    assert rendered.words == words
    assert rendered.reading_minutes == minutes


def test_words_are_counted_without_markup() -> None:
    assert render_body("<h2>Two words</h2><p>and <em>three</em> more</p>").words == 5


def test_empty_body_renders() -> None:
    rendered = render_body("")
    assert str(rendered.html) == ""
    assert rendered.headings == []
    assert rendered.reading_minutes == 1


def test_plain_text_unescapes_and_folds_whitespace() -> None:
    assert plain_text("<p>Fish &amp; chips</p>\n<p>  x </p>") == "Fish & chips x"


def test_excerpt_takes_the_first_paragraph() -> None:
    assert excerpt("<h2>Head</h2><p>First para.</p><p>Second.</p>") == "First para."


def test_excerpt_cuts_long_text_at_a_word() -> None:
    text = excerpt("<p>" + "harbour " * 100 + "</p>", max_chars=50)
    assert text.endswith("…")
    assert len(text) <= 51
    assert set(text[:-1].split()) == {"harbour"}
