"""Newsletter emails as background tasks, so a signup never waits on the mail server.

With the immediate task backend (the default) they still run right after the request's
transaction commits; with NEWSDESK_TASKS=database, ``newsdesk worker`` runs them.
"""

from __future__ import annotations

import datetime as dt
import logging

from django_tasks import task

from newsdesk.newsletter import emails
from newsdesk.newsletter.models import Subscriber

logger = logging.getLogger(__name__)

BUILDERS = {
    "confirm": emails.confirmation_email,
    "already": emails.already_subscribed_email,
    "welcome": emails.welcome_email,
}


@task()
def send_subscriber_email(
    *,
    subscriber_id: int,
    kind: str,
    claimed_at: str | None = None,
    previous_sent_at: str | None = None,
) -> bool:
    """Send one transactional email; returns whether it went.

    A signup email holds the day's claim (``confirmation_sent_at``); if the mail server fails,
    the claim goes back to what it was, so the reader can ask again instead of waiting a day.
    A failure is logged, not raised: the reader has already seen the same page either way.
    """
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return False
    try:
        BUILDERS[kind](subscriber).send()
    except Exception:
        logger.exception("%s email to subscriber %s failed", kind, subscriber_id)
        if claimed_at is not None:
            Subscriber.objects.filter(
                pk=subscriber_id, confirmation_sent_at=dt.datetime.fromisoformat(claimed_at)
            ).update(
                confirmation_sent_at=dt.datetime.fromisoformat(previous_sent_at)
                if previous_sent_at
                else None
            )
        return False
    return True
