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
from dataclasses import dataclass, field

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
# Every so many coarse scores are sampled to find a cut-off for the candidates (see _largest).
SAMPLE_STEP = 16


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
    # The best-scoring stories, near-duplicates of each other included (see rank_many).
    nearest: list[tuple[int, float]] = field(default_factory=list)


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
    *,
    nearest: int = 0,
) -> Iterator[Ranked]:
    """Related stories for each of ``doc_ids`` (which must be in the index).

    With ``nearest``, each result also has that many best-scoring stories, excluded ones and
    near-duplicates of one another included (not of the article): the lists an article may
    enter are those of its nearest stories, whether or not they resemble each other.
    """
    excluded = excluded or {}
    pending = [doc_id for doc_id in doc_ids if doc_id in index.position]
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        rows, latents = _query_vectors(index, batch)
        coarse = index.coarse_scores(rows, latents)
        take = min(CANDIDATES, coarse.shape[1])
        for i, doc_id in enumerate(batch):
            # One row at a time: a partition of the whole batch would hold an int64 index of
            # every score at once (twice the score matrix).
            candidates = _largest(coarse[i], take)
            scored = _scored(index, rows[i], latents[i], doc_id, candidates, settings)
            picked = _greedy(scored, settings.limit, excluded.get(doc_id, set()))
            yield Ranked(doc_id, scored.entries(picked), scored.entries(range(nearest)))


def pair_scores(
    index: SimilarityIndex, pairs: list[tuple[int, int]], settings: RankingSettings
) -> list[float]:
    """The ranking's score (blended similarity times the time factor, rounded as stored) of
    each (article, story) pair of indexed documents, in the index as it is now.

    Scores stored with a list were computed by the index of their day: after a refit (new IDF,
    new latent basis) they are on another scale, and comparing a new story's score with them
    would keep a list's old entries in place of a better newcomer.
    """
    if not pairs:
        return []
    sources = np.array([index.position[a] for a, _ in pairs])
    targets = np.array([index.position[b] for _, b in pairs])
    exact = np.asarray(
        index.tfidf_rows(sources).multiply(index.tfidf_rows(targets)).sum(axis=1)
    ).ravel()
    latent = index.latent_rows(sources)
    if latent.shape[1]:
        semantic = np.clip(np.einsum("ij,ij->i", latent, index.latent_rows(targets)), 0.0, None)
        blended = TFIDF_SHARE * exact + (1.0 - TFIDF_SHARE) * semantic
    else:
        blended = exact
    scores = blended * time_factor(index.days[targets] - index.days[sources], settings)
    return [round(float(score), 4) for score in scores]


def _largest(scores: np.ndarray, take: int) -> np.ndarray:
    """Positions of the ``take`` largest scores, in no particular order.

    A partition of the whole row costs about a millisecond at 100,000 articles, a third of a
    full rebuild. A threshold from a sample of the row (set low enough that several times
    ``take`` scores pass) leaves a few hundred to partition; the full partition remains for
    the rare row where too few pass.
    """
    if take >= len(scores):
        return np.arange(len(scores))
    sample = scores[::SAMPLE_STEP]
    rank = min(len(sample) - 1, 3 * take // SAMPLE_STEP + 8)
    if len(sample) > 4 * rank:
        threshold = np.partition(sample, len(sample) - 1 - rank)[len(sample) - 1 - rank]
        passed = np.flatnonzero(scores >= threshold)
        if len(passed) >= take:
            return passed[np.argpartition(scores[passed], len(passed) - take)[-take:]]
    return np.argpartition(scores, len(scores) - take)[-take:]


@dataclass(frozen=True)
class _Scored:
    """Candidates that may be offered (not near-duplicates of the article, not too weak), best
    first: their ids, scores and TF-IDF rows."""

    ids: list[int]
    scores: np.ndarray
    rows: sp.csr_matrix

    def entries(self, positions: Iterable[int]) -> list[tuple[int, float]]:
        return [
            (self.ids[k], round(float(self.scores[k]), 4)) for k in positions if k < len(self.ids)
        ]


def _scored(
    index: SimilarityIndex,
    row: sp.csr_matrix,
    query_latent: np.ndarray,
    doc_id: int,
    candidates: np.ndarray,
    settings: RankingSettings,
) -> _Scored:
    own = index.position[doc_id]
    candidates = candidates[(candidates != own) & index.active[candidates]]
    candidate_rows = index.tfidf_rows(candidates)
    exact = (candidate_rows @ widen(row, index.columns).T).toarray().ravel()
    if query_latent.shape[0]:
        semantic = np.clip(index.latent_rows(candidates) @ query_latent, 0.0, None)
        blended = TFIDF_SHARE * exact + (1.0 - TFIDF_SHARE) * semantic
    else:
        blended = exact
    scores = blended * time_factor(index.days[candidates] - index.days[own], settings)
    order = np.argsort(-scores, kind="stable")
    order = order[(scores[order] >= MIN_SCORE) & (exact[order] < NEAR_DUPLICATE)]
    return _Scored(index.ids[candidates[order]].tolist(), scores[order], candidate_rows[order])


def _greedy(scored: _Scored, limit: int, excluded: set[int]) -> list[int]:
    """Positions of the first ``limit`` stories (best first) that are not excluded and not a
    near-duplicate of a story picked before them.

    Overlaps are computed a block at a time, since a list usually fills from its first few
    candidates. Blocks rather than a fixed shortlist keep the result independent of the limit:
    the first five of a ranking of fifty are exactly the ranking of five.
    """
    ids, rows = scored.ids, scored.rows
    picked: list[int] = []
    block = max(2 * limit, 8)
    for start in range(0, len(ids), block):
        stop = min(start + block, len(ids))
        # This block's rows against the stories picked so far, then against each other.
        against = np.concatenate([np.asarray(picked, dtype=np.int64), np.arange(start, stop)])
        overlaps = (rows[start:stop] @ rows[against].T).toarray()
        columns = list(range(len(picked)))  # of the picked stories, in ``overlaps``
        for k in range(start, stop):
            if ids[k] in excluded:
                continue
            if columns and overlaps[k - start, columns].max() >= NEAR_DUPLICATE:
                continue
            columns.append(len(against) - (stop - k))
            picked.append(k)
            if len(picked) >= limit:
                return picked
    return picked
