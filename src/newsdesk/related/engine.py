"""Ranking related stories: candidates, recency, near-duplicates and diversity.

For each article the engine takes the indexed articles closest to it in the latent (semantic)
view, re-scores them with the blended TF-IDF + latent similarity, weighs them by how far apart
in time the two were published, and then picks greedily: a candidate that is a near-duplicate of
the article (a repost, a correction) or of a story already picked is passed over.

Queries are processed in batches so a full rebuild uses matrix products (BLAS) rather than one
pass over the archive per article.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from newsdesk.related.index import TFIDF_SHARE, SimilarityIndex, widen

# TF-IDF cosine above which two articles are the same story told twice.
NEAR_DUPLICATE = 0.8
# Blended similarity below which a story is not worth offering at all.
MIN_SCORE = 0.05
# Candidates re-scored per article; enough that recency and de-duplication still leave plenty.
CANDIDATES = 200
# Queries per matrix product: big enough for BLAS to pay off, small enough that the score
# matrix (BATCH x archive) and its partition stay a few tens of MB at 100,000 articles.
BATCH = 48


@dataclass(frozen=True)
class RankingSettings:
    limit: int = 5
    # After this many days between two stories, their time factor has halved...
    half_life_days: float = 30.0
    # ...but it never falls below this: an old story that is exactly on topic still counts.
    recency_floor: float = 0.35


@dataclass(frozen=True)
class Ranked:
    doc_id: int
    related: list[tuple[int, float]]


def time_factor(day_gap: np.ndarray, settings: RankingSettings) -> np.ndarray:
    decay = np.power(0.5, np.abs(day_gap) / max(settings.half_life_days, 1e-6))
    return settings.recency_floor + (1.0 - settings.recency_floor) * decay


def _query_vectors(index: SimilarityIndex, doc_ids: list[int]) -> tuple[sp.csr_matrix, np.ndarray]:
    rows, latents = [], []
    for doc_id in doc_ids:
        vectors = index.row(doc_id)
        assert vectors is not None, doc_id
        rows.append(vectors[0])
        latents.append(vectors[1])
    return sp.vstack([widen(r, index.columns) for r in rows], format="csr"), np.vstack(latents)


def rank_many(
    index: SimilarityIndex,
    doc_ids: Iterable[int],
    settings: RankingSettings,
    excluded: dict[int, set[int]] | None = None,
) -> Iterator[Ranked]:
    """Related stories for each of ``doc_ids`` (which must be in the index)."""
    excluded = excluded or {}
    pending = [doc_id for doc_id in doc_ids if doc_id in index.position]
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        rows, latents = _query_vectors(index, batch)
        coarse = index.coarse_scores(rows, latents)
        take = min(CANDIDATES, coarse.shape[1])
        # The largest scores, without a negated copy of the matrix.
        candidate_sets = np.argpartition(coarse, coarse.shape[1] - take, axis=1)[:, -take:]
        del coarse
        for i, doc_id in enumerate(batch):
            yield Ranked(
                doc_id,
                _pick(
                    index,
                    rows[i],
                    latents[i],
                    doc_id,
                    candidate_sets[i],
                    settings,
                    excluded.get(doc_id, set()),
                ),
            )


def _pick(
    index: SimilarityIndex,
    row: sp.csr_matrix,
    query_latent: np.ndarray,
    doc_id: int,
    candidates: np.ndarray,
    settings: RankingSettings,
    excluded: set[int],
) -> list[tuple[int, float]]:
    own = index.position[doc_id]
    candidates = candidates[(candidates != own) & index.active[candidates]]
    if not len(candidates):
        return []
    candidate_rows = index.tfidf_rows(candidates)
    exact = (candidate_rows @ widen(row, index.columns).T).toarray().ravel()
    if query_latent.shape[0]:
        semantic = np.clip(index.latent_rows(candidates) @ query_latent, 0.0, None)
        blended = TFIDF_SHARE * exact + (1.0 - TFIDF_SHARE) * semantic
    else:
        blended = exact
    scores = blended * time_factor(index.days[candidates] - index.days[own], settings)
    # Only the best few can make the list; compare those with each other in one product.
    shortlist = np.argsort(-scores, kind="stable")[: settings.limit * 4]
    shortlist = shortlist[scores[shortlist] >= MIN_SCORE]
    shortlist = shortlist[exact[shortlist] < NEAR_DUPLICATE]
    if not len(shortlist):
        return []
    shortlist_rows = candidate_rows[shortlist]
    overlaps = (shortlist_rows @ shortlist_rows.T).toarray()
    picked: list[int] = []
    for k in range(len(shortlist)):
        if len(picked) >= settings.limit:
            break
        if int(index.ids[candidates[shortlist[k]]]) in excluded:
            continue
        if picked and overlaps[k, picked].max() >= NEAR_DUPLICATE:
            continue
        picked.append(k)
    return [
        (int(index.ids[candidates[shortlist[k]]]), round(float(scores[shortlist[k]]), 4))
        for k in picked
    ]
