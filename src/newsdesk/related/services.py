"""Writes of the related-stories engine: signatures, ranked lists, updates after a change, and
the full rebuild."""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import timedelta
from itertools import islice

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from newsdesk.news.rendering import plain_text
from newsdesk.news.versioning import publication_changed
from newsdesk.related import registry
from newsdesk.related.engine import NEAR_DUPLICATE, RankingSettings, pair_scores, rank_many
from newsdesk.related.index import SimilarityIndex, widen
from newsdesk.related.models import (
    ArticleSignature,
    RankingState,
    RelatedExclusion,
    RelatedLink,
    RelatedPin,
)
from newsdesk.related.text import signature

# When an article changes, the lists it might enter are those of its closest neighbours.
NEIGHBOURS_TO_CHECK = 50
# A batch of changes larger than this share of the archive (as indexed before it) is a rebuild:
# it costs at most ten times the batch's own text analysis and ranking, and leaves lists exactly
# as a rebuild's. (Fix: with a floor of 50, the demo's 32 articles, loaded into an empty site,
# were refreshed one by one and kept lists ranked against the first few.)
BATCH_REBUILD_SHARE = 0.1
PARALLEL_FROM = 2000
# Every list is ranked again, with a model fitted on the whole archive, once the archive has
# grown by this share (and by more than RERANK_MIN articles) since they all last were: lists
# ranked one publish at a time saw only the archive of their day and its model (RankingState).
# The same thresholds as the index's own refit: a refit after fewer stories helped nothing (a
# subject new since it is folded into a latent view that does not know its words).
RERANK_SHARE = registry.REBUILD_SHARE
RERANK_MIN = registry.REBUILD_MIN
# A full ranking queued this long ago and still not done was lost (a worker killed): queue anew.
RERANK_QUEUED_FOR = timedelta(hours=1)


def ranking_settings() -> RankingSettings:
    return RankingSettings(
        limit=settings.NEWSDESK_RELATED_COUNT,
        half_life_days=settings.NEWSDESK_RELATED_HALF_LIFE_DAYS,
    )


def _day(article: ArticlePage) -> float:
    moment = article.first_published_at or timezone.now()
    return moment.timestamp() / 86400.0


def _signature_row(fields: tuple[int, str, str, str, list[str], list[str], float]) -> tuple:
    """(article id, terms bytes, weights bytes, day) from an article's text fields.

    A plain function of plain values, so a full rebuild can run it in worker processes."""
    article_id, title, dek, body, topics, authors, day = fields
    sig = signature(title=title, dek=dek, body=plain_text(body), topics=topics, authors=authors)
    terms = np.asarray(sig.terms, dtype="<u4").tobytes()
    return article_id, terms, np.asarray(sig.weights, dtype="<f4").tobytes(), day


def _fields(article: ArticlePage) -> tuple[int, str, str, str, list[str], list[str], float]:
    return (
        article.pk,
        article.title,
        article.dek,
        article.body,
        [topic.name for topic in article.topics.all()],
        [author.name for author in article.authors.all()],
        _day(article),
    )


def _signatures_save(rows: Iterable[tuple]) -> None:
    now = timezone.now()
    ArticleSignature.objects.bulk_create(
        [
            ArticleSignature(
                article_id=article_id,
                terms=terms,
                weights=weights,
                published_day=day,
                active=True,
                updated_at=now,
            )
            for article_id, terms, weights, day in rows
        ],
        update_conflicts=True,
        unique_fields=["article_id"],
        update_fields=["terms", "weights", "published_day", "active", "updated_at"],
    )


def signature_store(*, article: ArticlePage) -> None:
    """Compute and store the term signature of a published article."""
    _signatures_save([_signature_row(_fields(article))])


def signature_deactivate(*, article_id: int) -> None:
    ArticleSignature.objects.filter(article_id=article_id).update(
        active=False, updated_at=timezone.now()
    )


def _choice_order(row: tuple[int, int, int | None, int, bool]) -> tuple[int, bool, int, int]:
    """Per page, by ``sort_order`` (unset first, as the database orders NULL), then by id."""
    page, _, sort_order, pk, _ = row
    return page, sort_order is not None, sort_order or 0, pk


