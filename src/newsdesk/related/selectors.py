"""Reads about the related-stories engine's own state."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from newsdesk.news.models import ArticlePage
from newsdesk.related.models import ArticleSignature

DUE_BATCH = 500


def articles_published_unindexed(*, limit: int = DUE_BATCH) -> list[int]:
    """Published articles with no active signature: those that became visible by time alone
    (a live article whose publication date came, one moved out of a restricted section), and
    any whose refresh was lost. Nothing is published when a date comes, so no signal says so:
    the worker asks this every minute, whatever it missed while it was down."""
    indexed = ArticleSignature.objects.filter(article_id=OuterRef("pk"), active=True)
    unindexed = ArticlePage.objects.published().exclude(Exists(indexed))
    return list(unindexed.order_by("pk").values_list("pk", flat=True)[:limit])
