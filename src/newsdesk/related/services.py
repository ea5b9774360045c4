"""Writes of the related-stories engine: signatures, ranked lists, updates after a change, and
the full rebuild."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import islice

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from newsdesk.news.rendering import plain_text
from newsdesk.news.versioning import publication_changed
from newsdesk.related import registry
from newsdesk.related.engine import NEAR_DUPLICATE, RankingSettings, rank_many
from newsdesk.related.index import SimilarityIndex, widen
from newsdesk.related.models import ArticleSignature, RelatedExclusion, RelatedLink, RelatedPin
from newsdesk.related.text import signature

# When an article changes, the lists it might enter are those of its closest neighbours.
NEIGHBOURS_TO_CHECK = 50
# A batch of changes larger than this (and than this share of the archive) triggers a rebuild.
BATCH_REBUILD_MIN = 50
BATCH_REBUILD_SHARE = 0.1
PARALLEL_FROM = 2000


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


def _editor_choices(article_ids: Iterable[int]) -> tuple[dict[int, list[int]], dict[int, set[int]]]:
    ids = list(article_ids)
    pins: dict[int, list[int]] = {}
    # Fix: only pins of published stories. A pin of an unpublished story was stored, hidden by
    # the selector, and left a hole in the list that nothing filled.
    published = ArticlePage.objects.published().values("pk")
    pinned = RelatedPin.objects.filter(page_id__in=ids, story_id__in=published)
    for pin in pinned.order_by("page_id", "sort_order"):
        pins.setdefault(pin.page_id, []).append(pin.story_id)
    excluded: dict[int, set[int]] = {}
    for exclusion in RelatedExclusion.objects.filter(page_id__in=ids):
        excluded.setdefault(exclusion.page_id, set()).add(exclusion.story_id)
    return pins, excluded


LinkRow = tuple[int, int, int, float, bool]  # source, target, rank, score, pinned


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
        chosen = [(story, 1.0, True) for story in pins.get(ranked.doc_id, [])]
        chosen += [(story, score, False) for story, score in ranked.related]
        rows += [
            (ranked.doc_id, story, rank, score, pinned)
            for rank, (story, score, pinned) in enumerate(chosen[: config.limit], start=1)
        ]
    return rows


def _rows_save(ids: list[int], rows: list[LinkRow]) -> None:
    with transaction.atomic():
        RelatedLink.objects.filter(source_id__in=ids).delete()
        RelatedLink.objects.bulk_create(
            [
                RelatedLink(source_id=s, target_id=t, rank=r, score=sc, pinned=p)
                for s, t, r, sc, p in rows
            ],
            batch_size=1000,
        )
        # Article pages cache their related stories under the publication version.
        transaction.on_commit(publication_changed)


def lists_store(index: SimilarityIndex, article_ids: Iterable[int]) -> int:
    """Rank and store the lists of these articles; pins first, exclusions never. Returns count."""
    ids = [article_id for article_id in article_ids if article_id in index.position]
    if not ids:
        return 0
    pins, excluded = _editor_choices(ids)
    _rows_save(ids, _ranked_rows(index, ids, pins, excluded))
    return len(ids)


def _wide_ranking(index: SimilarityIndex, article_id: int) -> list[tuple[int, float]]:
    """The article's NEIGHBOURS_TO_CHECK closest stories with their scores."""
    config = ranking_settings()
    wide = RankingSettings(
        limit=NEIGHBOURS_TO_CHECK,
        half_life_days=config.half_life_days,
        recency_floor=config.recency_floor,
    )
    ranked = next(iter(rank_many(index, [article_id], wide)), None)
    return ranked.related if ranked else []


def _enter_lists(
    index: SimilarityIndex, article_id: int, neighbours: list[tuple[int, float]]
) -> tuple[list[RelatedLink], set[int], set[int]]:
    """Put the article into the stored lists of the neighbours it outranks.

    Similarity and the time factor are symmetric, so the article's score in a neighbour's list
    is its score in the article's own ranking: a neighbour's list changes only by taking the
    article in and dropping its weakest entry, without ranking that neighbour again. Returns
    the new links, the lists they replace, and neighbours with no stored list yet (to rank).
    """
    limit = ranking_settings().limit
    ids = [neighbour for neighbour, _ in neighbours]
    current: dict[int, list[RelatedLink]] = {}
    for link in RelatedLink.objects.filter(source_id__in=ids).order_by("source_id", "rank"):
        current.setdefault(link.source_id, []).append(link)
    refusing = set(
        RelatedExclusion.objects.filter(page_id__in=ids, story_id=article_id).values_list(
            "page_id", flat=True
        )
    )
    # TF-IDF cosines between the article and every story now in those lists, in one product:
    # a story that is the article told again keeps its place and the article stays out.
    entries = sorted({link.target_id for links in current.values() for link in links})
    entries = [entry for entry in entries if entry in index.position]
    closeness: dict[int, float] = {}
    own = index.row(article_id)
    if entries and own is not None:
        rows = index.tfidf_rows(np.array([index.position[e] for e in entries]))
        cosines = (rows @ widen(own[0], index.columns).T).toarray().ravel()
        closeness = dict(zip(entries, cosines.tolist(), strict=True))

    new_links: list[RelatedLink] = []
    replaced: set[int] = set()
    unranked: set[int] = set()
    for neighbour, score in neighbours:
        links = current.get(neighbour)
        if not links:
            unranked.add(neighbour)
            continue
        if neighbour in refusing or any(link.target_id == article_id for link in links):
            continue
        pinned = [link for link in links if link.pinned]
        ranked = [(link.target_id, link.score) for link in links if not link.pinned]
        room = limit - len(pinned)
        if room <= 0 or (len(ranked) >= room and score <= min(s for _, s in ranked)):
            continue
        if any(closeness.get(target, 0.0) >= NEAR_DUPLICATE for target, _ in ranked):
            continue
        ranked = sorted([*ranked, (article_id, score)], key=lambda item: -item[1])[:room]
        chosen = [(link.target_id, link.score, True) for link in pinned]
        chosen += [(target, s, False) for target, s in ranked]
        replaced.add(neighbour)
        new_links += [
            RelatedLink(source_id=neighbour, target_id=target, rank=rank, score=s, pinned=pin)
            for rank, (target, s, pin) in enumerate(chosen, start=1)
        ]
    return new_links, replaced, unranked


