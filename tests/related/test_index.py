"""The in-memory similarity index: build, fold-in of new documents, new vocabulary, removal."""

from __future__ import annotations

import numpy as np
import pytest

from newsdesk.related.engine import RankingSettings, rank_many
from newsdesk.related.index import Document, SimilarityIndex
from newsdesk.related.text import signature
from tests.related.stories import NEW_FLOOD, STORIES, SUBJECT, Story

SETTINGS = RankingSettings(limit=5)


def document(doc_id: int, title: str, body: str, dek: str = "", day: float = 20000.0) -> Document:
    sig = signature(title=title, dek=dek, body=body)
    return Document(
        doc_id=doc_id,
        day=day,
        terms=np.asarray(sig.terms, dtype=np.uint32),
        weights=np.asarray(sig.weights, dtype=np.float32),
    )


def story_document(doc_id: int, story: Story) -> Document:
    return document(doc_id, story.title, story.body, story.dek)


@pytest.fixture
def index() -> SimilarityIndex:
    return SimilarityIndex.from_documents(
        [story_document(n, story) for n, story in enumerate(STORIES)]
    )


def related_ids(index: SimilarityIndex, doc_id: int) -> list[int]:
    ranked = next(iter(rank_many(index, [doc_id], SETTINGS)))
    return [other for other, _ in ranked.related]


# Not one content word of these two is in the nine stories the index was built from.
GIGAFACTORY_A = ("Vantorq gigafactory proposed", "Vantorq wants lithium cathode gigafactory.")
GIGAFACTORY_B = ("Vantorq lithium gigafactory jobs", "Cathode plant: Vantorq gigafactory hiring.")


def test_a_built_index_groups_the_stories_by_subject(index: SimilarityIndex) -> None:
    for n, story in enumerate(STORIES):
        top_two = related_ids(index, n)[:2]
        assert {SUBJECT[STORIES[other].key] for other in top_two} == {story.subject}, story.key


def test_a_new_document_is_folded_in_without_a_rebuild(index: SimilarityIndex) -> None:
    basis = index.basis.copy()
    index.upsert(story_document(100, NEW_FLOOD))
    assert index.base_size == len(STORIES)  # not rebuilt: an extra row
    assert np.array_equal(index.basis, basis)  # the build's latent basis is reused
    assert len(index) == len(STORIES) + 1
    flood = {n for n, story in enumerate(STORIES) if story.subject == "flood"}
    assert set(related_ids(index, 100)[:3]) == flood
    # ...and the older flood stories see the new one too.
    for n in flood:
        assert 100 in related_ids(index, n)[:3]


def test_new_vocabulary_gets_new_columns_so_new_names_meet(index: SimilarityIndex) -> None:
    columns = index.columns
    index.upsert(document(200, *GIGAFACTORY_A))
    index.upsert(document(201, *GIGAFACTORY_B))
    assert index.columns > columns
    # The shared new terms have one column each, whichever document brought them.
    row_a, _ = index.row(200)  # type: ignore[misc]
    row_b, _ = index.row(201)  # type: ignore[misc]
    shared = set(row_a.indices) & set(row_b.indices)
    assert len(shared) >= 3  # vantorq, gigafactory, lithium/cathode
    assert related_ids(index, 200)[:1] == [201]
    assert related_ids(index, 201)[:1] == [200]


def test_unseen_terms_of_a_query_do_not_grow_the_index(index: SimilarityIndex) -> None:
    columns = index.columns
    row, _ = index.vectors(document(300, *GIGAFACTORY_A), grow=False)
    assert index.columns == columns
    assert row.nnz == 0  # nothing it shares with the index


def test_replacing_a_document_moves_it_to_its_new_subject(index: SimilarityIndex) -> None:
    hospital_story = next(n for n, s in enumerate(STORIES) if s.subject == "hospital")
    index.upsert(story_document(hospital_story, NEW_FLOOD))
    assert len(index) == len(STORIES)  # replaced, not added
    top = related_ids(index, hospital_story)[:3]
    assert {STORIES[n].subject for n in top} == {"flood"}
    # Replacing an extra row again keeps one row for it.
    index.upsert(story_document(hospital_story, STORIES[hospital_story]))
    assert len(index) == len(STORIES)
    top = related_ids(index, hospital_story)[:2]
    assert {STORIES[n].subject for n in top} == {"hospital"}


def test_a_removed_document_is_never_offered(index: SimilarityIndex) -> None:
    first = related_ids(index, 0)[0]
    index.remove(first)
    assert len(index) == len(STORIES) - 1
    for n in range(len(STORIES)):
        if n != first:
            assert first not in related_ids(index, n)
    index.remove(12345)  # unknown ids are ignored
    assert len(index) == len(STORIES) - 1


def test_an_empty_or_tiny_index_ranks_nothing_without_failing() -> None:
    empty = SimilarityIndex.from_documents([])
    assert len(empty) == 0
    assert list(rank_many(empty, [1], SETTINGS)) == []
    one = SimilarityIndex.from_documents([story_document(1, STORIES[0])])
    assert [r.related for r in rank_many(one, [1], SETTINGS)] == [[]]
    one.upsert(story_document(2, STORIES[1]))
    assert related_ids(one, 2) == [1]