def _editor_choices(article_ids: Iterable[int]) -> tuple[dict[int, list[int]], dict[int, set[int]]]:
    """Editors' pins (in order) and exclusions of these articles: one query, and one more only
    when there are pins."""
    ids = list(article_ids)
    # (order_by(): SQLite allows no ORDER BY in the parts of a UNION; sorted below.)
    fields = ("page_id", "story_id", "sort_order", "pk")
    pinned = RelatedPin.objects.filter(page_id__in=ids).order_by().values_list(*fields, Value(True))
    refused = RelatedExclusion.objects.filter(page_id__in=ids).order_by()
    refused = refused.values_list(*fields, Value(False))
    choices = sorted(pinned.union(refused, all=True), key=_choice_order)
    # Fix: only pins of published stories. A pin of an unpublished story was stored, hidden by
    # the selector, and left a hole in the list that nothing filled. (Checked by id: the
    # published subquery inside the UNION made SQLite scan every page.)
    pinned_stories = {story for _, story, _, _, is_pin in choices if is_pin}
    live: set[int] = set()
    if pinned_stories:
        published = ArticlePage.objects.published().filter(pk__in=pinned_stories)
        live = set(published.values_list("pk", flat=True))
    pins: dict[int, list[int]] = {}
    excluded: dict[int, set[int]] = {}
    for page, story, _, _, is_pin in choices:
        if not is_pin:
            excluded.setdefault(page, set()).add(story)
        elif story in live:
            pins.setdefault(page, []).append(story)
    return pins, excluded


LinkRow = tuple[int, int, int, float, bool]  # source, target, rank, score, pinned


def _list_rows(
    source: int, pins: list[int], ranked: Iterable[tuple[int, float]], limit: int
) -> list[LinkRow]:
    """An article's list as rows: its pins first (in order), then its ranked stories."""
    chosen = [(story, 1.0, True) for story in pins]
    chosen += [(story, score, False) for story, score in ranked]
    return [
        (source, story, rank, score, pinned)
        for rank, (story, score, pinned) in enumerate(chosen[:limit], start=1)
    ]


def _ranked_rows(
    index: SimilarityIndex,
    ids: list[int],
    pins: dict[int, list[int]],
    excluded: dict[int, set[int]],
) -> list[LinkRow]:
    """The lists of these articles as rows; pure computation (no database), so a rebuild can
    run it in worker processes."""
    config = ranking_settings()
    skip = {i: excluded.get(i, set()) | set(pins.get(i, [])) for i in ids}
    rows: list[LinkRow] = []
    for ranked in rank_many(index, ids, config, skip):
        rows += _list_rows(ranked.doc_id, pins.get(ranked.doc_id, []), ranked.related, config.limit)
    return rows


def _rows_replace(sources: Iterable[int], rows: list[LinkRow]) -> None:
    """Replace the stored lists of ``sources`` with ``rows`` (inside the caller's transaction)."""
    RelatedLink.objects.filter(source_id__in=list(sources)).delete()
    RelatedLink.objects.bulk_create(
        [
            RelatedLink(source_id=s, target_id=t, rank=r, score=sc, pinned=p)
            for s, t, r, sc, p in rows
        ],
        batch_size=1000,
    )


def _rows_save(ids: list[int], rows: list[LinkRow]) -> None:
    with transaction.atomic():
        _rows_replace(ids, rows)
        # Article pages cache their related stories under the publication version. Bumped as
        # the transaction's last statement, so it commits with the lists (one commit, not two)
        # and nothing in this process reads the new version before they are there.
        publication_changed()