def _own_links(article_id: int, wide: list[tuple[int, float]]) -> list[RelatedLink]:
    pins, excluded = _editor_choices([article_id])
    pinned = pins.get(article_id, [])
    skip = excluded.get(article_id, set()) | set(pinned)
    chosen = [(story, 1.0, True) for story in pinned]
    chosen += [(story, score, False) for story, score in wide if story not in skip]
    return [
        RelatedLink(source_id=article_id, target_id=story, rank=rank, score=score, pinned=pin)
        for rank, (story, score, pin) in enumerate(chosen[: ranking_settings().limit], start=1)
    ]


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
        RelatedLink.objects.filter(source_id=article_id).delete()
    index = registry.current_index()
    # Lists that named the article are ranked again in full: its score in them changed, or it
    # left them and they need filling up.
    rerank = set(also)
    rerank |= set(
        RelatedLink.objects.filter(target_id=article_id).values_list("source_id", flat=True)
    )
    # Fix: lists that pin the article, so a pinned story published again returns to the top of
    # them (its similarity alone need not bring those lists here).
    rerank |= set(RelatedPin.objects.filter(story_id=article_id).values_list("page_id", flat=True))
    entered = 0
    if article is not None and article_id in index.position:
        rerank.add(article_id)
        neighbours = [
            (n, score) for n, score in _wide_ranking(index, article_id) if n not in rerank
        ]
        new_links, replaced, unranked = _enter_lists(index, article_id, neighbours)
        rerank |= unranked
        RelatedLink.objects.filter(source_id__in=replaced).delete()
        RelatedLink.objects.bulk_create(new_links)
        entered = len(replaced)
        if replaced:
            transaction.on_commit(publication_changed)
    return entered + lists_store(index, rerank)


def related_refresh_many(*, article_ids: Iterable[int]) -> int:
    """Refresh after many changes at once: one by one when few, a full rebuild when the batch is
    a large share of the archive (cheaper than thousands of single refreshes)."""
    ids = sorted(set(article_ids))
    indexed = ArticleSignature.objects.filter(active=True).count()
    if len(ids) > max(BATCH_REBUILD_MIN, BATCH_REBUILD_SHARE * indexed):
        return related_rebuild()
    return sum(related_refresh(article_id=article_id) for article_id in ids)


def related_rebuild(*, progress: Callable[[int, int], None] | None = None, batch: int = 500) -> int:
    """Recompute every signature and every list from scratch. Returns the number of lists.

    The costly parts, text analysis and ranking, run on every core (worker processes forked
    after the index is built share it); the database work stays in this process.
    """
    published = ArticlePage.objects.published().order_by("pk")
    total = published.count()
    done = 0
    ids: list[int] = []
    articles = published.prefetch_related("topics", "authors").iterator(chunk_size=batch)
    # Worker processes pay off only for a large archive.
    workers = 1 if total < PARALLEL_FROM else max(1, min(os.cpu_count() or 1, 8))
    with transaction.atomic():
        ArticleSignature.objects.update(active=False, updated_at=timezone.now())
        with _pool(workers) as pool:
            while chunk := [_fields(article) for article in islice(articles, batch)]:
                rows = list(pool.map(_signature_row, chunk, chunksize=50))
                _signatures_save(rows)
                ids.extend(row[0] for row in rows)
    # Built before the pool forks, so every worker ranks against this same index.
    registry.current_index(rebuild=True)
    chunks = [ids[start : start + batch] for start in range(0, len(ids), batch)]
    with _pool(workers) as pool:
        tasks = [(chunk, *_editor_choices(chunk)) for chunk in chunks]
        for chunk, rows in zip(chunks, pool.map(_rank_chunk, tasks), strict=True):
            _rows_save(chunk, rows)
            done += len(chunk)
            if progress:
                progress(done, total)
    RelatedLink.objects.exclude(
        source_id__in=ArticleSignature.objects.filter(active=True).values("article_id")
    ).delete()
    return done


def _rank_chunk(task: tuple[list[int], dict[int, list[int]], dict[int, set[int]]]) -> list[LinkRow]:
    # In a forked worker this is the index the parent built, shared copy-on-write.
    chunk, pins, excluded = task
    return _ranked_rows(registry.current_index_unsynced(), chunk, pins, excluded)


def _pool(workers: int) -> Executor:
    if workers == 1:
        return _InlineExecutor()
    # fork: the workers only compute, never touch the inherited database connection.
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))


class _InlineExecutor(Executor):
    def map(self, fn, *iterables, timeout=None, chunksize=1):  # type: ignore[no-untyped-def, override]
        return map(fn, *iterables)
