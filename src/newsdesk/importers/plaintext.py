"""Plain text articles, as a news page copied from a browser comes out (``seed-article.txt``).

The layout read (README "Importing" says the same to operators):

- The first line is the headline. When the second line also reads as a headline (at most
  ``MAX_HEADLINE_WORDS`` words, not ending like a sentence or a clause with ``. , ; :``) and a
  paragraph follows it, the first line is the browser's title (kept as the SEO title) and the
  second the headline: the shape of a page saved with its title.
- The body: when blank lines separate its lines anywhere, each blank-line-separated block is a
  paragraph and the line breaks inside a block are wrapping; when there is no blank line in the
  body (a page copied with single line breaks, or with blank lines only after the title), each
  line is a paragraph. The body needs at least one paragraph that does not read as a heading.
- A line that starts with a lowercase word, right after a line that stops without final
  punctuation, continues that line (text wrapped by an editor; a headline on two lines).
- A heading: a paragraph of one line, at most ``MAX_HEADING_WORDS`` words and
  ``MAX_HEADING_CHARS`` characters, not ending in ``. ! ? : ; , …`` or a closing quote or
  bracket, and followed by a paragraph that is not itself a heading, becomes an ``<h2>``.
- Page furniture ("Share", "Advertisement", "Image caption, …", "Published 3 hours ago", a
  breadcrumb trail, a cookie banner, "Related Topics" and the list after it at the end) is
  dropped line by line wherever it stands (``furniture.py``), and the import reports how many
  lines went.
- Windows and old Mac line endings, a byte order mark, non-breaking and trailing spaces are
  read as plain line breaks and spaces.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from newsdesk.importers.base import (
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    ImportFailure,
    ParsedFile,
    check_body,
    clean_line,
    read_text,
)
from newsdesk.importers.furniture import is_furniture, trailing_list_start
from newsdesk.news.services import ArticleInput

EXPECTED_LAYOUT = (
    "expected: the headline on the first line (or the page's title, then the headline), then "
    "the body's paragraphs, separated by blank lines or one per line"
)
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 14
MAX_HEADLINE_WORDS = 25
# A long article has a few hundred lines; each line costs a few microseconds to judge, so a
# million one-character lines (2 MB) would take seconds to refuse by length alone.
MAX_LINES = 50_000
# Sentence-ending punctuation; a line ending in one of these is prose, not a heading.
_FINAL_PUNCTUATION = tuple(".!?:;,…\"'”’)")
# A headline may end in "?", "!" or a quote; one ending like a sentence or a clause is prose.
_PROSE_ENDINGS = tuple(".,;:")
# Characters that print as nothing: a byte order mark inside the text (files joined together)
# and zero-width spaces. Without this a line holding only them would not be blank.
_INVISIBLE = str.maketrans("", "", "\ufeff\u200b")
# A line holding something other than white space (``\s`` covers non-breaking spaces).
_FILLED_LINE = re.compile(r"^.*\S.*$", re.MULTILINE)
_FURNITURE_LINES_LISTED = 10


@dataclass(frozen=True)
class Line:
    number: int
    text: str  # white space folded to single spaces
    after_blank: bool  # a blank line comes between this line and the previous kept one
    wrapped: bool = False  # joined from several lines of the file


def looks_like_heading(text: str) -> bool:
    return (
        len(text) <= MAX_HEADING_CHARS
        and len(text.split()) <= MAX_HEADING_WORDS
        and not text.endswith(_FINAL_PUNCTUATION)
    )


def looks_like_headline(text: str) -> bool:
    return (
        len(text) <= MAX_TITLE_CHARS
        and len(text.split()) <= MAX_HEADLINE_WORDS
        and not text.endswith(_PROSE_ENDINGS)
    )


def _filled_lines(text: str) -> Iterator[Line]:
    """The lines that are not blank, with white space folded.

    A regular expression finds them, so that a file of millions of blank lines costs C time,
    not a Python loop per line; nothing is split into a list of every line.
    """
    number, position, blank = 1, 0, False
    for match in _FILLED_LINE.finditer(text):
        breaks = text.count("\n", position, match.start())
        number += breaks
        position = match.start()
        # More than one line break since the previous filled line: a blank line between.
        blank = blank or breaks > 1
        folded = " ".join(match.group().translate(_INVISIBLE).split())
        if folded:
            yield Line(number, folded, blank)
            blank = False
        else:
            blank = True  # a line of invisible characters only is a blank line


def _read_lines(path: Path, text: str) -> tuple[list[Line], list[int]]:
    """The article's lines, and the numbers of the lines dropped as page furniture.

    A line dropped between two blank-separated lines leaves them blank-separated, and one
    dropped between two adjacent lines leaves them adjacent: the layout stays what it was.
    """
    lines: list[Line] = []
    characters = 0
    for line in _filled_lines(text):
        lines.append(line)
        # Bounded work: a body this long is refused anyway, so stop reading. The first line
        # is left to the headline's own check, which names it.
        characters += len(line.text) if len(lines) > 1 else 0
        if characters > MAX_BODY_CHARS:
            raise ImportFailure(
                path,
                line.number,
                f"the text is longer than {MAX_BODY_CHARS:,} characters (split the article)",
            )
        if len(lines) > MAX_LINES:
            raise ImportFailure(
                path,
                line.number,
                f"more than {MAX_LINES:,} lines of text: too many for one article (split it)",
            )
    furniture = [is_furniture(line.text) for line in lines]
    # The list at the foot of the page ("Related Topics", its items) is found with its
    # heading still in place; then every furniture line goes, wherever it stands.
    end = trailing_list_start(
        [line.text for line in lines],
        short=[
            f or looks_like_heading(line.text) for f, line in zip(furniture, lines, strict=True)
        ],
    )
    kept: list[Line] = []
    dropped = [line.number for line in lines[end:]] if end is not None else []
    blank_pending = False
    for line, is_page_furniture in zip(lines[:end], furniture, strict=False):
        if is_page_furniture:
            dropped.append(line.number)
            blank_pending = blank_pending or line.after_blank
            continue
        kept.append(
            Line(line.number, line.text, bool(kept) and (line.after_blank or blank_pending))
        )
        blank_pending = False
    return kept, sorted(dropped)


def _continues(previous: Line, line: Line) -> bool:
    """Whether ``line`` is the wrapped rest of ``previous``.

    No blank line between, the previous line stops without final punctuation, and this one
    starts with a lowercase word ("wrapped", not "iPhone" or "Today"): text wrapped by an editor
    or an email program, which a browser's copy never breaks mid-sentence.
    """
    return (
        not line.after_blank
        and line.text.split(" ", 1)[0].islower()
        and not previous.text.endswith(_FINAL_PUNCTUATION)
    )


def _join_wrapped(lines: list[Line]) -> list[Line]:
    # Pieces are collected and joined once: adding to a string line by line is quadratic, and
    # a file of a million wrapped lines took minutes.
    groups: list[list[Line]] = []
    for line in lines:
        if groups and _continues(groups[-1][-1], line):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [
        group[0]
        if len(group) == 1
        else Line(group[0].number, " ".join(g.text for g in group), group[0].after_blank, True)
        for group in groups
    ]


def _has_paragraph(lines: list[Line]) -> bool:
    return any(not looks_like_heading(line.text) for line in lines)


def _is_headline(lines: list[Line]) -> bool:
    """Whether the first of ``lines`` (those after the first line) is the headline.

    It must read as one and have a paragraph after it. In a body laid out in blank-separated
    blocks it must also be a block of its own: the first line of a wrapped paragraph is not
    a headline.
    """
    candidate, after = lines[0], lines[1:]
    in_blocks = any(line.after_blank for line in after[1:])
    return (
        looks_like_headline(candidate.text)
        and _has_paragraph(after)
        and not (in_blocks and not after[0].after_blank)
    )


def _units(body: list[Line]) -> list[tuple[int, str, bool]]:
    """The body's paragraphs as (line number, text, whether it is a single line)."""
    if not any(line.after_blank for line in body[1:]):
        return [(line.number, line.text, not line.wrapped) for line in body]
    units: list[tuple[int, list[str], bool]] = []
    for line in body:
        if line.after_blank or not units:
            units.append((line.number, [line.text], line.wrapped))
        else:
            units[-1][1].append(line.text)
    return [
        (number, " ".join(texts), len(texts) == 1 and not wrapped)
        for number, texts, wrapped in units
    ]


