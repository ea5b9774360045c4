"""Reads of Related Stories: the lists readers see, and the engine's own state."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery

from newsdesk.news.models import ArticlePage
from newsdesk.news.versioning import cached
from newsdesk.related.models import ArticleSignature, RelatedLink

DUE_BATCH = 500


def articles_published_unindexed(*, limit: int = DUE_BATCH) -> list[int]:
    """Published articles with no active signature: those that became visible by time alone
    (a live article whose publication date came, one moved out of a restricted section), and
    any whose refresh was lost. Nothing is published when a date comes, so no signal says so:
    the worker asks this every minute, whatever it missed while it was down."""
    indexed = ArticleSignature.objects.filter(article_id=OuterRef("pk"), active=True)
    unindexed = ArticlePage.objects.published().exclude(Exists(indexed))
    return list(unindexed.order_by("pk").values_list("pk", flat=True)[:limit])


def related_articles(article: ArticlePage, limit: int) -> list[ArticlePage]:
    """Stories a reader of ``article`` should read next, in one query whatever the case.

    The related-stories engine's stored list, in rank order (editors' pins first). Until the
    engine has a list for the article, the newest published articles sharing a topic with it.
    Both are one SQL statement, so the page costs the same with and without a stored list.
    """
    if not article.pk:
        return []
    links = RelatedLink.objects.filter(source_id=article.pk)
    topic_link = ArticlePage.topics.through
    shares_topic = Exists(
        topic_link.objects.filter(
            articlepage_id=OuterRef("pk"),
            topic_id__in=topic_link.objects.filter(articlepage_id=article.pk).values("topic_id"),
        )
    )
    queryset = (
        ArticlePage.objects.published()
        .annotate(rank=Subquery(links.filter(target_id=OuterRef("pk")).values("rank")[:1]))
        .filter(Q(rank__isnull=False) | (~Exists(links) & shares_topic))
        .exclude(pk=article.pk)
        .order_by(F("rank").asc(nulls_last=True), "-first_published_at", "-pk")
    )
    return list(queryset.only("title", "slug", "url_path", "dek", "first_published_at")[:limit])


def related_stories_shown(article: ArticlePage, *, use_cache: bool = True) -> list[ArticlePage]:
    """The Related Stories an article page shows, cached per article and publication version
    (a related-stories refresh changes the version, like a publish)."""
    if not use_cache:
        return related_articles(article, limit=settings.NEWSDESK_RELATED_COUNT)
    edited = article.last_published_at.timestamp() if article.last_published_at else 0
    return cached(
        f"related:{article.pk}:{edited}",
        lambda: related_articles(article, limit=settings.NEWSDESK_RELATED_COUNT),
    )
