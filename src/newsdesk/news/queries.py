"""The one definition of "published" (docs/architecture.md, "One definition of published").

Every reader-facing list (home, topics, authors, search, feeds, sitemaps, related stories and the
digest) starts from ``ArticlePage.objects.published()``; nothing else filters on status or dates.
Plain pages ("About") have their own, datelessly: ``PlainPage.objects.published()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from django.db.models import Q
from django.utils import timezone
from wagtail.query import PageQuerySet

QS = TypeVar("QS", bound=PageQuerySet)


def within_dates(first_published_at: datetime | None, expire_at: datetime | None) -> bool:
    """The date half of ``published()``, for one page already known to be live and public.

    Wagtail's sitemap picks pages with ``live().public()`` itself and asks each page for its
    URLs, and serves every live page; this keeps a live article dated in the future, or past
    its expiry time, out of both, with the same rule as below.
    """
    now = timezone.now()
    due = first_published_at is not None and first_published_at <= now
    return due and (expire_at is None or expire_at > now)


def restricted_paths() -> tuple[str, ...]:
    """Tree paths of pages with a view restriction (login, password, groups)."""
    from wagtail.models import PageViewRestriction

    from newsdesk.news.versioning import cached

    return cached(
        "restricted-paths",
        lambda: tuple(PageViewRestriction.objects.values_list("page__path", flat=True)),
    )


def _outside_restrictions(queryset: QS) -> QS:
    """What Wagtail's public() does, with the restricted subtrees cached (public() reads them
    from the database on every call, several times per page)."""
    for path in restricted_paths():
        queryset = queryset.exclude(path__startswith=path)
    return queryset


class PlainPageQuerySet(PageQuerySet):
    def published(self) -> PlainPageQuerySet:
        """Live and not behind a view restriction: a plain page has no dates of its own."""
        return _outside_restrictions(self.live())


class ArticleQuerySet(PageQuerySet):
    def published(self) -> ArticleQuerySet:
        """Live, not behind a view restriction, with a publication date that has come and an
        expiry time (if any) that has not.

        ``live`` covers drafts, unpublished pages and scheduled pages (Wagtail keeps a scheduled
        page non-live until its go-live time). The date check also hides articles imported with
        a future date, which are live but not yet due. Wagtail only un-lives an expired page when
        ``publish_scheduled`` runs, so ``expire_at`` is checked here too: a story taken down at
        noon is gone at noon, however late the cron job is.
        """
        now = timezone.now()
        queryset = self.live().filter(
            Q(expire_at__isnull=True) | Q(expire_at__gt=now), first_published_at__lte=now
        )
        return _outside_restrictions(queryset)

    def newest_first(self) -> ArticleQuerySet:
        return self.order_by("-first_published_at", "-pk")