def _ranking_and_nearest(
    index: SimilarityIndex, article_id: int
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """The article's related stories (no editors' choices applied) and its
    NEIGHBOURS_TO_CHECK nearest stories, with their scores, from one ranking pass."""
    ranked = next(
        iter(rank_many(index, [article_id], ranking_settings(), nearest=NEIGHBOURS_TO_CHECK)),
        None,
    )
    return (ranked.related, ranked.nearest) if ranked else ([], [])


def _stored_lists(ids: list[int]) -> dict[int, list[tuple[int, float, bool]]]:
    """The stored lists of these articles as (target, score, pinned), in rank order."""
    current: dict[int, list[tuple[int, float, bool]]] = {}
    links = RelatedLink.objects.filter(source_id__in=ids).order_by("source_id", "rank")
    fields = ("source_id", "target_id", "score", "pinned")
    for source, target, score, pinned in links.values_list(*fields):
        current.setdefault(source, []).append((target, score, pinned))
    return current


def _rescored(
    index: SimilarityIndex,
    lists: dict[int, list[tuple[int, float, bool]]],
    config: RankingSettings,
) -> dict[int, list[tuple[int, float, bool]]]:
    """The stored lists with each ranked entry's score as the index gives it now (in one
    product): a list ranked before the index was last refitted holds scores on
    another scale than the newcomer's. Pins, and entries no longer indexed, keep theirs."""
    pairs = [
        (source, target)
        for source, links in lists.items()
        for target, _, pinned in links
        if not pinned and source in index.position and target in index.position
    ]
    now = dict(zip(pairs, pair_scores(index, pairs, config), strict=True))
    return {
        source: [(t, now.get((source, t), score), pinned) for t, score, pinned in links]
        for source, links in lists.items()
    }


def _enter_lists(
    index: SimilarityIndex,
    article_id: int,
    neighbours: list[tuple[int, float]],
    refusing: set[int],
) -> tuple[list[LinkRow], set[int], set[int]]:
    """Put the article into the stored lists of the neighbours it outranks.

    Similarity and the time factor are symmetric, so the article's score in a neighbour's list
    is its score in the article's own ranking: a neighbour's list changes only by taking the
    article in and dropping its weakest entry, without ranking that neighbour again. Returns
    the new rows, the lists they replace, and neighbours with no stored list yet (to rank).
    """
    config = ranking_settings()
    limit = config.limit
    current = _rescored(index, _stored_lists([neighbour for neighbour, _ in neighbours]), config)
    # TF-IDF cosines between the article and every story now in those lists, in one product:
    # a story that is the article told again keeps its place and the article stays out.
    entries = sorted({target for links in current.values() for target, _, _ in links})
    entries = [entry for entry in entries if entry in index.position]
    closeness: dict[int, float] = {}
    own = index.row(article_id)
    if entries and own is not None:
        rows = index.tfidf_rows(np.array([index.position[e] for e in entries]))
        cosines = (rows @ widen(own[0], index.columns).T).toarray().ravel()
        closeness = dict(zip(entries, cosines.tolist(), strict=True))

    new_rows: list[LinkRow] = []
    replaced: set[int] = set()
    unranked: set[int] = set()
    for neighbour, score in neighbours:
        links = current.get(neighbour)
        if not links:
            unranked.add(neighbour)
            continue
        if neighbour in refusing or any(target == article_id for target, _, _ in links):
            continue
        pinned = [target for target, _, pin in links if pin]
        ranked = [(target, s) for target, s, pin in links if not pin]
        room = limit - len(pinned)
        if room <= 0 or (len(ranked) >= room and score <= min(s for _, s in ranked)):
            continue
        if any(closeness.get(target, 0.0) >= NEAR_DUPLICATE for target, _ in ranked):
            continue
        ranked = sorted([*ranked, (article_id, score)], key=lambda item: -item[1])
        replaced.add(neighbour)
        new_rows += _list_rows(neighbour, pinned, ranked, limit)
    return new_rows, replaced, unranked


def _own_and_entered(
    index: SimilarityIndex, article_id: int, skip: set[int]
) -> tuple[list[LinkRow], set[int], set[int]]:
    """The article's own list and the lists of the neighbours it enters (except ``skip``), from
    one ranking. Returns rows, the lists they replace, and neighbours still to rank."""
    related, nearest = _ranking_and_nearest(index, article_id)
    neighbours = [(n, score) for n, score in nearest if n not in skip]
    # One query for the article's own pins and exclusions and the neighbours' exclusions.
    pins, excluded = _editor_choices([article_id, *(n for n, _ in neighbours)])
    refusing = {n for n, _ in neighbours if article_id in excluded.get(n, ())}
    rows, replaced, unranked = _enter_lists(index, article_id, neighbours, refusing)
    if article_id in pins or article_id in excluded:
        # Editors' choices change which stories the greedy pick passes over: rank it exactly.
        rows += _ranked_rows(index, [article_id], pins, excluded)
    else:
        rows += _list_rows(article_id, [], related, ranking_settings().limit)
    return rows, replaced | {article_id}, unranked


@transaction.atomic
def related_refresh(*, article_id: int, also: Iterable[int] = ()) -> int:
    """Bring stored lists up to date after an article was published, edited or unpublished:
    its own list, the lists that named it, and the lists it now belongs in. Returns how many.

    One transaction, so the whole refresh costs one commit (one fsync on SQLite).
    """
    article = ArticlePage.objects.published().filter(pk=article_id).first()
    if article is not None:
        signature_store(article=article)
    else:
        signature_deactivate(article_id=article_id)
    with registry.index_in_use() as index:
        stored = _refresh_with(index, article_id, article is not None, also)
        indexed = len(index)
    _rerank_queue_if_grown(indexed)
    return stored


def _ranking_state() -> RankingState:
    state, _ = RankingState.objects.get_or_create(pk=1)
    return state


def _rerank_queue_if_grown(indexed: int) -> None:
    """Queue a full ranking of every list (in the worker) once the archive has outgrown the one
    they were last all ranked against. One small query per publish; the ranking itself costs
    about what a rebuild's ranking does, once per fifth of growth: over an archive's life, a
    few list rankings per publish."""
    state = _ranking_state()
    grown = indexed - state.archive_size
    if grown <= max(RERANK_MIN, RERANK_SHARE * state.archive_size):
        return
    now = timezone.now()
    if state.queued_at is not None and state.queued_at > now - RERANK_QUEUED_FOR:
        return
    RankingState.objects.filter(pk=state.pk).update(queued_at=now)
    from newsdesk.related.tasks import rerank_related

    transaction.on_commit(lambda: rerank_related.enqueue())


def _ranking_recorded(size: int) -> None:
    RankingState.objects.update_or_create(
        pk=1, defaults={"archive_size": size, "ranked_at": timezone.now(), "queued_at": None}
    )


def related_rerank(*, progress: Callable[[int, int], None] | None = None, batch: int = 500) -> int:
    """Rank every list again against a freshly fitted index (the signatures are kept: they do
    not depend on the rest of the archive). Returns the number of lists."""
    with registry.index_in_use(rebuild=True) as index:
        ids = sorted(int(i) for i in index.ids[index.active])
        done = _lists_rank_all(ids, progress=progress, batch=batch)
    return done


def _refresh_with(
    index: SimilarityIndex, article_id: int, published: bool, also: Iterable[int]
) -> int:
    # Lists that named the article are ranked again in full: its score in them changed, or it
    # left them and they need filling up. Fix: so are lists that pin it, so a pinned story
    # published again returns to the top of them (its similarity alone need not bring them).
    # (order_by(): SQLite allows no ORDER BY in the parts of a UNION.)
    naming = RelatedLink.objects.filter(target_id=article_id).order_by().values_list("source_id")
    pinning = RelatedPin.objects.filter(story_id=article_id).order_by().values_list("page_id")
    rerank = set(also) | {source for (source,) in naming.union(pinning)}
    rerank.discard(article_id)
    rows: list[LinkRow] = []
    replaced = {article_id}  # an unpublished article's own list goes
    if published and article_id in index.position:
        rows, replaced, unranked = _own_and_entered(index, article_id, rerank)
        rerank |= unranked
    ranked = [source for source in sorted(rerank) if source in index.position]
    if ranked:
        rows += _ranked_rows(index, ranked, *_editor_choices(ranked))
    stored = (replaced if published else replaced - {article_id}) | set(ranked)
    _rows_replace(replaced | set(ranked), rows)
    if stored:
        # Article pages cache their related stories under the publication version; bumped last
        # so it commits with the lists in the same (single) commit.
        publication_changed()
    return len(stored)


def related_refresh_many(*, article_ids: Iterable[int]) -> int:
    """Refresh after many changes at once: one by one when few, a full rebuild when the batch is
    a large share of the archive (cheaper than thousands of single refreshes)."""
    ids = sorted(set(article_ids))
    indexed = ArticleSignature.objects.filter(active=True).count()
    if len(ids) > BATCH_REBUILD_SHARE * indexed:
        return related_rebuild()
    return sum(related_refresh(article_id=article_id) for article_id in ids)


def rebuild_workers(total: int) -> int:
    """Processes a rebuild of ``total`` articles ranks in: several only for a large archive, and
    only from a process with no other thread running (``newsdesk related rebuild``). Forking a
    process while other threads run (a web server's, the worker's SMTP and task threads) copies
    locks those threads hold, and a child that needs one waits forever; there the rebuild runs
    in the process itself, slower but safe."""
    if total < PARALLEL_FROM or threading.active_count() > 1:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def related_rebuild(*, progress: Callable[[int, int], None] | None = None, batch: int = 500) -> int:
    """Recompute every signature and every list from scratch. Returns the number of lists.

    The costly parts, text analysis and ranking, run on every core (worker processes forked
    after the index is built share it); the database work stays in this process.
    """
    published = ArticlePage.objects.published().order_by("pk")
    total = published.count()
    ids: list[int] = []
    articles = published.prefetch_related("topics", "authors").iterator(chunk_size=batch)
    workers = rebuild_workers(total)
    with transaction.atomic():
        ArticleSignature.objects.update(active=False, updated_at=timezone.now())
        with _pool(workers) as pool:
            while article_fields := [_fields(article) for article in islice(articles, batch)]:
                signature_rows = list(pool.map(_signature_row, article_fields, chunksize=50))
                _signatures_save(signature_rows)
                ids.extend(row[0] for row in signature_rows)
    with registry.index_in_use(rebuild=True):
        done = _lists_rank_all(ids, progress=progress, batch=batch, total=total)
    RelatedLink.objects.exclude(
        source_id__in=ArticleSignature.objects.filter(active=True).values("article_id")
    ).delete()
    return done


def _lists_rank_all(
    ids: list[int],
    *,
    progress: Callable[[int, int], None] | None,
    batch: int,
    total: int | None = None,
) -> int:
    """Rank and store the lists of ``ids`` against the index the caller just built and holds
    (inside its ``index_in_use`` block), a chunk at a time; records the archive's size as the
    one every list was last ranked against."""
    done = 0
    chunks = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    # The index is built before the pool forks, so every worker ranks against this same index;
    # it is held for the whole ranking, so no other thread of this process changes it meanwhile.
    with _pool(rebuild_workers(len(ids))) as pool:
        tasks = [(chunk, *_editor_choices(chunk)) for chunk in chunks]
        for chunk, rows in zip(chunks, pool.map(_rank_chunk, tasks), strict=True):
            _rows_save(chunk, rows)
            done += len(chunk)
            if progress:
                progress(done, total if total is not None else len(ids))
    _ranking_recorded(len(ids))
    return done


def _rank_chunk(task: tuple[list[int], dict[int, list[int]], dict[int, set[int]]]) -> list[LinkRow]:
    # In a forked worker this is the index the parent built, shared copy-on-write.
    chunk, pins, excluded = task
    return _ranked_rows(registry.current_index_unsynced(), chunk, pins, excluded)


def _pool(workers: int) -> Executor:
    if workers == 1:
        return _InlineExecutor()
    # fork (only from a single-threaded process, see rebuild_workers): the workers only
    # compute, never touch the inherited database connection.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


class _InlineExecutor(Executor):
    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[no-untyped-def, override]
        return map(fn, *iterables)
