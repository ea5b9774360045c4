"""YAML front matter through ``newsdesk import``: what a hostile or mistaken header is told."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsdesk.importers.front_matter import MAX_FRONT_MATTER_CHARS
from newsdesk.news.models import ArticlePage
from tests.importers.commands import assert_refused, run_import

pytestmark = pytest.mark.django_db


def _story(tmp_path: Path, front_matter: str, body: str = "Body text.\n") -> Path:
    path = tmp_path / "story.md"
    path.write_text(f"---\n{front_matter}---\n{body}", encoding="utf-8")
    return path


def _laughs() -> str:
    """The "billion laughs" inside one known key: 9 ** 9 items from a few hundred bytes.

    Before the fix the loader built it happily (the nodes are shared) and ``str()`` of the id
    walked all of it: 55 s and 2.6 GB, then a MemoryError.
    """
    rows = ['id: [&a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"  , &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "title: Laughs\n" + "\n".join(rows) + "\n  ]\n"


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    bomb = _laughs()
    assert len(bomb.encode()) < 450
    path = _story(tmp_path, bomb)
    started = time.perf_counter()
    run = run_import(path, "--publish")
    assert time.perf_counter() - started < 1
    assert_refused(run, path, 3, "front matter may not use YAML anchors or aliases (&, *)")


@pytest.mark.parametrize(
    ("front_matter", "line"),
    [
        ("title: &t Pier reopens\n", 2),  # an anchor alone
        ("title: Pier reopens\ndek: &d Two years\nseo_title: *d\n", 3),
        ("title: T\ntags: [Harbour, &x Tourism]\n", 3),
        ("title: T\n<<: *base\n", 3),  # a merge key needs an alias
    ],
)
def test_anchors_and_aliases_are_refused_with_their_line(
    tmp_path: Path, front_matter: str, line: int
) -> None:
    path = _story(tmp_path, front_matter)
    assert_refused(run_import(path), path, line, "may not use YAML anchors or aliases (&, *)")


@pytest.mark.parametrize(
    ("front_matter", "line", "fragments"),
    [
        # YAML 1.1 reads these as timestamps, and Python cannot build them.
        ("title: T\ndate: 2024-13-45\n", 3, ("'date' is not a real date: '2024-13-45'", "month")),
        ("title: T\ndate: 2024-02-30\n", 3, ("'date' is not a real date", "YYYY-MM-DD")),
        ("title: T\npublished: 2024-05-01 10:00:00 +99:00\n", 3, ("'published' is not a real",)),
        ("title: T\ndate: !!timestamp soon\n", 3, ("'date' is not a real date: 'soon'",)),
        # Past Python's 4,300-digit int-from-text limit (decimal), or just too long an id (hex).
        ("title: T\nid: " + "9" * 5000 + "\n", 3, ("'id' is a number with 5,000 digits", "quotes")),
        ("title: T\nid: 0x" + "f" * 5000 + "\n", 3, ("'id' is a number longer than the limit",)),
        ("title: T\ndate: !!int soon\n", 3, ("'date' cannot be read",)),
        ("title: T\ntags:\n  - Harbour\n  - 2024-13-45\n", 5, ("'tags' is not a real date",)),
        ("title: T\nid: 1.10\n", 3, ("'id' must be text or a whole number (put it in quotes)",)),
        ("title: T\nid: yes\n", 3, ("'id' must be text or a whole number",)),
        ("title: !!python/object/apply:os.system [id]\n", 2, ("not valid YAML here", "!!python")),
        ('title: "Pier\\ud800"\n', 2, ("'title' contains \\ud800, half of a UTF-16 surrogate",)),
        ('title: T\ndek: "\\x9b31m"\n', 3, ("'dek' contains control characters (\\x9b",)),
        ("title: T\ndek: bell\x07\n", 3, ("contains the character \\x07, which YAML does not",)),
        ("title: T\ntags: " + "[" * 30 + "\n", 3, ("nested more than 20 levels deep",)),
        ("title: T\ndek: First\ndek: Second\n", 4, ("'dek' appears twice (first on line 3)",)),
        ("title: T\n? [a, b]\n: c\n", 3, ("front matter keys must be plain names",)),
        ("title: T\ndek: [unclosed\n", 4, ("front matter is not valid YAML (column 1)",)),
        ("title: T\n" + "".join(f"x{n}: 1\n" for n in range(30)), 3, ("x9 and 20 more",)),
        ("title: T\ndek: " + "d" * 301 + "\n", 3, ("'dek' is 301 characters",)),
    ],
)
def test_a_value_yaml_or_python_cannot_take_names_file_line_and_field(
    tmp_path: Path, front_matter: str, line: int, fragments: tuple[str, ...]
) -> None:
    path = _story(tmp_path, front_matter)
    assert_refused(run_import(path, "--publish"), path, line, *fragments)


def test_front_matter_is_bounded_in_size(tmp_path: Path) -> None:
    path = _story(tmp_path, "title: T\ndek: " + "d" * MAX_FRONT_MATTER_CHARS + "\n")
    size = len("title: T\ndek: \n") + MAX_FRONT_MATTER_CHARS
    assert_refused(run_import(path), path, 2, f"front matter is {size:,} characters; the limit")


def test_the_headline_from_a_heading_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = _story(tmp_path, "dek: Fine\n", body="\n\n# Bad\x7fheading\n\nText.\n")
    assert_refused(run_import(path), path, 6, "'title' contains control characters (\\x7f")


def test_plain_front_matter_still_imports(tmp_path: Path, home: object) -> None:
    path = _story(
        tmp_path,
        "title: Pier reopens\ndate: 2024-05-01 09:30:00+02:00\nid: 2024\ntags: [Harbour]\n"
        "dek: 'Surrogate pairs are fine: \\U0001F600'\n",
    )
    assert run_import(path, "--publish").status == 0
    article = ArticlePage.objects.get()
    assert (article.title, article.import_external_id) == ("Pier reopens", "2024")
    assert article.first_published_at == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
