"""Related Stories shared by the threads of one process.

A review found one thread upserting into the process's index while another ranked gave 220
exceptions in 300 rankings (the index was used outside its lock), and 4 threads sharing one
Snowball stemmer produced 25,433 wrong stems and 4,652 IndexErrors. Also: a signature applied
from a transaction that was then rolled back stayed in the index.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import snowballstemmer
from django.db import connection, transaction
from django.utils import timezone

from newsdesk.related import registry, text
from newsdesk.related.engine import rank_many
from newsdesk.related.models import ArticleSignature
from newsdesk.related.services import ranking_settings, rebuild_workers, signature_deactivate
from tests.related.conftest import Newsroom


def _words(count: int) -> list[str]:
    rng = random.Random(20261203)
    stems = ["flood", "harbour", "council", "ferry", "school", "hope", "vote", "market"]
    endings = ["", "s", "ing", "ed", "er", "ers", "ness", "ful", "ation", "ations", "ly", "ity"]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [
        rng.choice(stems) + "".join(rng.choices(letters, k=rng.randint(0, 4))) + rng.choice(endings)
        for _ in range(count)
    ]


def test_stemming_from_four_threads_gives_the_single_threaded_stems() -> None:
    words = _words(40_000)
    reference = snowballstemmer.stemmer("english")
    expected = {word: reference.stemWord(word) for word in words}
    text._stem.cache_clear()  # stem for real, not from a cache another test filled
    errors: list[BaseException] = []
    wrong: list[tuple[str, str]] = []

    def stem_all(offset: int) -> None:
        try:
            for word in words[offset:] + words[:offset]:
                got = text._stem(word)
                if got != expected[word]:
                    wrong.append((word, got))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=stem_all, args=(n * 9_973,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text._stem.cache_clear()
    assert errors == [] and wrong[:5] == []


def test_a_rebuild_forks_workers_only_from_a_single_threaded_process() -> None:
    from newsdesk.related import services

    big = services.PARALLEL_FROM
    assert rebuild_workers(big - 1) == 1
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert rebuild_workers(big * 10) == 1  # a web or worker thread is running beside it
    finally:
        stop.set()
        other.join()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_thread_at_a_time_holds_the_index(published: Newsroom) -> None:
    """What makes sharing safe: no thread syncs (changes) the index while another ranks."""
    holding, release, entered = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with registry.index_in_use():
            holding.set()
            release.wait(30)
        connection.close()

    def second() -> None:
        holding.wait(30)
        with registry.index_in_use():
            entered.set()
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert holding.wait(30)
    assert not entered.wait(0.3)  # waits for the first thread, however long that takes
    release.set()
    assert entered.wait(30)
    for thread in threads:
        thread.join(30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ranking_while_another_thread_syncs_changes_never_fails(published: Newsroom) -> None:
    ids = [article.pk for article in published.articles.values()]
    settings = ranking_settings()
    errors: list[BaseException] = []
    rankings = [0]
    done = threading.Event()

    def in_thread(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                while not done.is_set():
                    work()
            except BaseException as error:
                errors.append(error)
                done.set()
            finally:
                connection.close()

        return run

    def rank() -> None:
        with registry.index_in_use() as index:
            results = list(rank_many(index, random.sample(ids, 3), settings))
        assert len(results) == 3
        rankings[0] += 1
        if rankings[0] >= 300:
            done.set()

    def change() -> None:
        # What other processes' publishes look like from here: new versions of the rows.
        chosen = random.choice(ids)
        ArticleSignature.objects.filter(article_id=chosen).update(updated_at=timezone.now())
        with registry.index_in_use():
            pass  # the sync upserts the changed row into the shared index

    threads = [threading.Thread(target=in_thread(rank)) for _ in range(3)]
    threads.append(threading.Thread(target=in_thread(change)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert rankings[0] >= 300


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_signature_from_a_rolled_back_transaction_leaves_the_index(
    published: Newsroom,
) -> None:
    article = published.articles["flood-cost"]
    with registry.index_in_use() as index:
        assert index.active[index.position[article.pk]]

    class RolledBack(Exception):
        pass

    with pytest.raises(RolledBack), transaction.atomic():
        signature_deactivate(article_id=article.pk)
        with registry.index_in_use() as index:
            assert not index.active[index.position[article.pk]]  # seen inside: applied
        raise RolledBack

    with registry.index_in_use() as index:
        assert index.active[index.position[article.pk]]
    assert ArticleSignature.objects.get(article_id=article.pk).active


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_index_built_from_a_rolled_back_transaction_is_built_again(
    published: Newsroom,
) -> None:
    article = published.articles["flood-cost"]
    registry.forget()
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        ArticleSignature.objects.filter(article_id=article.pk).update(
            active=False, updated_at=timezone.now() - timedelta(hours=1)
        )
        with registry.index_in_use() as index:
            assert article.pk not in index.position  # built from the uncommitted row
        1 / 0  # noqa: B018 - the rollback
    with registry.index_in_use() as index:
        assert article.pk in index.position
