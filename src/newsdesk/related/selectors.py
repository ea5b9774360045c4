"""Reads of stored related-stories lists."""

from __future__ import annotations

from newsdesk.news.models import ArticlePage


def stored_related(article: ArticlePage, limit: int) -> list[ArticlePage]:
    """The engine's stored list for an article, in rank order, published stories only."""
    return list(
        ArticlePage.objects.published()
        .filter(linked_from__source=article)
        .order_by("linked_from__rank")
        .only("title", "slug", "url_path", "dek", "first_published_at")[:limit]
    )
