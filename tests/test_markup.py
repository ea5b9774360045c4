"""Markdown and untrusted HTML in, safe HTML out (newsdesk.markup)."""

from __future__ import annotations

import re

import pytest

from newsdesk.markup import markdown_to_html, sanitize_html
from tests.helpers import parse_html

_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


def _hrefs(html: str) -> list[str]:
    return [a.attrs.get("href", "") for a in parse_html(html).find_all("a")]


def _scheme(href: str) -> str:
    """The scheme a browser would see: it strips tabs and newlines from URLs first (WHATWG URL)."""
    normalised = re.sub(r"[\t\n\r]", "", href).strip(_C0_AND_SPACE).lower()
    match = re.match(r"([a-z][a-z0-9+.-]*):", normalised)
    return match.group(1) if match else ""


def _has_attribute(html: str, name: str) -> bool:
    return any(name in element.attrs for element in parse_html(html).iter())


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>",
        "<svg><script>alert(1)</script></svg>",
        "<iframe src='https://evil.example'></iframe>",
        "<object data='x.swf'></object>",
        "<style>body{display:none}</style>",
        "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    ],
)
def test_sanitize_drops_active_elements(hostile: str) -> None:
    cleaned = sanitize_html(f"<p>before</p>{hostile}<p>after</p>")
    tags = {element.tag for element in parse_html(cleaned).iter()}
    assert tags <= {"p"}, cleaned
    assert "<script" not in cleaned.lower() and "<style" not in cleaned.lower()
    assert "before" in cleaned and "after" in cleaned


def test_script_and_style_contents_are_dropped_not_shown() -> None:
    cleaned = sanitize_html("<p>a</p><script>var secret = 1;</script><style>p{}</style>")
    assert "secret" not in cleaned and "p{}" not in cleaned


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">text</p>',
        '<a href="https://example.org/" onmouseover="alert(1)">link</a>',
        '<p style="background:url(javascript:alert(1))">text</p>',
        '<p class="x" id="y">text</p>',
    ],
)
def test_sanitize_drops_event_handlers_and_styles(markup: str) -> None:
    cleaned = sanitize_html(markup)
    for attribute in ("onerror", "onclick", "onmouseover", "style", "class", "id"):
        assert not _has_attribute(cleaned, attribute)
    assert "alert(1)" not in cleaned


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "jav&#9;ascript:alert(1)",
        "jav\tascript:alert(1)",
        "&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "ftp://example.org/",
    ],
)
def test_sanitize_drops_links_that_are_not_http_https_or_mailto(href: str) -> None:
    cleaned = sanitize_html(f'<p><a href="{href}">click</a></p>')
    assert all(_scheme(link) in {"", "http", "https", "mailto"} for link in _hrefs(cleaned))
    assert _hrefs(cleaned) in ([], [""])
    assert "click" in cleaned


@pytest.mark.parametrize(
    "href",
    ["https://example.org/a?b=1&c=2", "http://example.org/", "mailto:news@example.org", "/local"],
)
def test_sanitize_keeps_safe_links(href: str) -> None:
    cleaned = sanitize_html(f'<p><a href="{href}">link</a></p>')
    assert _hrefs(cleaned) == [href]


@pytest.mark.parametrize(
    ("href", "resolved"),
    [
        ("/topics/x/", "https://news.example/topics/x/"),
        ("#facts", "https://news.example/story/#facts"),
        ("next/", "https://news.example/story/next/"),
        ("https://example.org/a", "https://example.org/a"),
        ("mailto:desk@example.org", "mailto:desk@example.org"),
    ],
)
def test_sanitize_resolves_relative_links_against_a_base(href: str, resolved: str) -> None:
    cleaned = sanitize_html(
        f'<p><a href="{href}">x</a></p>', base_url="https://news.example/story/"
    )
    assert _hrefs(cleaned) == [resolved]


def test_a_base_does_not_bring_back_dangerous_links() -> None:
    cleaned = sanitize_html(
        '<a href="javascript:alert(1)">x</a><a href="jav&#9;ascript:alert(1)">y</a>',
        base_url="https://news.example/story/",
    )
    assert all(_scheme(href) in {"", "http", "https"} for href in _hrefs(cleaned))
    assert "alert" not in "".join(_hrefs(cleaned))


def test_sanitize_keeps_the_body_editor_markup() -> None:
    markup = (
        "<h2>Head</h2><h3>Sub</h3><p><strong>b</strong> <em>i</em></p>"
        "<ul><li>one</li></ul><ol><li>two</li></ol><blockquote><p>q</p></blockquote><hr>"
    )
    assert sanitize_html(markup) == markup


def test_markdown_renders_headings_lists_and_links() -> None:
    html = markdown_to_html(
        "## Section\n\nSome *text* and [a link](https://example.org/).\n\n- one\n- two\n"
    )
    document = parse_html(html)
    assert document.find("h2").clean_text == "Section"
    assert document.find("em").clean_text == "text"
    assert _hrefs(html) == ["https://example.org/"]
    assert [li.clean_text for li in document.find_all("li")] == ["one", "two"]


def test_markdown_h1_becomes_h2_because_the_page_has_its_headline() -> None:
    document = parse_html(markdown_to_html("# Top\n\ntext"))
    assert document.find_all("h1") == []
    assert document.find("h2").clean_text == "Top"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "Hello <img src=x onerror=alert(1)> world",
        '<div onclick="alert(1)">block html</div>',
        "<!-- comment --><b>bold</b>",
    ],
)
def test_raw_html_in_markdown_is_not_passed_through(source: str) -> None:
    html = markdown_to_html(source)
    tags = {element.tag for element in parse_html(html).iter()}
    assert tags <= {"p"}, html
    assert not _has_attribute(html, "onerror") and not _has_attribute(html, "onclick")


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](jav&#x09;ascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](vbscript:msgbox)",
        "<javascript:alert(1)>",
        "![img](javascript:alert(1))",
        "[click][ref]\n\n[ref]: javascript:alert(1)",
    ],
)
def test_markdown_links_with_dangerous_schemes_lose_their_target(source: str) -> None:
    html = markdown_to_html(source)
    # markdown-it may keep a percent-encoded remnant ("jav%09ascript:..."), which a browser
    # reads as a relative path: what matters is that no link runs in a dangerous scheme.
    assert all(_scheme(href) in {"", "http", "https", "mailto"} for href in _hrefs(html)), html
    assert "<img" not in html or "javascript" not in html.lower()


@pytest.mark.parametrize(
    "source", ["[mail](mailto:desk@example.org)", "[web](https://example.org/x)"]
)
def test_markdown_keeps_safe_links(source: str) -> None:
    assert len(_hrefs(markdown_to_html(source))) == 1
    assert _hrefs(markdown_to_html(source))[0].startswith(("mailto:", "https:"))
