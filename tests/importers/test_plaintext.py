"""Plain text articles shaped like a web page copied as text (the seed sample's format)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.plaintext import EXPECTED_LAYOUT, parse_plaintext
from newsdesk.importers.runner import import_paths
from newsdesk.news.models import ArticlePage
from tests.helpers import parse_html
from tests.importers.commands import assert_refused, run_import

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


# --- The layouts of a page copied from a browser ---------------------------------------------

HARBOUR = [
    "Harbour wall to be rebuilt after winter storms",
    "The council has approved a £4m plan to rebuild the north harbour wall, which was breached "
    "twice in January.",
    "Work will start in April and is expected to take eighteen months.",
    "What happens to the boats",
    "Fishing boats will move to the south basin while the wall is rebuilt, the harbour master "
    "said.",
    "Some owners say the basin is too shallow at low tide.",
]
HARBOUR_BODY = (
    f"<p>{HARBOUR[1]}</p><p>{HARBOUR[2]}</p><h2>{HARBOUR[3]}</h2>"
    f"<p>{HARBOUR[4]}</p><p>{HARBOUR[5]}</p>"
)


@pytest.mark.parametrize(
    "text",
    [
        # (a) blank lines between every paragraph.
        "\n\n".join(HARBOUR) + "\n",
        # (b) single line breaks only, as some browsers and editors copy a page.
        "\n".join(HARBOUR) + "\n",
        # (c) a blank line after the headline only, the rest single-spaced.
        HARBOUR[0] + "\n\n" + "\n".join(HARBOUR[1:]) + "\n",
    ],
    ids=["blank-lines", "single-line-breaks", "blank-after-headline-only"],
)
def test_each_layout_gives_the_same_article(tmp_path: Path, text: str) -> None:
    (article,) = parse_plaintext(_write(tmp_path, text)).articles
    assert article.title == HARBOUR[0]
    assert article.seo_title == ""
    assert article.body_html == HARBOUR_BODY


@pytest.mark.parametrize("separator", ["\n", "\n\n"], ids=["single", "blank"])
def test_a_page_title_before_the_headline_is_the_seo_title_in_every_layout(
    tmp_path: Path, separator: str
) -> None:
    page_title = "Harbour wall: what the rebuild means for boat owners? | The Bay Courier"
    text = page_title + "\n\n" + separator.join(HARBOUR) + "\n"
    (article,) = parse_plaintext(_write(tmp_path, text)).articles
    assert (article.seo_title, article.title) == (page_title, HARBOUR[0])
    assert article.body_html == HARBOUR_BODY


def test_windows_line_endings_a_bom_and_odd_spaces_are_read_as_plain_text(tmp_path: Path) -> None:
    # (d): CRLF, a BOM, non-breaking spaces inside and around lines, trailing spaces and tabs,
    # a line of nothing but non-breaking spaces, a zero-width space on a line of its own.
    lines = [
        "\ufeffTitle?  ",
        "\u00a0",
        "Headline\u00a0with\u00a0no-break spaces\t",
        "",
        "A section ",
        "\u200b",
        "Text\u00a0of the section.  \u00a0",
    ]
    path = tmp_path / "windows.txt"
    path.write_bytes("\r\n".join(lines).encode())
    (article,) = parse_plaintext(path).articles
    assert (article.seo_title, article.title) == ("Title?", "Headline with no-break spaces")
    assert article.body_html == "<h2>A section</h2><p>Text of the section.</p>"


def test_old_mac_line_endings_are_line_breaks(tmp_path: Path) -> None:
    path = tmp_path / "mac.txt"
    path.write_bytes(b"Headline\rFirst paragraph.\rSecond paragraph.\r")
    (article,) = parse_plaintext(path).articles
    assert article.body_html == "<p>First paragraph.</p><p>Second paragraph.</p>"


def test_heading_rule_punctuation_length_and_what_follows(tmp_path: Path) -> None:
    # (e): one line per paragraph, so every line is judged on its own.
    text = "\n".join(
        [
            "Headline",
            "Opening paragraph of the story.",
            "Ends with a colon:",  # final punctuation: prose
            "Then some prose.",
            'A quoted line "like this"',  # ends with a quote: prose
            "More prose.",
            "One two three four five six seven eight nine ten eleven twelve thirteen fourteen "
            "fifteen",  # fifteen words: too long for a heading
            "Prose again.",
            "First short line",  # followed by another heading-like line: a paragraph
            "Second short line",  # followed by prose: a heading
            "The section's text.",
            "Closing short line",  # the last line: a paragraph
        ]
    )
    (article,) = parse_plaintext(_write(tmp_path, text)).articles
    assert _h2s(article.body_html) == ["Second short line"]
    assert "<p>First short line</p>" in article.body_html
    assert article.body_html.endswith("<p>Closing short line</p>")


def test_a_wrapped_line_continues_the_one_before(tmp_path: Path) -> None:
    text = (
        "Harbour wall to be rebuilt after\nwinter storms\n\nThe council approved the plan on\n"
        "Tuesday, and work starts in\napril.\n\nToday the first barges arrived.\n"
    )
    (article,) = parse_plaintext(_write(tmp_path, text)).articles
    assert article.title == "Harbour wall to be rebuilt after winter storms"
    assert article.body_html == (
        "<p>The council approved the plan on Tuesday, and work starts in april.</p>"
        "<p>Today the first barges arrived.</p>"
    )


# --- Page furniture ----------------------------------------------------------------------------

COPIED_PAGE = """Skip to content
Home > News > Local
Harbour wall to be rebuilt after winter storms
Published 3 hours ago
Share
Save
Image source, Harbour Trust
Image caption, The north wall was breached twice in January
The council has approved a £4m plan to rebuild the north harbour wall.
Advertisement
Work will start in April. Share this article with anyone who keeps a boat here.
What happens to the boats
Fishing boats will move to the south basin, the harbour master said.
Copy link
Related Topics
Harbour Trust
Coastal flooding
More on this story
Storm closes harbour road
Published 2 days ago
We use cookies to make this site work. You can change your cookie settings at any time.
Accept all cookies
"""


def test_browser_furniture_lines_are_dropped_and_counted(tmp_path: Path) -> None:
    parsed = parse_plaintext(_write(tmp_path, COPIED_PAGE))
    (article,) = parsed.articles
    assert article.title == "Harbour wall to be rebuilt after winter storms"
    assert article.body_html == (
        "<p>The council has approved a £4m plan to rebuild the north harbour wall.</p>"
        # "Share this article" inside a sentence is not a line of furniture.
        "<p>Work will start in April. Share this article with anyone who keeps a boat here.</p>"
        "<h2>What happens to the boats</h2>"
        "<p>Fishing boats will move to the south basin, the harbour master said.</p>"
    )
    furniture = [1, 2, 4, 5, 6, 7, 8, 10, *range(14, 23)]
    assert parsed.remarks == (
        f"dropped {len(furniture)} lines of page furniture (lines "
        + ", ".join(str(n) for n in furniture[:10])
        + ", …)",
    )


def test_a_list_heading_followed_by_prose_drops_only_the_heading(tmp_path: Path) -> None:
    text = "Headline\n\nFirst paragraph.\n\nRead more\n\nThe council meets again in May.\n"
    parsed = parse_plaintext(_write(tmp_path, text))
    assert parsed.articles[0].body_html == (
        "<p>First paragraph.</p><p>The council meets again in May.</p>"
    )
    assert parsed.remarks == ("dropped 1 line of page furniture (line 5)",)


def test_the_import_prints_how_many_lines_were_dropped(tmp_path: Path, home: object) -> None:
    path = _write(tmp_path, COPIED_PAGE)
    run = run_import(path, "--publish")
    assert run.status == 0, run
    assert f"{path}: dropped 17 lines of page furniture (lines 1, 2, 4," in run.stdout
    assert "1 file(s): 1 created, 0 updated, 0 skipped" in run.stdout
    page = ArticlePage.objects.get()
    assert "<h2>What happens to the boats</h2>" in page.body
    for furniture in ("Advertisement", "Related Topics", "Image caption", "cookies"):
        assert furniture not in page.body


# --- Files that are not an article ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("Only a title\n", 1, "only a headline, and no body after it"),
        ("\n\nOnly a title, lower down\n\n", 3, "only a headline, and no body after it"),
        ("Title\n\nHeadline\n", 3, "the body has no paragraph"),
        ("Title\n\nHeadline\n\nRecent Articles\n", 3, "the body has no paragraph"),
        ("x" * 400 + "\n\nBody.\n", 1, "the first line is 400 characters, too long for a head"),
        ("Share\n\nAdvertisement\nCopy link\n", 1, "every line is page furniture"),
        ("\u200b\n\ufeff\n", None, "the file is empty"),
    ],
    ids=[
        "title-only",
        "title-after-blanks",
        "no-paragraph",
        "furniture-after",
        "long",
        "furniture",
        "invisible",
    ],
)
def test_what_is_not_an_article_is_refused_with_the_expected_layout(
    tmp_path: Path, text: str, line: int | None, problem: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ImportFailure) as failure:
        parse_plaintext(path)
    assert failure.value.line == line
    where = f"{path}:{line}" if line else str(path)
    assert str(failure.value).startswith(f"{where}: {problem}")
    assert str(failure.value).endswith(f"; {EXPECTED_LAYOUT}")
    assert "must each be one line" not in str(failure.value)


@pytest.mark.parametrize("content", [b"", b"\r\n \t\r\n", b"\xef\xbb\xbf"])
def test_an_empty_text_file_says_what_was_expected(
    tmp_path: Path, home: object, content: bytes
) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert_refused(run_import(path), path, None, "the file is empty; " + EXPECTED_LAYOUT)


def test_a_long_second_line_is_the_first_paragraph(tmp_path: Path) -> None:
    long_line = "Long " * 60
    path = _write(tmp_path, f"Title?\n\n{long_line}\n\nBody.\n")
    (article,) = parse_plaintext(path).articles
    assert (article.title, article.seo_title) == ("Title?", "")
    assert article.body_html == f"<p>{long_line.strip()}</p><p>Body.</p>"


# --- Hostile and oversized inputs, through the command: refused, and nothing written ----------


def test_a_two_megabyte_single_line_is_refused_as_a_headline(tmp_path: Path, home: object) -> None:
    path = _write(tmp_path, "word " * 400_000)
    message = assert_refused(run_import(path), path, 1, "the first line is 1,999,999 characters")
    assert len(message) < 500  # the line itself is not quoted back


def test_a_body_over_the_limit_stops_the_read_at_its_line(tmp_path: Path, home: object) -> None:
    path = _write(tmp_path, "Headline\n" + "A short paragraph of prose.\n" * 40_000)
    # 27 characters a line after the headline's: 37,038 of them pass 1,000,000, on line 37,039.
    assert_refused(run_import(path), path, 37_039, "the text is longer than 1,000,000 characters")


def test_a_million_short_lines_are_refused_at_the_line_limit(tmp_path: Path, home: object) -> None:
    # 2 MB, well under the body's character limit, but no article has a million lines.
    path = _write(tmp_path, "Headline\n" + "a\n" * 1_000_000)
    assert_refused(run_import(path), path, 50_001, "more than 50,000 lines of text")


@pytest.mark.parametrize(
    ("junk", "line", "fragment"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", 1, "not valid UTF-8"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00>\x00", 1, "contains NUL bytes"),
        # Valid UTF-8 without NUL: control characters, which no headline may hold.
        (bytes(range(1, 32)) * 20, 1, "contains control characters"),
    ],
    ids=["png", "elf", "control-characters"],
)
def test_binary_junk_is_refused(
    tmp_path: Path, home: object, junk: bytes, line: int, fragment: str
) -> None:
    path = tmp_path / "picture.txt"
    path.write_bytes(junk)
    assert_refused(run_import(path), path, line, fragment)


def test_a_file_of_only_furniture_is_refused(tmp_path: Path, home: object) -> None:
    path = _write(tmp_path, "Skip to content\nShare\nAdvertisement\nRelated Topics\n")
    assert_refused(run_import(path), path, 1, "every line is page furniture", EXPECTED_LAYOUT)


def test_a_bad_text_file_after_good_ones_imports_nothing(tmp_path: Path, home: object) -> None:
    good = _write(tmp_path, "\n".join(HARBOUR), name="1-good.txt")
    also_good = _write(tmp_path, COPIED_PAGE, name="2-good.txt")
    bad = _write(tmp_path, "Only a title\n", name="3-bad.txt")
    run = run_import(good, also_good, bad, "--publish")
    assert_refused(run, bad, 1, "only a headline, and no body after it")
    assert not run.stdout  # no furniture note for files that were never imported
