"""Plain text articles shaped like a web page copied as text (the seed sample's format)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.plaintext import parse_plaintext
from newsdesk.importers.runner import import_paths
from newsdesk.news.models import ArticlePage
from tests.helpers import parse_html

SEED = Path("/work/shared/samples/seed-article.txt")
FURNITURE = ("Recent Articles", "Related Stories", "Get the daily news directly in your inbox")
needs_seed = pytest.mark.skipif(not SEED.is_file(), reason=f"{SEED} is not on this machine")


def _seed_lines() -> list[str]:
    return [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]


def _h2s(html: str) -> list[str]:
    return re.findall(r"<h2>(.*?)</h2>", html)


@needs_seed
def test_seed_sample_parses_into_title_headline_sections_and_body() -> None:
    lines = _seed_lines()
    (article,) = parse_plaintext(SEED).articles
    assert article.seo_title == lines[0]
    assert article.seo_title.endswith("?")
    assert article.title == "Elon Musk Calls for a New President in Russia"
    assert len(_h2s(article.body_html)) == 5
    # The closing paragraph, the last line before the page furniture, is kept.
    closing = next(line for line in reversed(lines) if line not in FURNITURE)
    assert closing.startswith("Elon Musk is a figurehead globally, ")
    assert article.body_html.endswith(f"<p>{closing}</p>")
    for furniture in FURNITURE:
        assert furniture not in article.body_html


@needs_seed
def test_seed_sample_imports_into_an_article_page(client: Client, db: None) -> None:
    report = import_paths([SEED], publish=True)
    assert report.counts["created"] == 1
    article = ArticlePage.objects.get()
    lines = _seed_lines()
    assert article.seo_title == lines[0]
    assert article.title == "Elon Musk Calls for a New President in Russia"
    document = parse_html(client.get(article.url).content)
    assert document.find("title").clean_text.startswith(lines[0])
    assert document.find("h1").clean_text == article.title
    body = document.find("div", class_="article__body")
    sections = body.find_all("h2")
    assert len(sections) == 5
    assert all(section.attrs.get("id") for section in sections)
    body_text = body.clean_text
    assert "Elon Musk is a figurehead globally, " in body_text
    for furniture in FURNITURE:
        assert furniture not in body_text


def _write(tmp_path: Path, text: str, name: str = "story.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_headings_are_short_lines_followed_by_a_paragraph(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Browser title?\n\nHeadline here\n\nFirst paragraph of text.\n\n"
        "A section\n\nIts paragraph.\n\nNot a heading: ends with a colon:\n\nMore text.\n\n"
        "Trailing short line\n",
    )
    (article,) = parse_plaintext(path).articles
    assert _h2s(article.body_html) == ["A section"]
    # A short last line has no paragraph after it, so it is not a heading.
    assert article.body_html.endswith("<p>Trailing short line</p>")


def test_lines_of_one_block_join_into_one_paragraph(tmp_path: Path) -> None:
    path = _write(tmp_path, "T?\n\nHeadline\n\nOne line\nwrapped here.\n")
    assert parse_plaintext(path).articles[0].body_html == "<p>One line wrapped here.</p>"


def test_same_title_and_headline_leaves_seo_title_empty(tmp_path: Path) -> None:
    path = _write(tmp_path, "Same words\n\nSame words\n\nBody text.\n")
    assert parse_plaintext(path).articles[0].seo_title == ""


def test_windows_line_endings_and_a_bom_are_read(tmp_path: Path) -> None:
    path = tmp_path / "windows.txt"
    path.write_bytes("\ufeffTitle?\r\n\r\nHeadline\r\n\r\nA section\r\n\r\nText.\r\n".encode())
    (article,) = parse_plaintext(path).articles
    assert (article.seo_title, article.title) == ("Title?", "Headline")
    assert _h2s(article.body_html) == ["A section"]


def test_markup_in_text_stays_text(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Title?\n\n<b>Headline</b>\n\n<script>alert(1)</script> and "
        '<a href="javascript:alert(1)">x</a>.\n',
    )
    (article,) = parse_plaintext(path).articles
    assert "<script>" not in article.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article.body_html
    assert "<a " not in article.body_html
    assert article.title == "<b>Headline</b>"  # a title is text; templates escape it


def test_furniture_inside_the_body_is_dropped(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "Title?\n\nHeadline\n\nFirst.\n\nShare this article\n\nSecond.\n\nRelated stories:\n",
    )
    assert parse_plaintext(path).articles[0].body_html == "<p>First.</p><p>Second.</p>"


@pytest.mark.parametrize(
    "text",
    ["Only a title\n", "Title\n\nHeadline\n", "Title\n\nHeadline\n\nRecent Articles\n"],
)
def test_too_little_text_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ImportFailure, match="title line, a headline line and at least one"):
        parse_plaintext(_write(tmp_path, text))


def test_a_two_line_headline_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "Title?\n\nHeadline on\ntwo lines\n\nBody.\n")
    with pytest.raises(ImportFailure) as failure:
        parse_plaintext(path)
    assert failure.value.line == 3
    assert str(failure.value).startswith(f"{path}:3: ")


def test_an_overlong_headline_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "Title?\n\n" + "Long " * 60 + "\n\nBody.\n")
    with pytest.raises(ImportFailure, match="'headline' is 299 characters; the limit is 255"):
        parse_plaintext(path)
