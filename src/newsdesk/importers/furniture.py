"""Lines of a news page copied as text that belong to the page around the article.

A browser copies everything between the reader's selection marks: the "Skip to content" link,
the breadcrumb trail, share buttons, advertisement labels, picture credits, the "Related
Topics" box, the cookie banner. This module recognises such lines so the plain-text importer
can drop them. The set is kept conservative on purpose: only whole lines are matched (never a
phrase inside a paragraph), case does not matter, and each entry is a line no article would
hold as its own paragraph. A line it misses stays in the article, where an editor sees it; a
line it wrongly dropped would be lost without anyone noticing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Whole lines, compared case-folded with punctuation removed and spaces folded, so that
# "Share this article:" and "SHARE" match too.
PHRASES = frozenset(
    {
        # Navigation and accessibility links.
        "skip to content",
        "skip to main content",
        "skip to navigation",
        "skip to main navigation",
        "skip to footer",
        # Sharing and saving.
        "share",
        "share this",
        "share this article",
        "share this story",
        "share this page",
        "share on facebook",
        "share on twitter",
        "share on x",
        "share on whatsapp",
        "share on linkedin",
        "share by email",
        "share via email",
        "copy link",
        "link copied",
        "save",
        "save article",
        "listen to this article",
        # Advertising.
        "advertisement",
        "advertisement continue reading below",
        "story continues below advertisement",
        "article continues below advertisement",
        "continue reading below",
        "scroll to continue with content",
        # Calls to action.
        "get the daily news directly in your inbox",
        "subscribe to our newsletter",
        "sign up for our newsletter",
        "leave a comment",
        "follow us",
        # Cookie banners' buttons.
        "accept all cookies",
        "accept cookies",
        "reject all cookies",
        "reject cookies",
        "cookie settings",
        "cookie preferences",
        "manage cookies",
        "manage cookie preferences",
    }
)

# Lines that head a list of links to other pages ("Related Topics" then the topics' names).
# They are furniture themselves; at the end of the file, the short lines after them are the
# list's items (see ``trailing_list_start``).
LIST_HEADINGS = frozenset(
    {
        "related topics",
        "more on this story",
        "related stories",
        "related articles",
        "related posts",
        "related content",
        "recent articles",
        "recent posts",
        "top stories",
        "most read",
        "most popular",
        "you may also like",
        "you might also like",
        "read more",
    }
)

_RELATIVE_TIME = r"\d{1,3} (?:second|sec|minute|min|hour|hr|day|week|month|year)s? ago"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"  # "March", "Mar."
_DATE = (
    rf"(?:\d{{1,2}} {_MONTH},? \d{{4}}|{_MONTH} \d{{1,2}},? \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}|today|yesterday|just now)"
)
_TIME = r"(?:,? (?:at )?\d{1,2}[:.]\d{2}(?: ?[ap]\.?m\.?)?(?: [a-z]{2,5})?)?"
# Patterns for a whole line (whitespace folded, case ignored).
PATTERNS = (
    # A dateline of the page, not of the story: "Published 3 hours ago", "Updated 12 March
    # 2024, 14:05 GMT". A sentence that merely mentions a date has words around it.
    re.compile(
        rf"(?:published|updated|last updated|posted)(?: on)?:? (?:{_RELATIVE_TIME}|{_DATE}){_TIME}"
    ),
    # Picture furniture: "Image source, Getty Images", "Image caption, The harbour at dawn".
    re.compile(r"(?:image|media|video|photo|picture) (?:caption|source|credit)s?\b.*"),
    # A breadcrumb trail: "Home > News > World", "Home / Sport" (always starts at Home).
    re.compile(r"home(?: ?[>›»/|] ?[^>›»/|]{1,40}){1,8}"),
    # A cookie banner's text: "We use cookies to ...", "This website uses cookies ...".
    re.compile(r"(?:we|this (?:web)?site|our (?:web)?site) uses? cookies\b.*"),
)
# Furniture lines are short; longer lines are not even looked at (a 2 MB line costs nothing).
MAX_FURNITURE_CHARS = 400
_NOT_WORD = re.compile(r"[^\w\s]")


def normalised(line: str) -> str:
    """The line case-folded, without punctuation, with its spaces folded."""
    return " ".join(_NOT_WORD.sub("", line).casefold().split())


def is_furniture(line: str) -> bool:
    """Whether the whole ``line`` (whitespace already folded) is page furniture."""
    if len(line) > MAX_FURNITURE_CHARS:
        return False
    words = normalised(line)
    if words in PHRASES or words in LIST_HEADINGS:
        return True
    folded = line.casefold()
    return any(pattern.fullmatch(folded) for pattern in PATTERNS)


def is_list_heading(line: str) -> bool:
    return len(line) <= MAX_FURNITURE_CHARS and normalised(line) in LIST_HEADINGS


def trailing_list_start(lines: Sequence[str], *, short: Sequence[bool]) -> int | None:
    """Where a list of links at the end of the text starts ("Related Topics", then names).

    Walking back from the last line over lines marked ``short`` (a link's title has a heading's
    length, not a paragraph's), the earliest list heading met is the list's start: it and every
    line after it are furniture. A line of prose after the heading stops the rule, and then only
    the heading itself is dropped, so no paragraph is ever lost to it.
    """
    start = None
    for index in range(len(lines) - 1, -1, -1):
        if is_list_heading(lines[index]):
            start = index
        elif not short[index]:
            break
    return start