def _body_html(body: list[Line]) -> str:
    units = _units(body)
    parts: list[str] = []
    for index, (_number, text, single) in enumerate(units):
        following = units[index + 1] if index + 1 < len(units) else None
        heading = single and looks_like_heading(text)
        if heading and following and not (following[2] and looks_like_heading(following[1])):
            parts.append(f"<h2>{html.escape(text, quote=False)}</h2>")
        else:
            parts.append(f"<p>{html.escape(text, quote=False)}</p>")
    return "".join(parts)


def _refuse(path: Path, line: int | None, problem: str) -> ImportFailure:
    return ImportFailure(path, line, f"{problem}; {EXPECTED_LAYOUT}")


def _furniture_note(dropped: list[int]) -> tuple[str, ...]:
    if not dropped:
        return ()
    listed = ", ".join(str(number) for number in dropped[:_FURNITURE_LINES_LISTED])
    more = ", …" if len(dropped) > _FURNITURE_LINES_LISTED else ""
    lines = "line" if len(dropped) == 1 else "lines"
    return (f"dropped {len(dropped)} {lines} of page furniture ({lines} {listed}{more})",)


def parse_plaintext(path: Path, text: str | None = None) -> ParsedFile:
    text = read_text(path, expected=EXPECTED_LAYOUT) if text is None else text
    lines, dropped = _read_lines(path, text)
    lines = _join_wrapped(lines)
    if not lines:
        if dropped:
            raise _refuse(path, dropped[0], "every line is page furniture")
        raise _refuse(path, None, "the file is empty")
    first, rest = lines[0], lines[1:]
    if len(first.text) > MAX_TITLE_CHARS:
        raise _refuse(
            path,
            first.number,
            f"the first line is {len(first.text):,} characters, too long for a headline (the "
            f"limit is {MAX_TITLE_CHARS})",
        )
    if not rest:
        raise _refuse(path, first.number, "only a headline, and no body after it")
    seo_title, headline, body = None, first, rest
    if _is_headline(rest):
        seo_title, headline, body = first, rest[0], rest[1:]
    seo = ""
    if seo_title is not None:
        seo = clean_line(
            seo_title.text,
            field="title line",
            path=path,
            line=seo_title.number,
            limit=MAX_TITLE_CHARS,
        )
    title = clean_line(
        headline.text,
        field="headline",
        path=path,
        line=headline.number,
        limit=MAX_TITLE_CHARS,
        required=True,
    )
    if not _has_paragraph(body):
        raise _refuse(
            path,
            body[0].number,
            "the body has no paragraph, only short lines without final punctuation (they read "
            "as headings)",
        )
    body_html = check_body(_body_html(body), path=path, line=body[0].number)
    article = ArticleInput(
        title=title,
        seo_title="" if seo == title else seo,
        body_html=body_html,
        slug=slugify(title)[:200],
        source="text",
    )
    return ParsedFile(
        path=path, format="text", articles=[article], remarks=_furniture_note(dropped)
    )
