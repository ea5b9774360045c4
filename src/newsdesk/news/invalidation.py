"""Which changes retire the cached page fragments (see ``versioning``).

Signals, because publishing happens in Wagtail's admin, in scheduled publishing, in imports and
in the API; the receivers only bump a counter.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from newsdesk.news.versioning import publication_changed


def _changed(**kwargs: Any) -> None:
    # After commit: a rolled-back publish must not retire anything, and the re-read must see it.
    transaction.on_commit(publication_changed)


def connect() -> None:
    from newsdesk.news.models import Author, Topic

    page_published.connect(_changed, dispatch_uid="news-version-published")
    page_unpublished.connect(_changed, dispatch_uid="news-version-unpublished")
    page_slug_changed.connect(_changed, dispatch_uid="news-version-slug")
    post_page_move.connect(_changed, dispatch_uid="news-version-move")
    post_delete.connect(_changed, sender=Page, dispatch_uid="news-version-page-delete")
    for model in (PageViewRestriction, Site, Topic, Author):
        post_save.connect(_changed, sender=model, dispatch_uid=f"news-version-save-{model}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"news-version-delete-{model}")
