"""When digests are due: every day at NEWSDESK_DIGEST_TIME, weekly on NEWSDESK_DIGEST_WEEKDAY."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze, send_time
from newsdesk.newsletter.models import Digest


def editions_due(now: dt.datetime) -> list[tuple[Digest.Edition, dt.date]]:
    """The editions whose send time today has passed and that have not been frozen yet.

    Only today's: a worker that was down yesterday does not send yesterday's edition late,
    and today's covers the stories since the last one that went out.
    """
    today = timezone.localtime(now).date()
    if now < send_time(today):
        return []
    wanted = [Digest.Edition.DAILY]
    if today.weekday() == settings.NEWSDESK_DIGEST_WEEKDAY:
        wanted.append(Digest.Edition.WEEKLY)
    frozen = set(
        Digest.objects.filter(date=today, edition__in=wanted)
        .exclude(status=Digest.Status.DRAFT)
        .values_list("edition", flat=True)
    )
    return [(edition, today) for edition in wanted if edition not in frozen]


def digests_freeze_due(now: dt.datetime | None = None) -> list[Digest]:
    """Freeze every due edition; returns those that now have something to send."""
    now = now or timezone.now()
    frozen = [
        digest_freeze(digest_ensure(edition=edition, date=date), now=now)
        for edition, date in editions_due(now)
    ]
    return [digest for digest in frozen if digest.status == Digest.Status.SENDING]


def digests_sending() -> list[Digest]:
    """Digests frozen but not finished: just frozen, or left by a sender that stopped."""
    return list(Digest.objects.filter(status=Digest.Status.SENDING).order_by("date", "pk"))
