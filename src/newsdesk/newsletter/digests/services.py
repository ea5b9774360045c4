"""Writes to digests: creating an edition, and freezing its stories at the send time.

Freezing copies each story (headline, summary, link, topics) into ``DigestItem`` rows and fixes
the subject. From then on the sender, the web page and a restarted sender all read the frozen
copy, so a story edited or unpublished during a send cannot make two readers get different
emails, and a crash cannot change what the rest of the list receives.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from wagtail.images import get_image_model

from newsdesk.news.models import ArticlePage
from newsdesk.news.rendering import excerpt
from newsdesk.news.seo import absolute
from newsdesk.newsletter.models import IMAGE_URL_MAX_LENGTH, Digest, DigestItem

# A digest lists this many stories at most; a busy day links to the site for the rest.
MAX_STORIES = 30
EDITION_SPAN = {Digest.Edition.DAILY: dt.timedelta(days=1), Digest.Edition.WEEKLY: dt.timedelta(7)}
MAX_SUBJECT = 200
# 16:9 and 1200 px wide, twice the email's 568 px column so it is sharp on high-density
# screens; always JPEG, because Outlook shows no WebP and many mail clients no AVIF (both are
# accepted uploads), and a 1200 px PNG photo would weigh megabytes in every reader's inbox.
IMAGE_SPEC = "fill-1200x675|format-jpeg|jpegquality-80"

logger = logging.getLogger(__name__)


def send_time(date: dt.date) -> dt.datetime:
    """The moment the edition for ``date`` goes out, as an aware datetime."""
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return dt.datetime.combine(date, settings.NEWSDESK_DIGEST_TIME, tzinfo=zone)


def digest_ensure(*, edition: Digest.Edition, date: dt.date) -> Digest:
    digest, _ = Digest.objects.get_or_create(edition=edition, date=date)
    return digest


def _period(digest: Digest) -> tuple[dt.datetime, dt.datetime]:
    """Stories published since the previous edition's cut-off, up to this one's send time."""
    end = send_time(digest.date)
    previous = (
        Digest.objects.filter(edition=digest.edition, period_end__lt=end)
        .exclude(pk=digest.pk)
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    span = EDITION_SPAN[Digest.Edition(digest.edition)]
    # Never reach back further than one edition's span: after a long outage, readers get the
    # last day's (or week's) news, not a month of it.
    start = max(previous, end - span) if previous else end - span
    return start, end


def _image(article: ArticlePage) -> tuple[str, str]:
    """The featured image's absolute URL and alt text, or ("", "") without a usable image."""
    image = article.featured_image
    if image is None:
        return "", ""
    try:
        rendition = image.get_rendition(IMAGE_SPEC)
    except OSError:
        # Wagtail's SourceImageIOError (a missing original) is an OSError, as is an unreadable
        # file. Neither may stop the edition: the story goes out without its picture.
        logger.warning("digest: no image for article %s (image %s)", article.pk, image.pk)
        return "", ""
    url = absolute(rendition.url)
    if len(url) > IMAGE_URL_MAX_LENGTH:
        # Only a very long SITE_URL or storage address gets here; the story goes without it.
        logger.warning("digest: image address too long for article %s", article.pk)
        return "", ""
    return url, article.featured_image_alt


def _item(digest: Digest, position: int, article: ArticlePage, picked: bool) -> DigestItem:
    topics = list(article.topics.all())
    image_url, image_alt = _image(article)
    return DigestItem(
        digest=digest,
        position=position,
        article=article,
        picked=picked,
        title=article.title[:255],
        summary=article.dek or excerpt(article.body or ""),
        url=absolute(article.get_url() or "/"),
        topic_ids=[topic.pk for topic in topics],
        topic_names=", ".join(topic.name for topic in topics)[:255],
        first_published_at=article.first_published_at,
        image_url=image_url,
        image_alt=image_alt[:250],
    )


def digest_subject(digest: Digest, items: list[DigestItem]) -> str:
    label = "This week" if digest.edition == Digest.Edition.WEEKLY else "Today"
    lead = items[0].title
    more = f" and {len(items) - 1} more" if len(items) > 1 else ""
    subject = f"{label} at {settings.SITE_NAME}: {lead}{more}"
    # A headline can hold anything an editor typed; a subject is one line.
    subject = " ".join(subject.split())
    return subject if len(subject) <= MAX_SUBJECT else subject[: MAX_SUBJECT - 1] + "…"


def digest_selection(digest: Digest) -> list[DigestItem]:
    """The stories the digest would carry if it were frozen now (unsaved rows, in order)."""
    start, end = _period(digest)
    images = get_image_model().objects.prefetch_renditions(IMAGE_SPEC)
    published = ArticlePage.objects.published().prefetch_related(
        "topics", Prefetch("featured_image", queryset=images)
    )
    pick_order = list(digest.picks.order_by("sort_order").values_list("article_id", flat=True))
    # Picks that are no longer published are dropped silently: the editor chose a story the
    # site no longer shows.
    picked = published.in_bulk(pick_order)
    picks = [picked[pk] for pk in pick_order if pk in picked]
    rest = list(
        published.filter(first_published_at__gte=start, first_published_at__lt=end)
        .exclude(pk__in=picked)
        .newest_first()[: max(MAX_STORIES - len(picks), 0)]
    )
    return [
        _item(digest, position, article, picked=article.pk in picked)
        for position, article in enumerate([*picks, *rest])
    ]


def digest_contents(digest: Digest) -> tuple[list[DigestItem], str]:
    """Stories and subject: as frozen, or for a draft as they would be if frozen now."""
    if digest.status != Digest.Status.DRAFT:
        return list(digest.items.order_by("position")), digest.subject
    items = digest_selection(digest)
    return items, digest_subject(digest, items) if items else ""


def digest_freeze(digest: Digest, *, now: dt.datetime | None = None) -> Digest:
    """Fix the stories and subject of a draft digest; mark it sending, or skipped if empty.

    Idempotent: a digest that is already frozen is returned unchanged.
    """
    now = now or timezone.now()
    if digest.status == Digest.Status.DRAFT:
        # Image renditions missing so far are made here, before the transaction: resizing
        # takes a while, and on SQLite the transaction holds the site's one write lock.
        digest_selection(digest)
    with transaction.atomic():
        current = Digest.objects.select_for_update().get(pk=digest.pk)
        if current.status != Digest.Status.DRAFT:
            return current
        items = digest_selection(current)
        current.period_start, current.period_end = _period(current)
        current.frozen_at = now
        if not items:
            # No new stories, no email: readers hear from us when there is news.
            current.status = Digest.Status.SKIPPED
            current.save()
            return current
        DigestItem.objects.bulk_create(items)
        current.subject = digest_subject(current, items)
        current.status = Digest.Status.SENDING
        current.save()
    return current


def digest_mark_sent(digest: Digest) -> None:
    Digest.objects.filter(pk=digest.pk, status=Digest.Status.SENDING).update(
        status=Digest.Status.SENT, sent_at=timezone.now()
    )


def digest_problem_record(digest: Digest, problem: str) -> None:
    """Why the last sending run stopped early, for the admin; "" once a run gets through."""
    rows = Digest.objects.filter(pk=digest.pk)
    if not problem:
        rows = rows.exclude(send_problem="")  # most runs: no write at all
    rows.update(send_problem=problem[:300], send_problem_at=timezone.now() if problem else None)
