"""Property tests: whatever the bytes, each parser returns storable articles or an ImportFailure.

Hypothesis builds files from random text and from pieces known to have broken parsers
(surrogate escapes, impossible dates, huge numbers, YAML anchors, control characters). A crash
of any other kind, or an article PostgreSQL could not store, fails the test with the input.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsdesk.importers.base import FIRST_YEAR, LAST_YEAR, ImportFailure, ParsedFile
from newsdesk.importers.runner import PARSERS
from newsdesk.news.services import ArticleInput

RISKY_TEXT = [
    "\ud800",
    "\udfff",
    "\x00",
    "\x1b[2J",
    "\x9b",
    "\u2028",
    "\ufeff",
    "ﷺ" * 30,
    "x" * 300,
    "=1+1",
    "&#xD800;",
    "<script>",
    "2024-13-45",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-05:00",
    "2024-05-01T10:00:00+23:59",
    "9" * 5000,
]
YAML_LINES = [
    "title: T",
    'title: "T\\ud800"',
    "date: 2024-13-45",
    "date: 0001-01-01 00:00:00+05:00",
    "date: 2024-05-01 10:00:00 +99:00",
    "date: !!timestamp x",
    "date: !!int x",
    "date: !!float x",
    "date: !!bool x",
    "id: " + "9" * 5000,
    "id: 0x" + "f" * 5000,
    "id: 1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16:17:18:19:20:21:22:23:24:25:26:27:28:29:30",
    "id: .inf",
    "tags: !!set {a, b}",
    "tags: !!omap [a: 1]",
    "authors: !!binary '!!'",
    "a: &a [x, x]",
    "tags: [*a, *a]",
    "<<: {title: X}",
    "? [a]\n: b",
    "title: [",
    "dek: |\n  two\n  lines",
    "seo_title: '\\x9b'",
]
text = st.text(max_size=40) | st.sampled_from(RISKY_TEXT)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
record = st.fixed_dictionaries(
    {"title": text, "body": text},
    optional={
        key: json_value
        for key in ("id", "seo_title", "dek", "slug", "published", "tags", "authors", "topic")
    },
)
fuzz = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Module-scoped: Hypothesis runs many examples per test, and a function-scoped tmp_path
    # would be shared by all of them anyway.
    return tmp_path_factory.mktemp("any-input")


def _storable(article: ArticleInput) -> None:
    """What the database needs: text it can encode, and dates in range and in UTC."""
    for value in (article.title, article.seo_title, article.dek, article.slug, article.body_html):
        value.encode("utf-8")
        assert "\x00" not in value
    for name in (*article.topics, *article.authors, article.external_id):
        name.encode("utf-8")
    assert article.title and len(article.title) <= 255 and len(article.external_id) <= 255
    if article.published_at is not None:
        assert article.published_at.tzinfo is UTC
        assert FIRST_YEAR - 1 <= article.published_at.year <= LAST_YEAR + 1


def _parse(kind: str, data: bytes, work_dir: Path) -> None:
    path = work_dir / "fuzzed"
    path.write_bytes(data)
    try:
        parsed: ParsedFile = PARSERS[kind](path, None)
    except ImportFailure as failure:
        str(failure).encode("utf-8")  # the message itself can always be printed
        assert failure.path == str(path)
        return
    for article in parsed.articles:
        _storable(article)


@fuzz
@given(data=st.lists(record, min_size=1, max_size=3))
def test_any_json_lines(work_dir: Path, data: list[dict[str, object]]) -> None:
    lines = "\n".join(json.dumps(item) for item in data)
    _parse("jsonl", lines.encode(), work_dir)


@fuzz
@given(
    lines=st.lists(st.sampled_from(YAML_LINES) | text, max_size=6),
    body=text,
    closed=st.booleans(),
)
def test_any_markdown_front_matter(
    work_dir: Path, lines: list[str], body: str, closed: bool
) -> None:
    source = "---\n" + "\n".join(lines) + ("\n---\n" if closed else "\n") + body
    _parse("markdown", source.encode("utf-8", "surrogatepass"), work_dir)


@fuzz
@given(data=st.binary(max_size=300))
def test_any_bytes_in_every_format(work_dir: Path, data: bytes) -> None:
    for kind in PARSERS:
        _parse(kind, data, work_dir)


@fuzz
@given(blocks=st.lists(text | st.just("Recent Articles"), min_size=1, max_size=8))
def test_any_plain_text(work_dir: Path, blocks: list[str]) -> None:
    source = "\n\n".join(blocks)
    _parse("text", source.encode("utf-8", "surrogatepass"), work_dir)
