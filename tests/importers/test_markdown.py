"""Markdown files with optional YAML front matter."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.utils import timezone

from newsdesk.importers.base import ImportFailure
from newsdesk.importers.markdown import parse_markdown
from newsdesk.importers.runner import import_paths
from newsdesk.news.models import ArticlePage

FULL = """---
title: "Pier reopens after repairs"
seo_title: "When does the pier reopen?"
dek: "Two years and £3m later."
slug: pier-reopens
date: 2024-05-01T09:30:00Z
tags: [Harbour, Tourism]
authors:
  - Ana Ruiz
  - Ben Cole
id: pier-2024
---
Opening paragraph with a [link](https://example.org/).

## What changed

New decking.
"""


def _write(tmp_path: Path, text: str, name: str = "story.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_fills_every_field(tmp_path: Path) -> None:
    (article,) = parse_markdown(_write(tmp_path, FULL)).articles
    assert article.title == "Pier reopens after repairs"
    assert article.seo_title == "When does the pier reopen?"
    assert article.dek == "Two years and £3m later."
    assert article.slug == "pier-reopens"
    assert article.published_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    assert article.topics == ("Harbour", "Tourism")
    assert article.authors == ("Ana Ruiz", "Ben Cole")
    assert (article.source, article.external_id) == ("markdown", "pier-2024")
    assert article.body_html == (
        '<p>Opening paragraph with a <a href="https://example.org/">link</a>.</p>\n'
        "<h2>What changed</h2>\n<p>New decking.</p>\n"
    )


def test_without_front_matter_the_first_heading_is_the_headline(tmp_path: Path) -> None:
    (article,) = parse_markdown(_write(tmp_path, "# Rovers win\n\nA late goal.\n")).articles
    assert article.title == "Rovers win"
    assert article.body_html == "<p>A late goal.</p>\n"


def test_a_date_without_time_or_zone_is_read_in_the_site_time_zone(tmp_path: Path) -> None:
    (article,) = parse_markdown(
        _write(tmp_path, "---\ntitle: T\ndate: 2024-05-01\n---\nx\n")
    ).articles
    expected = timezone.make_aware(datetime.combine(date(2024, 5, 1), datetime.min.time()))
    assert article.published_at == expected


def test_tags_and_authors_may_be_comma_separated(tmp_path: Path) -> None:
    text = "---\ntitle: T\ntags: Sport, sport , Rovers\nauthor: Ana Ruiz\n---\nx\n"
    (article,) = parse_markdown(_write(tmp_path, text)).articles
    assert article.topics == ("Sport", "Rovers")  # duplicates (any case) dropped
    assert article.authors == ("Ana Ruiz",)


def test_script_tags_and_javascript_links_do_not_survive(tmp_path: Path) -> None:
    text = (
        "---\ntitle: T\n---\n<script>alert(1)</script>\n\n"
        "[click](javascript:alert(1)) <img src=x onerror=alert(1)>\n"
    )
    (article,) = parse_markdown(_write(tmp_path, text)).articles
    assert "<script" not in article.body_html
    assert "<img" not in article.body_html
    assert "javascript:" not in article.body_html.split("href=", 1)[-1].split(">", 1)[0]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("---\ntitle: [unclosed\n---\nbody\n", 3, "front matter is not valid YAML"),
        ("---\ntitle: T\ncolour: red\n---\nbody\n", 3, "unknown front matter keys: colour"),
        ("---\n- a list\n---\nbody\n", 2, "front matter must be a set of 'key: value' lines"),
        ("---\ntitle: T\ntags: 5\n---\nbody\n", 3, "'tags' must be a list of names"),
        ("---\ntitle: T\ndate: yesterday\n---\nbody\n", 3, "'date' is not an ISO 8601 date"),
        ("---\ntitle: 12\n---\nbody\n", 2, "'title' must be text"),
        ("---\ntitle: " + "x" * 256 + "\n---\nbody\n", 2, "'title' is 256 characters"),
        ("Just text, no heading.\n", 1, "no headline"),
        ("---\ntitle: T\n---\n\n", 4, "the article has no body text"),
        ("---\ntitle: !!python/object/apply:os.system [id]\n---\nx\n", 2, "not valid YAML"),
        ("---\ntitle: " + "[" * 5000 + "\n---\nx\n", 2, "nested more than 20 levels deep"),
    ],
)
def test_malformed_files_name_the_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ImportFailure) as failure:
        parse_markdown(path)
    assert failure.value.path == str(path)
    assert failure.value.line == line
    assert message in failure.value.message
    assert str(failure.value).startswith(f"{path}:{line}: ")


def test_reimporting_a_file_without_id_or_slug_does_not_duplicate(tmp_path: Path, db: None) -> None:
    path = _write(tmp_path, "# Council meets\n\nThe agenda.\n")
    assert import_paths([path], publish=True).counts["created"] == 1
    again = import_paths([path], publish=True)
    assert (again.counts["created"], again.counts["skipped"]) == (0, 1)
    assert ArticlePage.objects.count() == 1
