"""Which whole lines count as a copied page's furniture, and which look alike but are prose."""

from __future__ import annotations

import pytest

from newsdesk.importers.furniture import MAX_FURNITURE_CHARS, is_furniture, trailing_list_start


@pytest.mark.parametrize(
    "line",
    [
        "Published 3 hours ago",
        "Updated 12 March 2024, 14:05 GMT",
        "Published on March 12, 2024",
        "Home > News > World",
        "Home › Sport",
        "This website uses cookies to improve your experience.",
        "Accept all cookies",
        "Image source, Getty Images",
        "Image caption, The north wall after the storm",
        "SHARE THIS ARTICLE:",
        "Skip to main content",
        "Related Topics",
    ],
)
def test_page_furniture_is_recognised_by_whole_line(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "Published in 1999, the book sold well.",
        "Home is where the heart is.",
        "Updated guidance was published today.",
        "Share prices fell.",
        "Save the date",
        "Advertisement revenue fell by a third.",
        "Share " * (MAX_FURNITURE_CHARS // 6 + 1),  # too long to be looked at
    ],
)
def test_prose_that_starts_like_furniture_is_kept(line: str) -> None:
    assert not is_furniture(line)


def test_a_trailing_list_starts_at_its_earliest_heading_among_short_lines() -> None:
    lines = ["A paragraph.", "Short line", "More on this story", "Item", "Related Topics", "X"]
    short = [False, True, True, True, True, True]
    assert trailing_list_start(lines, short=short) == 2
    # A paragraph after the heading: no list, the heading alone is dropped elsewhere.
    assert trailing_list_start([*lines, "A closing paragraph."], short=[*short, False]) is None
