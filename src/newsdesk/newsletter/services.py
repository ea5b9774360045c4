"""Writes to the subscriber list. Views, the admin and (later) importers call only these."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from enum import Enum
from typing import NotRequired, TypedDict, Unpack

from django.db import transaction
from django.utils import timezone

from newsdesk.news.models import Topic
from newsdesk.newsletter.addresses import address_parse
from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.tasks import send_subscriber_email

logger = logging.getLogger(__name__)

# At most one signup email (confirmation or "already subscribed") per address per day.
SIGNUP_EMAIL_INTERVAL = timedelta(hours=24)
SUPPRESSED = (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)
ACTIVE = (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED)


class ConfirmResult(Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    NOT_POSSIBLE = "not_possible"  # unsubscribed since, bounced or complained


def _locked(subscriber_id: int) -> Subscriber:
    # select_for_update serialises concurrent requests for one subscriber on PostgreSQL;
    # SQLite's IMMEDIATE transactions already hold the write lock from BEGIN.
    return Subscriber.objects.select_for_update().get(pk=subscriber_id)


def subscriber_signup(
    *,
    email: str,
    ip: str | None,
    consent_text: str,
    method: Consent.Method = Consent.Method.FORM,
    frequency: Subscriber.Frequency | None = None,
) -> None:
    """Record a signup and send the one email it calls for, whatever state the address is in.

    Returns nothing on purpose: the caller shows the same page for a new, pending, confirmed or
    suppressed address, so the form cannot be used to learn who subscribes. Raises
    ``InvalidAddress`` for an address that cannot be used (that depends only on the input).
    """
    address = address_parse(email)
    now = timezone.now()
    kind = None
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.get_or_create(
            email_key=address.key, defaults={"email": address.email}
        )
        subscriber = _locked(subscriber.pk)
        if subscriber.status in SUPPRESSED:
            # A bounced or complaining address gets nothing more from us, not even this.
            return
        if subscriber.status == Subscriber.Status.UNSUBSCRIBED:
            subscriber.status = Subscriber.Status.PENDING
            subscriber.unsubscribed_at = None
        if subscriber.status == Subscriber.Status.PENDING:
            # Pending: the reader may have mistyped the case the first time; keep the new one.
            subscriber.email = address.email
            if frequency:
                subscriber.frequency = frequency
        Consent.objects.create(subscriber=subscriber, method=method, text=consent_text, ip=ip)
        previous_sent_at = subscriber.confirmation_sent_at
        due = previous_sent_at is None or now - previous_sent_at >= SIGNUP_EMAIL_INTERVAL
        if due:
            # Claimed inside the lock, so two signups racing send one email between them.
            subscriber.confirmation_sent_at = now
            kind = "already" if subscriber.status == Subscriber.Status.CONFIRMED else "confirm"
        subscriber.save()
    if kind is not None:
        _email_queue(
            subscriber_id=subscriber.pk,
            kind=kind,
            claimed_at=now.isoformat(),
            previous_sent_at=previous_sent_at.isoformat() if previous_sent_at else None,
        )


class _EmailArguments(TypedDict):
    """The keyword arguments of ``send_subscriber_email``; the optional ones are left out, not
    sent as None, when a kind of email has no use for them."""

    subscriber_id: int
    kind: str
    claimed_at: NotRequired[str | None]
    previous_sent_at: NotRequired[str | None]


def _email_queue(**arguments: Unpack[_EmailArguments]) -> None:
    """Queue the email after the subscriber's row is written.

    No on_commit needed: the immediate backend runs the task on this connection, which sees the
    row, and the database backend stores the task in the same transaction as the row.
    """
    send_subscriber_email.enqueue(**arguments)


def subscriber_confirm(*, subscriber: Subscriber) -> ConfirmResult:
    """Confirm a pending subscriber and send the welcome email; confirming twice is a no-op."""
    with transaction.atomic():
        current = _locked(subscriber.pk)
        if current.status == Subscriber.Status.CONFIRMED:
            return ConfirmResult.ALREADY_CONFIRMED
        if current.status != Subscriber.Status.PENDING:
            return ConfirmResult.NOT_POSSIBLE
        current.status = Subscriber.Status.CONFIRMED
        current.confirmed_at = timezone.now()
        current.save(update_fields=["status", "confirmed_at", "updated_at"])
    # The subscription stands even if the welcome email fails.
    _email_queue(subscriber_id=current.pk, kind="welcome")
    subscriber.refresh_from_db()
    return ConfirmResult.CONFIRMED


def subscriber_unsubscribe(*, subscriber: Subscriber) -> None:
    """Stop all mail to the subscriber. Idempotent; a bounce or complaint status is kept, since
    it says more than "unsubscribed" and suppresses just the same."""
    with transaction.atomic():
        current = _locked(subscriber.pk)
        if current.status in ACTIVE:
            current.status = Subscriber.Status.UNSUBSCRIBED
            current.unsubscribed_at = timezone.now()
            current.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    subscriber.refresh_from_db()


def subscriber_preferences_update(
    *,
    subscriber: Subscriber,
    frequency: Subscriber.Frequency,
    topics: Iterable[Topic],
    paused: bool,
) -> None:
    with transaction.atomic():
        current = _locked(subscriber.pk)
        current.frequency = frequency
        current.paused = paused
        current.save(update_fields=["frequency", "paused", "updated_at"])
        current.topics.set(list(topics))
    subscriber.refresh_from_db()


def subscriber_suppress(*, subscriber: Subscriber, status: Subscriber.Status) -> bool:
    """Stop all mail to an address the provider reports as dead (BOUNCED) or whose owner marked
    our mail as spam (COMPLAINED). Returns whether the status changed.

    Any status gives way, unsubscribed included: a suppression says more, and signup refuses a
    suppressed address for good. A complaint is never downgraded to a bounce.
    """
    if status not in SUPPRESSED:
        raise ValueError(f"not a suppression status: {status!r}")
    with transaction.atomic():
        current = _locked(subscriber.pk)
        if current.status == status or current.status == Subscriber.Status.COMPLAINED:
            return False
        current.status = status
        current.save(update_fields=["status", "updated_at"])
    subscriber.refresh_from_db()
    return True
