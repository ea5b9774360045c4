"""From article text to a sparse vector of weighted terms.

Terms are lower-cased, stop words dropped and the rest stemmed (Snowball), so "flooding" and
"floods" meet. Each field counts with its own weight: a headline says more about what a story is
about than any one body sentence. Topic and author names become terms of their own. Terms are
hashed to 32-bit ids (CRC-32, stable across processes and machines) so signatures need no shared
vocabulary and can be stored and compared independently.
"""

from __future__ import annotations

import math
import re
import threading
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from newsdesk.related.stopwords import STOPWORDS

# How much one occurrence in each field counts, relative to the body.
FIELD_WEIGHTS = {"title": 3.0, "dek": 2.0, "body": 1.0}
TOPIC_WEIGHT = 2.5
AUTHOR_WEIGHT = 0.5
# Terms kept per article: the strongest carry nearly all the similarity, and a fixed cap keeps
# the index's size linear in the number of articles.
MAX_TERMS = 100

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# snowballstemmer keeps the word being stemmed on the stemmer object itself, so one stemmer
# shared by threads gives wrong stems ("flooding" -> "hope") and IndexErrors: one per thread.
_per_thread = threading.local()


def _thread_stemmer() -> snowballstemmer.stemmer:
    stemmer = getattr(_per_thread, "stemmer", None)
    if stemmer is None:
        stemmer = _per_thread.stemmer = snowballstemmer.stemmer("english")
    return stemmer


@lru_cache(maxsize=200_000)  # thread-safe, and only ever holds right stems now
def _stem(word: str) -> str:
    return _thread_stemmer().stemWord(word)


def words(text: str) -> list[str]:
    """Stemmed content words of a text."""
    out: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group().replace("’", "'")
        if word.endswith("'s"):
            word = word[:-2]
        if len(word) < 3 or word in STOPWORDS:
            continue
        out.append(_stem(word))
    return out


def term_id(term: str) -> int:
    return zlib.crc32(term.encode("utf-8"))


@dataclass(frozen=True)
class Signature:
    """An article's strongest terms (ids) and their weights, before IDF."""

    terms: list[int]
    weights: list[float]


def signature(
    *, title: str, dek: str, body: str, topics: Iterable[str] = (), authors: Iterable[str] = ()
) -> Signature:
    # Field weights are fractional, so a float per word (a Counter holds ints).
    counts: defaultdict[str, float] = defaultdict(float)
    for field, text in (("title", title), ("dek", dek), ("body", body)):
        weight = FIELD_WEIGHTS[field]
        for word in words(text):
            counts[word] += weight
    weighted: dict[int, float] = {}
    for word, count in counts.items():
        # Sublinear: the tenth "council" says less than the first.
        weighted[term_id(word)] = weighted.get(term_id(word), 0.0) + 1.0 + math.log(count)
    for topic in topics:
        weighted[term_id("topic:" + topic.casefold())] = TOPIC_WEIGHT
    for author in authors:
        weighted[term_id("author:" + author.casefold())] = AUTHOR_WEIGHT
    strongest = sorted(weighted.items(), key=lambda item: item[1], reverse=True)[:MAX_TERMS]
    strongest.sort()
    return Signature(terms=[t for t, _ in strongest], weights=[w for _, w in strongest])
