"""Queue a related-stories refresh whenever an article is published, unpublished or deleted.

These are Wagtail's page signals rather than admin hooks because scheduled publishing, imports
and the API publish without passing through the admin. The receivers only enqueue the task, after
the transaction commits; the work itself is in ``services.related_refresh``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_delete
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished

from newsdesk.core.batching import collecting

# Inside ``refresh_deferred()`` changes are collected instead of refreshed one by one.
_deferred: ContextVar[set[int] | None] = ContextVar("related_deferred", default=None)


@contextmanager
def refresh_deferred() -> Iterator[None]:
    """Collect the articles changed inside the block and refresh them together afterwards.

    An import of thousands of articles would otherwise refresh lists thousands of times; one
    batched refresh (a full rebuild when the batch is large) gives the same lists.
    """
    with collecting(_deferred) as changed:
        yield
    if changed:
        from newsdesk.related.tasks import refresh_related_many

        ids = sorted(changed)
        transaction.on_commit(lambda: refresh_related_many.enqueue(article_ids=ids))


def _enqueue(article_id: int, also: list[int] | None = None) -> None:
    from newsdesk.related.tasks import refresh_related

    deferred = _deferred.get()
    if deferred is not None:
        deferred.add(article_id)
        deferred.update(also or [])
        return
    transaction.on_commit(lambda: refresh_related.enqueue(article_id=article_id, also=also or []))


def _on_change(sender: type, instance: Any, **kwargs: Any) -> None:
    _enqueue(instance.pk)


def _on_delete(sender: type, instance: Any, **kwargs: Any) -> None:
    # The lists naming the article lose their links with it (cascade); remember whose they were
    # so those lists are filled up again.
    from newsdesk.related.models import RelatedLink

    sources = list(
        RelatedLink.objects.filter(target_id=instance.pk).values_list("source_id", flat=True)
    )
    _enqueue(instance.pk, also=sources)


def _on_privacy_change(sender: type, instance: Any, **kwargs: Any) -> None:
    # Fix: Wagtail's privacy dialog adds or removes a view restriction without publishing, so no
    # page signal is sent; a page made private stayed in the index (a hole in the lists it was
    # in), and one made public again never came back until a full rebuild. A restriction covers
    # the page and everything below it, hence all the articles under its path.
    from newsdesk.news.models import ArticlePage
    from newsdesk.related.tasks import refresh_related_many

    page = Page.objects.filter(pk=instance.page_id).only("path").first()
    if page is None:  # the page is being deleted: its own pre_delete handles it
        return
    ids = sorted(
        ArticlePage.objects.filter(path__startswith=page.path).values_list("pk", flat=True)
    )
    if len(ids) == 1:
        _enqueue(ids[0])
        return
    deferred = _deferred.get()
    if deferred is not None:
        deferred.update(ids)
    elif ids:
        transaction.on_commit(lambda: refresh_related_many.enqueue(article_ids=ids))


def connect() -> None:
    from newsdesk.news.models import ArticlePage

    page_published.connect(_on_change, sender=ArticlePage, dispatch_uid="related-published")
    page_unpublished.connect(_on_change, sender=ArticlePage, dispatch_uid="related-unpublished")
    pre_delete.connect(_on_delete, sender=ArticlePage, dispatch_uid="related-deleted")
    for signal, uid in (
        (post_save, "related-privacy-saved"),
        (post_delete, "related-privacy-gone"),
    ):
        signal.connect(_on_privacy_change, sender=PageViewRestriction, dispatch_uid=uid)
