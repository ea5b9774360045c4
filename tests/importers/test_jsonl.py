"""JSON Lines: one article a line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.jsonl import parse_jsonl


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
        ('{"title": "T", "body": "b", "id": [1]}', "'id' must be text or a number"),
        ('{"title": "T\\u0007", "body": "b"}', "'title' contains control characters"),
        ('{"title": "T", "body": "   "}', "the article has no body text"),
        ('{"title": "Fine", "body": "again"}', "duplicate id/slug 'fine' (first on line 1)"),
        ("[" * 100_000, "not valid JSON"),
    ],
    ids=range(16),
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
