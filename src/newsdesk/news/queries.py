"""The one definition of "published" (DESIGN.md, convention 1).

Every reader-facing list (home, topics, authors, feeds, sitemaps, related stories, the API and the
digest) starts from ``ArticlePage.objects.published()``; nothing else filters on status or dates.
"""

from __future__ import annotations

from django.utils import timezone
from wagtail.query import PageQuerySet


class ArticleQuerySet(PageQuerySet):
    def published(self) -> ArticleQuerySet:
        """Live, not behind a view restriction, and with a publication date that has come.

        ``live`` covers drafts, unpublished and expired pages and scheduled pages (Wagtail keeps
        a scheduled page non-live until its go-live time). The date check also hides articles
        imported with a future date, which are live but not yet due.
        """
        return self.live().public().filter(first_published_at__lte=timezone.now())

    def newest_first(self) -> ArticleQuerySet:
        return self.order_by("-first_published_at", "-pk")
