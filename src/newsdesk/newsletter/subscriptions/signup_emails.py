"""The emails a subscriber is owed (confirmation, "already subscribed", welcome), sent exactly
when they are owed and retried until they go or the retries run out.

The rules:

- The email is recorded as owed (``Subscriber.email_owed``) in the transaction that calls for
  it, so a process killed before sending leaves it owed instead of lost.
- A sender claims it with one conditional UPDATE that moves ``email_owed_at`` a lease ahead, so
  two senders (a task and the worker's sweep, say) never both send it; a sender that dies
  mid-send gives the email back when its lease ends.
- The once-a-day limit counts emails actually handed to the mail server:
  ``confirmation_sent_at`` is written only after the server took the message.
- A failure is retried with growing pauses, then given up with its reason, which the admin shows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from newsdesk.newsletter.models import OwedEmail, Subscriber
from newsdesk.newsletter.subscriptions import emails

logger = logging.getLogger(__name__)

# Pause after the first, second, … failed try; after the last one the email is given up.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
SWEEP_BATCH = 100

BUILDERS = {
    OwedEmail.CONFIRM: emails.confirmation_email,
    OwedEmail.ALREADY: emails.already_subscribed_email,
    OwedEmail.WELCOME: emails.welcome_email,
}
# Which subscriber statuses each email still makes sense for when its turn comes.
STILL_WANTED = {
    OwedEmail.CONFIRM: (Subscriber.Status.PENDING, Subscriber.Status.UNSUBSCRIBED),
    OwedEmail.ALREADY: (Subscriber.Status.CONFIRMED,),
    OwedEmail.WELCOME: (Subscriber.Status.CONFIRMED,),
}


def lease() -> timedelta:
    """How long a claimed email stays with its sender: longer than a send can take (an SMTP
    session has about ten steps, connect, greeting, EHLO, TLS, login, MAIL, RCPT, DATA, the
    message and QUIT, each of which may wait EMAIL_TIMEOUT), so a slow send is not taken over and
    sent twice, and short enough that an email a dead process held goes out within minutes."""
    return timedelta(seconds=10 * float(settings.EMAIL_TIMEOUT))


def _claim(subscriber_id: int, now: datetime) -> Subscriber | None:
    """Take the owed email for one lease, or None when it is not due (or another took it)."""
    claimed = Subscriber.objects.filter(
        pk=subscriber_id, email_owed__gt="", email_owed_at__lte=now
    ).update(email_owed_at=now + lease())
    return Subscriber.objects.filter(pk=subscriber_id).first() if claimed else None


def _settle(subscriber: Subscriber, **fields: object) -> int:
    """Write the outcome only while the claim is still ours: the same email owed, with the
    lease this sender took (a signup or confirmation meanwhile may have made another email
    owed, and a sender that outlived its lease may have been replaced by another)."""
    return Subscriber.objects.filter(
        pk=subscriber.pk,
        email_owed=subscriber.email_owed,
        email_owed_at=subscriber.email_owed_at,
    ).update(**fields)


def owed_email_send(*, subscriber_id: int) -> bool:
    """Send the email this subscriber is owed, if it is due; returns whether one went."""
    now = timezone.now()
    subscriber = _claim(subscriber_id, now)
    if subscriber is None:
        return False
    kind = OwedEmail(subscriber.email_owed)
    if subscriber.status not in STILL_WANTED[kind]:
        # Confirmed, unsubscribed or suppressed since: this email would be wrong now.
        _settle(subscriber, email_owed="", email_owed_at=None, email_attempts=0)
        return False
    try:
        BUILDERS[kind](subscriber).send()
    except Exception as error:
        _failed(subscriber, kind, error, now)
        return False
    sent: dict[str, object] = {
        "email_owed": "",
        "email_owed_at": None,
        "email_attempts": 0,
        "email_error": "",
    }
    confirmation = kind in (OwedEmail.CONFIRM, OwedEmail.ALREADY)
    if confirmation:
        sent["confirmation_sent_at"] = timezone.now()
    if not _settle(subscriber, **sent) and confirmation:
        # The mail server had the message, so the reader may have clicked its link (which
        # owes the welcome) before the line above ran. That a confirmation went out is still a
        # fact the once-a-day rule counts on: record it whatever is owed by now.
        Subscriber.objects.filter(pk=subscriber.pk).update(
            confirmation_sent_at=sent["confirmation_sent_at"]
        )
    return True


def _failed(subscriber: Subscriber, kind: OwedEmail, error: Exception, now: datetime) -> None:
    attempts = subscriber.email_attempts + 1
    reason = f"{type(error).__name__}: {error}"
    if attempts > len(RETRY_DELAYS):
        logger.error(
            "%s email to subscriber %s given up after %s tries: %s",
            kind.label,
            subscriber.pk,
            attempts,
            reason,
        )
        _settle(
            subscriber,
            email_owed="",
            email_owed_at=None,
            email_attempts=attempts,
            email_error=f"gave up after {attempts} tries: {reason}"[:300],
        )
        return
    delay = RETRY_DELAYS[attempts - 1]
    logger.warning(
        "%s email to subscriber %s failed (try %s), next try in %s: %s",
        kind.label,
        subscriber.pk,
        attempts,
        delay,
        reason,
    )
    _settle(
        subscriber,
        email_owed_at=now + delay,
        email_attempts=attempts,
        email_error=reason[:300],
    )


def owed_emails_send_due(*, limit: int = SWEEP_BATCH) -> int:
    """Send owed emails whose time has come (retries, and those a dead process left); run by
    the worker every round. Returns how many went."""
    due = Subscriber.objects.filter(~Q(email_owed=""), email_owed_at__lte=timezone.now()).order_by(
        "email_owed_at", "pk"
    )
    ids = list(due.values_list("pk", flat=True)[:limit])
    return sum(owed_email_send(subscriber_id=pk) for pk in ids)
