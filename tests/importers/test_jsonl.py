"""JSON Lines: one article a line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsdesk.importers import jsonl
from newsdesk.importers.base import ImportFailure
from newsdesk.importers.jsonl import parse_jsonl
from newsdesk.news.models import ArticlePage, HomePage
from tests.importers.commands import assert_refused, run_import


def _write(tmp_path: Path, *records: Any, name: str = "articles.jsonl") -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_field_is_read(tmp_path: Path) -> None:
    record = {
        "id": 42,
        "title": "  Rovers   promoted ",
        "body": "Fans *celebrated*.",
        "seo_title": "Are the Rovers up?",
        "dek": "First time in 30 years.",
        "slug": "Rovers Promoted!",
        "published": "2024-04-30T18:00:00+01:00",
        "tags": ["Sport"],
        "authors": ["Ben Cole"],
    }
    (article,) = parse_jsonl(_write(tmp_path, record)).articles
    assert article.title == "Rovers promoted"
    assert article.body_html == "<p>Fans <em>celebrated</em>.</p>\n"
    assert (article.seo_title, article.dek) == ("Are the Rovers up?", "First time in 30 years.")
    assert article.slug == "rovers-promoted"
    assert article.published_at == datetime(2024, 4, 30, 17, 0, tzinfo=UTC)
    assert (article.topics, article.authors) == (("Sport",), ("Ben Cole",))
    assert (article.source, article.external_id) == ("jsonl", "42")


def test_blank_lines_are_skipped_and_order_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path, {"title": "A", "body": "a"}, "", "  ", {"title": "B", "body": "b"})
    assert [a.title for a in parse_jsonl(path).articles] == ["A", "B"]


def test_a_single_topic_key_is_accepted(tmp_path: Path) -> None:
    (article,) = parse_jsonl(
        _write(tmp_path, {"title": "A", "body": "a", "topic": "Arts"})
    ).articles
    assert article.topics == ("Arts",)


def test_hostile_markdown_is_sanitised(tmp_path: Path) -> None:
    body = "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <a href='javascript:x'>y</a>"
    (article,) = parse_jsonl(_write(tmp_path, {"title": "A", "body": body})).articles
    assert "<script" not in article.body_html
    assert 'href="javascript' not in article.body_html


def test_an_html_body_is_kept_and_sanitised(tmp_path: Path) -> None:
    body = (
        "<h2>Section</h2><p onclick='x()'>Text <a href='javascript:x'>y</a></p>"
        "<script>alert(1)</script><img src=x onerror=alert(1)><svg><script>1</script></svg>"
    )
    (article,) = parse_jsonl(_write(tmp_path, {"title": "A", "body_html": body})).articles
    assert article.body_html.startswith("<h2>Section</h2><p>Text <a")
    for unsafe in ("<script", "onclick", "javascript", "<img", "onerror", "<svg"):
        assert unsafe not in article.body_html


GOOD = {"title": "Fine", "body": "Fine."}


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ('{"title": "Broken", "body": ', "not valid JSON"),
        ("[1, 2]", "each line must be a JSON object"),
        ('{"title": "T", "body": "b", "colour": "red"}', "unknown keys: colour"),
        ('{"title": "T"}', "'body' is missing or not text"),
        ('{"title": "", "body": "b"}', "'title' is missing or empty"),
        ('{"title": 5, "body": "b"}', "'title' must be text"),
        ('{"title": "' + "x" * 300 + '", "body": "b"}', "'title' is 300 characters"),
        ('{"title": "T", "body": "b", "dek": "' + "d" * 301 + '"}', "'dek' is 301 characters"),
        ('{"title": "T", "body": "b", "published": "soon"}', "not an ISO 8601 date"),
        ('{"title": "T", "body": "b", "tags": {"a": 1}}', "'tags' must be a list of names"),
        ('{"title": "T", "body": "b", "tags": [1]}', "'tags' must be text"),
        ('{"title": "T", "body": "b", "id": [1]}', "'id' must be text or a whole number"),
        ('{"title": "T\\u0007", "body": "b"}', "'title' contains control characters"),
        ('{"title": "T", "body": "   "}', "the article has no body text"),
        ('{"title": "Fine", "body": "again"}', "duplicate id/slug 'fine' (first on line 1)"),
        ("[" * 100_000, "not valid JSON"),
        ('{"title": "T", "body": "b", "body_html": "<p>b</p>"}', "not both"),
        ('{"title": "T", "body_html": 5}', "'body_html' is not text"),
        ('{"title": "T", "body_html": "<script>x</script>"}', "the article has no body text"),
        ('{"title": "T", "body_html": "' + "x" * 1_000_001 + '"}', "longer than 1,000,000"),
    ],
    ids=range(20),
)
def test_a_malformed_third_line_is_reported_with_file_and_line(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    path = _write(tmp_path, GOOD, {"title": "Second", "body": "b"}, bad_line)
    with pytest.raises(ImportFailure) as failure:
        parse_jsonl(path)
    assert failure.value.line == 3
    assert message in failure.value.message
    assert str(failure.value).startswith(f"{path}:3: ")


def test_duplicate_ids_in_one_file_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {"id": "a", **GOOD}, {"id": "a", "title": "Other", "body": "x"})
    with pytest.raises(ImportFailure, match="duplicate id/slug 'a'"):
        parse_jsonl(path)


def test_too_many_names_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {**GOOD, "authors": [f"Author {n}" for n in range(21)]})
    with pytest.raises(ImportFailure, match="21 names; the limit is 20"):
        parse_jsonl(path)


# --- Hostile lines, through the command -----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_line", "fragments"),
    [
        # json.loads raised ValueError (int() of more than 4,300 digits): a traceback.
        (
            '{"title": "T", "body": "b", "id": ' + "9" * 5000 + "}",
            ("'id' holds a number with 5,000",),
        ),
        ('{"title": "T", "body": "b", "tags": [-' + "1" * 5000 + "]}", ("'tags' holds a number",)),
        (
            '{"title": "T", "body": "b", "id": 1' + "0" * 255 + "}",
            ("'id' holds a number with 256",),
        ),
        ('{"title": "T", "body": "b", "id": true}', ("'id' must be text or a whole number",)),
        ('{"title": "T", "body": "b", "id": 1.5}', ("'id' must be text or a whole number",)),
        (
            json.dumps({"title": "T", "body": "b", **{f"k{n:02}": 1 for n in range(30)}}),
            ("unknown keys: k00, k01", "k09 and 20 more (known: authors, body,"),
        ),
        ('{"title": "T", "body": "' + "[a](" * 250_001 + '"}', ("body is longer than 1,000,000",)),
    ],
    ids=["huge-id", "huge-tag", "256-digits", "bool-id", "float-id", "many-keys", "long-body"],
)
def test_hostile_lines_name_file_line_and_field(
    tmp_path: Path, bad_line: str, fragments: tuple[str, ...]
) -> None:
    path = _write(tmp_path, GOOD, bad_line)
    assert_refused(run_import(path, "--publish"), path, 2, *fragments)


@pytest.mark.django_db
def test_a_255_digit_id_is_still_an_id(tmp_path: Path, home: HomePage) -> None:
    path = _write(tmp_path, '{"title": "T", "body": "b", "id": ' + "7" * 255 + "}")
    assert run_import(path, "--publish").status == 0
    assert ArticlePage.objects.get().import_external_id == "7" * 255


@pytest.mark.django_db
def test_a_file_stops_at_the_article_limit_before_parsing_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "MAX_ARTICLES", 3)
    records = [{"id": f"n{n}", "title": f"Story {n}", "body": "b"} for n in range(3)]
    path = _write(tmp_path, *records, "", "{not even JSON")
    assert_refused(run_import(path), path, 5, "more than 3 articles; split the file")
