"""Reads of digests for the public archive and the admin."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.models import Delivery, Digest, DigestItem, Subscriber

ARCHIVE_PAGE_SIZE = 30
PUBLIC = (Digest.Status.SENDING, Digest.Status.SENT)


def digest_archive_page(number: str | int | None) -> Page:
    """Digests that went out, newest first (a digest being sent is already public)."""
    digests = Digest.objects.filter(status__in=PUBLIC).order_by("-date", "edition")
    return Paginator(digests, ARCHIVE_PAGE_SIZE).get_page(number)


def digest_public(edition: str, date: dt.date) -> Digest | None:
    return Digest.objects.filter(edition=edition, date=date, status__in=PUBLIC).first()


def digest_items_public(digest: Digest) -> list[DigestItem]:
    """The digest's stories that are still published: an unpublished story is not linked."""
    live = ArticlePage.objects.published().values("pk")
    return list(digest.items.filter(article__in=live).order_by("position"))


@dataclass(frozen=True)
class DigestCounts:
    sent: int
    failed: int
    skipped: int
    pending: int
    bounced: int
    unsubscribed_after: int


def digest_counts(digest: Digest) -> DigestCounts:
    """What happened to one digest: deliveries by status, bounces, and readers who left after.

    "Unsubscribed after" counts readers who got this digest and unsubscribed before the next
    edition of the same kind went out.
    """
    by_status = digest.deliveries.aggregate(
        sent=Count("pk", filter=Q(status=Delivery.Status.SENT)),
        failed=Count("pk", filter=Q(status=Delivery.Status.FAILED)),
        skipped=Count("pk", filter=Q(status=Delivery.Status.SKIPPED)),
        pending=Count("pk", filter=Q(status=Delivery.Status.PENDING)),
        bounced=Count("bounce_events__delivery", distinct=True),
    )
    next_sent = (
        Digest.objects.filter(edition=digest.edition, date__gt=digest.date, sent_at__isnull=False)
        .order_by("date")
        .values_list("sent_at", flat=True)
        .first()
    )
    left = Subscriber.objects.filter(
        deliveries__digest=digest,
        deliveries__status=Delivery.Status.SENT,
        status=Subscriber.Status.UNSUBSCRIBED,
        unsubscribed_at__gte=digest.frozen_at or digest.created_at,
    )
    if next_sent:
        left = left.filter(unsubscribed_at__lt=next_sent)
    return DigestCounts(**by_status, unsubscribed_after=left.count())
