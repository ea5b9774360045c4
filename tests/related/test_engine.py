"""Ranking: never the article itself, never unpublished pages, no near-duplicates, recency,
and lists from text alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
from wagtail.models import PageViewRestriction

from newsdesk.news.models import ArticlePage
from newsdesk.related.engine import NEAR_DUPLICATE, RankingSettings, _largest, rank_many
from newsdesk.related.index import SimilarityIndex
from newsdesk.related.models import ArticleSignature, RelatedLink
from newsdesk.related.services import related_rebuild
from tests.related.conftest import Newsroom, stored_list
from tests.related.stories import STORIES, SUBJECT, repost_of
from tests.related.test_index import story_document

SETTINGS = RankingSettings(limit=5)
FLOOD_APPROVED, FLOOD_WORKS, FLOOD_COST = 0, 1, 2
REPOST = 99


def ranked(index: SimilarityIndex, doc_id: int, settings: RankingSettings = SETTINGS) -> dict:
    result = next(iter(rank_many(index, [doc_id], settings)))
    return dict(result.related)


def test_never_the_article_itself() -> None:
    index = SimilarityIndex.from_documents([story_document(n, s) for n, s in enumerate(STORIES)])
    lists = {r.doc_id: r.related for r in rank_many(index, range(len(STORIES)), SETTINGS)}
    assert set(lists) == set(range(len(STORIES)))
    for doc_id, related in lists.items():
        assert related, doc_id
        assert doc_id not in dict(related)
        scores = [score for _, score in related]
        assert scores == sorted(scores, reverse=True)


def test_a_repost_is_not_related_to_its_original_nor_listed_twice() -> None:
    documents = [story_document(n, s) for n, s in enumerate(STORIES)]
    documents.append(story_document(REPOST, repost_of(STORIES[FLOOD_APPROVED])))
    index = SimilarityIndex.from_documents(documents)
    # The repost really is the same story told again (so the test is about what it claims)...
    original, copy = index.tfidf_rows(np.array([FLOOD_APPROVED, len(STORIES)]))
    assert (original @ copy.T).toarray()[0, 0] >= NEAR_DUPLICATE
    # ...so neither is offered to readers of the other,
    assert REPOST not in ranked(index, FLOOD_APPROVED)
    assert FLOOD_APPROVED not in ranked(index, REPOST)
    # and the other flood stories show one of the two, not both, yet still fill the list.
    for other in (FLOOD_WORKS, FLOOD_COST):
        related = ranked(index, other)
        assert len({FLOOD_APPROVED, REPOST} & set(related)) == 1
        assert len(related) >= 2


def _with_copies(copies: int) -> SimilarityIndex:
    """The nine stories and ``copies`` reposts of the first flood story (ids 100, 101, ...)."""
    documents = [story_document(n, s) for n, s in enumerate(STORIES)]
    repost = story_document(0, repost_of(STORIES[FLOOD_APPROVED]))
    for k in range(copies):
        documents.append(type(repost)(100 + k, repost.day, repost.terms, repost.weights))
    return SimilarityIndex.from_documents(documents)


def test_a_list_is_filled_past_many_copies_of_one_story() -> None:
    # The works story's best candidates are a dozen copies of one story: only one may be
    # shown, and the list still fills up with the next stories down.
    index = _with_copies(12)
    related = ranked(index, FLOOD_WORKS, RankingSettings(limit=2))
    assert len(related) == 2
    assert len(({FLOOD_APPROVED} | set(range(100, 112))) & set(related)) == 1
    assert FLOOD_COST in related


def test_a_wider_ranking_begins_with_the_narrower_one() -> None:
    index = _with_copies(6)
    narrow = rank_many(index, range(len(STORIES)), RankingSettings(limit=2))
    wide = rank_many(index, range(len(STORIES)), RankingSettings(limit=8))
    for n, w in zip(narrow, wide, strict=True):
        assert w.related[: len(n.related)] == n.related, n.doc_id


def test_the_nearest_stories_include_copies_of_each_other_but_not_of_the_article() -> None:
    index = _with_copies(3)
    result = next(iter(rank_many(index, [FLOOD_WORKS], SETTINGS, nearest=6)))
    nearest = [doc_id for doc_id, _ in result.nearest]
    # All four copies of the approved story are near: each list may take the works story in.
    assert {FLOOD_APPROVED, 100, 101, 102} <= set(nearest)
    scores = [score for _, score in result.nearest]
    assert scores == sorted(scores, reverse=True)
    # A copy of the article itself is never among them.
    copy_of_works = next(iter(rank_many(index, [100], SETTINGS, nearest=20)))
    assert FLOOD_APPROVED not in dict(copy_of_works.nearest)


def test_equal_text_closer_in_time_ranks_higher() -> None:
    day = 20000.0
    for near_id, far_id in ((50, 51), (51, 50)):  # not an accident of ids or insertion order
        documents = [story_document(n, s) for n, s in enumerate(STORIES)]
        query = story_document(FLOOD_WORKS, STORIES[FLOOD_WORKS])
        documents[FLOOD_WORKS] = type(query)(query.doc_id, day, query.terms, query.weights)
        same_text = story_document(0, STORIES[FLOOD_COST])
        del documents[FLOOD_COST]  # the two below are its only copies
        for doc_id, when in ((near_id, day - 2), (far_id, day - 200)):
            documents.append(type(same_text)(doc_id, when, same_text.terms, same_text.weights))
        index = SimilarityIndex.from_documents(documents)
        wide = RankingSettings(limit=len(documents))
        # Alone in the index (the other removed), each is offered; the nearer scores higher.
        index.remove(far_id)
        near_score = ranked(index, FLOOD_WORKS, wide)[near_id]
        index.upsert(type(same_text)(far_id, day - 200, same_text.terms, same_text.weights))
        index.remove(near_id)
        far_score = ranked(index, FLOOD_WORKS, wide)[far_id]
        assert near_score > far_score
        # Together they are near-duplicates: only the nearer one makes the list.
        index.upsert(type(same_text)(near_id, day - 2, same_text.terms, same_text.weights))
        related = ranked(index, FLOOD_WORKS, wide)
        assert near_id in related
        assert far_id not in related


def test_recency_preference_is_configurable() -> None:
    documents = [story_document(n, s) for n, s in enumerate(STORIES)]
    moved = documents[FLOOD_COST]
    documents[FLOOD_COST] = type(moved)(moved.doc_id, moved.day - 365, moved.terms, moved.weights)
    index = SimilarityIndex.from_documents(documents)
    fresh = ranked(index, FLOOD_APPROVED, RankingSettings(half_life_days=10))[FLOOD_COST]
    timeless = ranked(index, FLOOD_APPROVED, RankingSettings(half_life_days=36500))[FLOOD_COST]
    # A year apart, the story still counts (the floor), but for less when news goes stale fast.
    assert 0 < fresh < timeless


def test_lists_come_from_text_alone(newsroom: Newsroom) -> None:
    for n, story in enumerate(STORIES):
        newsroom.publish(story, age=timedelta(days=n + 1), with_topics=False)
    assert not ArticlePage.objects.filter(topics__isnull=False).exists()
    for key, article in newsroom.articles.items():
        top_two = stored_list(article)[:2]
        assert [SUBJECT[newsroom.key_of(t)] for t in top_two] == [SUBJECT[key]] * 2, key


def _everywhere(article: ArticlePage) -> bool:
    return (
        RelatedLink.objects.filter(target=article).exists()
        or ArticleSignature.objects.filter(article_id=article.pk, active=True).exists()
    )


def test_drafts_and_scheduled_articles_are_never_offered(published: Newsroom) -> None:
    flood = STORIES[FLOOD_APPROVED]
    draft = published.publish(repost_of(flood), publish=False)
    scheduled = published.publish(flood, age=-timedelta(days=3))
    assert not draft.live
    assert not ArticlePage.objects.get(pk=scheduled.pk).live
    assert not _everywhere(draft)
    assert not _everywhere(scheduled)
    related_rebuild()  # nor after a full rebuild
    assert not _everywhere(draft)
    assert not _everywhere(scheduled)


def test_private_articles_are_never_offered(
    published: Newsroom, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    approved, works = published.articles["flood-approved"], published.articles["flood-works"]
    assert works.pk in stored_list(approved)
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=works, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
        works.save_revision().publish()  # an editor makes the page private, then publishes
    assert not _everywhere(works)
    # The flood story that remains still heads the list it shared with the private one.
    assert stored_list(approved)[:1] == [published.articles["flood-cost"].pk]
    related_rebuild()
    assert not _everywhere(works)


def test_privacy_changes_alone_update_the_lists(
    published: Newsroom, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    # Wagtail's privacy dialog changes a page's view restriction without publishing it, so no
    # page_published/page_unpublished signal is sent.
    approved, works = published.articles["flood-approved"], published.articles["flood-works"]
    before = stored_list(approved)
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=works, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
    assert not _everywhere(works)
    with django_capture_on_commit_callbacks(execute=True):
        restriction.delete()  # public again
    assert stored_list(approved) == before


def test_the_candidates_are_exactly_the_largest_coarse_scores() -> None:
    # The shortcut through a sampled threshold finds the same scores as a full partition,
    # with ties, removed articles (-inf) and rows too small to sample.
    rng = np.random.default_rng(3)
    for size in (5, 300, 5_000, 50_000):
        for case in range(12):
            scores = rng.standard_normal(size).astype(np.float32)
            if case % 3 == 0:
                scores[: size // 2] = -np.inf
            if case % 4 == 0:
                scores = np.round(scores, 1)
            take = min(200, size)
            found = _largest(scores, take)
            assert len(set(found.tolist())) == take
            expected = np.sort(scores)[-take:]
            assert np.array_equal(np.sort(scores[found]), expected), (size, case)
