"""Search and reference indexing of articles: after each save, or once per article for a batch.

Wagtail indexes a page for search and for its reference index after every save, and creating
and publishing one article saves it three times. An import of thousands of articles paid for
that on every save, and with SQLite's search backend each indexing also recomputes the average
headline length over the whole index, so the cost of an article grew with the archive.
``indexing_deferred()`` collects the articles saved inside it and indexes each once at the end,
in bulk. Outside such a block nothing changes: a save in the editor is indexed as before.

Inside the block Wagtail's reference index is not updated for *any* model, and only articles are
re-indexed at the end: use it for blocks that write articles and things that reference nothing
(topics, authors, images, the home page), as the importers and the demo do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models.signals import post_delete, post_save
from modelsearch.backends import get_search_backends
from modelsearch.signal_handlers import post_delete_signal_handler, post_save_signal_handler
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update

from newsdesk.core.batching import collecting

# Articles indexed per bulk call: bounds the memory of indexing a large import.
CHUNK = 500

logger = logging.getLogger(__name__)

_saved: ContextVar[set[int] | None] = ContextVar("articles_saved_unindexed", default=None)


@contextmanager
def indexing_deferred() -> Iterator[None]:
    """Index the articles saved inside the block once each, when it ends without an error.

    Use it inside the transaction that writes the articles, so that the index entries are
    committed, or rolled back, with them.
    """
    with collecting(_saved) as saved:
        if saved is None:  # inside an outer block, which indexes (and re-enables) at its end
            yield
            return
        # Wagtail's switch is not reentrant: only the outermost block may turn it off and on.
        with disable_reference_index_auto_update():
            yield
    if saved:
        articles_index(sorted(saved))


def articles_index(article_ids: list[int]) -> None:
    """Bring the search and reference indexes of these articles up to date, in bulk."""
    from newsdesk.news.models import ArticlePage

    for start in range(0, len(article_ids), CHUNK):
        chunk = article_ids[start : start + CHUNK]
        # get_indexed_objects() prefetches what the search fields read (topics, authors).
        articles = list(ArticlePage.get_indexed_objects().filter(pk__in=chunk))
        for backend in get_search_backends(with_auto_update=True):
            try:
                backend.add_bulk(ArticlePage, articles)
            except Exception:
                # As the search library does for one object: a backend on another service
                # (Elasticsearch) may be down without failing the import; with the database
                # backend the error must roll the transaction back.
                logger.exception("indexing %d articles failed in %r", len(articles), backend)
                if not backend.catch_indexing_errors:
                    raise
        for article in articles:
            ReferenceIndex.create_or_update_for_object(article)


def _on_article_saved(sender: type, instance: Any, **kwargs: Any) -> None:
    saved = _saved.get()
    if saved is None:
        post_save_signal_handler(instance, **kwargs)
    elif not kwargs.get("raw", False):
        saved.add(instance.pk)


def connect() -> None:
    """Take over the search index's save and delete receivers for articles.

    ``ArticlePage.search_auto_update = False`` keeps the search library from connecting its own
    (it would index every save, batch or not); these call the same functions.
    """
    from newsdesk.news.models import ArticlePage

    post_save.connect(_on_article_saved, sender=ArticlePage, dispatch_uid="news-search-save")
    post_delete.connect(
        post_delete_signal_handler, sender=ArticlePage, dispatch_uid="news-search-delete"
    )
