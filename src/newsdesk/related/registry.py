"""The similarity index of this process, kept in step with the database.

Each process (web worker, task worker, CLI) that ranks related stories holds one index in
memory. It is built from the stored signatures on first use and then follows changes made by any
process by reading the signatures updated since its last look. When more than a fifth of it was
added after the build, it is rebuilt, so IDF and the latent basis stay fresh.

Threads (docs/architecture.md, "Threads"): the index is changed in place by a sync, so it is only
ever used under the lock, for the whole use: ``index_in_use()`` syncs and hands it out, and no
other thread syncs or ranks until the block ends. A sync inside a transaction sees that
transaction's own uncommitted signatures. Rows applied so are remembered with their version, and
the next sync checks them against what the database holds then: a row that was rolled back is
read again (or taken out), so a rolled-back signature does not stay in the index. An index built
inside a transaction checks its recent rows (those within SYNC_OVERLAP, where that
transaction's own writes are) the same way.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, models
from django.utils import timezone

from newsdesk.related.index import Document, SimilarityIndex
from newsdesk.related.models import ArticleSignature

# Re-read changes from slightly before the last look: two processes' clocks, and transactions
# that committed a row with an earlier timestamp after we looked, are both covered.
SYNC_OVERLAP = timedelta(seconds=30)
REBUILD_SHARE = 0.2
# Below this many added rows the index is not rebuilt, however small it is: a handful of
# stories gives the latent view too little to refit on (services.RERANK_MIN follows it).
REBUILD_MIN = 10
STREAM_CHUNK = 2000
# How long a row applied from inside a transaction is checked again at each sync.
UNCONFIRMED_FOR = timedelta(minutes=10)
# Beyond this many distinct applied versions, skipping them in SQL makes too long a query.
MAX_SKIPPED_VERSIONS = 500

# Re-entrant: a rebuild inside an ``index_in_use()`` block takes it again.
_lock = threading.RLock()
_index: SimilarityIndex | None = None
_synced_at: datetime | None = None
# The version of each signature this process applied, for the rows the next look will read
# again (those changed within SYNC_OVERLAP of the last look): re-read rows that did not change
# since are skipped, so a burst of publishes does not re-apply the same rows again. Older
# entries are dropped; a row is read again only once it changes, with a new version.
_applied: dict[int, datetime] = {}
# Rows applied from inside a transaction, by article, with the version applied: checked at the
# next sync (see the module's docstring).
_unconfirmed: dict[int, datetime] = {}


def document_from(row: ArticleSignature) -> Document:
    return Document(
        doc_id=row.article_id,
        day=row.published_day,
        terms=np.frombuffer(bytes(row.terms), dtype="<u4"),
        weights=np.frombuffer(bytes(row.weights), dtype="<f4"),
    )


def _load_all(started: datetime) -> SimilarityIndex:
    _unconfirmed.clear()
    in_transaction = connection.in_atomic_block
    rows = (
        ArticleSignature.objects.filter(active=True)
        .order_by("article_id")
        .values_list("article_id", "terms", "weights", "published_day", "updated_at")
    )
    _applied.clear()
    recent = started - SYNC_OVERLAP
    ids, days, lengths = array("q"), array("d"), array("q")
    terms, weights = bytearray(), bytearray()
    # Straight into flat buffers, streamed in chunks: no per-article Python objects survive, so
    # loading 100,000 articles costs little more than the arrays themselves.
    for article_id, term_bytes, weight_bytes, day, updated_at in rows.iterator(
        chunk_size=STREAM_CHUNK
    ):
        ids.append(article_id)
        days.append(day)
        lengths.append(len(term_bytes) // 4)
        terms += term_bytes
        weights += weight_bytes
        if updated_at >= recent:
            _applied[article_id] = updated_at
            if in_transaction:
                _unconfirmed[article_id] = updated_at
    return SimilarityIndex(
        ids=np.frombuffer(ids, dtype=np.int64),
        days=np.frombuffer(days, dtype=np.float64),
        lengths=np.frombuffer(lengths, dtype=np.int64),
        # Views of the buffers, not copies (the stored byte order is the machine's on x86/ARM).
        terms=np.frombuffer(terms, dtype="<u4").astype(np.uint32, copy=False),
        weights=np.frombuffer(weights, dtype="<f4").astype(np.float32, copy=False),
    )


@contextmanager
def index_in_use(*, rebuild: bool = False) -> Iterator[SimilarityIndex]:
    """The synced index, for as long as the block runs and for this thread only."""
    with _lock:
        yield _synced_index(rebuild=rebuild)


def _synced_index(*, rebuild: bool = False) -> SimilarityIndex:
    global _index, _synced_at
    with _lock:
        started = timezone.now()
        # Both are set together and cleared together; without a last look to read changes
        # since, the only safe index is a fresh one.
        if _index is None or _synced_at is None or rebuild:
            _index = None  # the old index goes first: two at once would double the peak
            _index, _synced_at = _load_all(started), started
            return _index
        changed = ArticleSignature.objects.filter(updated_at__gte=_synced_at - SYNC_OVERLAP)
        versions = set(_applied.values())
        if len(versions) <= MAX_SKIPPED_VERSIONS:
            # Versions already applied are not even read: after a rebuild or an import every
            # row is in the overlap, and reading them all again on each publish cost 60 ms at
            # 10,000 articles. A bulk save stamps its rows with one version, so there are few.
            # (Another transaction stamping a row with the very same microsecond is the
            # theoretical cost: that row would wait for its next change.)
            changed = changed.exclude(updated_at__in=versions)
        if _unconfirmed:
            changed = changed | _recheck_unconfirmed(_index, started)
        in_transaction = connection.in_atomic_block
        for row in changed.iterator(chunk_size=STREAM_CHUNK):
            if _applied.get(row.article_id) == row.updated_at:
                continue
            _applied[row.article_id] = row.updated_at
            if in_transaction:
                _unconfirmed[row.article_id] = row.updated_at
            if row.active:
                _index.upsert(document_from(row))
            else:
                _index.remove(row.article_id)
        _synced_at = started
        _forget_older_than(started - SYNC_OVERLAP)
        if len(_index.extra_rows) > max(REBUILD_MIN, REBUILD_SHARE * _index.base_size):
            _index = None
            _index = _load_all(started)
        return _index


def _recheck_unconfirmed(
    index: SimilarityIndex, now: datetime
) -> models.QuerySet[ArticleSignature]:
    """Rows applied from a transaction, as the database holds them now; the rows to read again.

    A row whose version is gone (rolled back, or changed since) is read again, and one that is
    gone altogether leaves the index. A row still there is confirmed once this connection is
    outside any transaction (it then cannot be an uncommitted row of ours); inside one it may
    still be, so it is checked again at later syncs, for as long as a transaction plausibly
    stays open (UNCONFIRMED_FOR).
    """
    held = dict(
        ArticleSignature.objects.filter(article_id__in=list(_unconfirmed)).values_list(
            "article_id", "updated_at"
        )
    )
    settled = not connection.in_atomic_block
    stale: list[int] = []
    for article_id, version in list(_unconfirmed.items()):
        if held.get(article_id) != version:
            stale.append(article_id)
            _applied.pop(article_id, None)
            del _unconfirmed[article_id]
            if article_id not in held:
                index.remove(article_id)
        elif settled or version < now - UNCONFIRMED_FOR:
            del _unconfirmed[article_id]
    return ArticleSignature.objects.filter(article_id__in=stale)


def _forget_older_than(moment: datetime) -> None:
    for article_id in [a for a, updated_at in _applied.items() if updated_at < moment]:
        del _applied[article_id]


def current_index_unsynced() -> SimilarityIndex:
    """The index as it is, without asking the database: for a rebuild's forked workers, which
    must not use the connection they inherited (and hold a copy of their own)."""
    assert _index is not None, "build the index before forking workers"
    return _index


def forget() -> None:
    """Drop this process's index (tests, and after a full rebuild elsewhere)."""
    global _index, _synced_at
    with _lock:
        _index, _synced_at = None, None
        _applied.clear()
        _unconfirmed.clear()
