"""Writes to the subscriber list. Views, the admin and (later) importers call only these."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import Enum

from django.db import transaction
from django.utils import timezone

from newsdesk.news.models import Topic
from newsdesk.newsletter.models import Consent, OwedEmail, Subscriber
from newsdesk.newsletter.subscriptions.addresses import address_parse
from newsdesk.newsletter.subscriptions.ratelimit import ratelimit_hit
from newsdesk.newsletter.tasks import send_subscriber_email

logger = logging.getLogger(__name__)

# At most one signup email (confirmation or "already subscribed") per address per day, counted
# when the mail server took it; and at most this many a day into one inbox, whatever +tags the
# addresses carry (addresses.Address.family).
SIGNUP_EMAIL_INTERVAL = timedelta(hours=24)
SIGNUP_EMAILS_PER_INBOX = 3
SUPPRESSED = (Subscriber.Status.BOUNCED, Subscriber.Status.COMPLAINED)
ACTIVE = (Subscriber.Status.PENDING, Subscriber.Status.CONFIRMED)


class ConfirmResult(Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    NOT_POSSIBLE = "not_possible"  # bounced or complained


def _locked(subscriber_id: int) -> Subscriber:
    # select_for_update serialises concurrent requests for one subscriber on PostgreSQL;
    # SQLite's IMMEDIATE transactions already hold the write lock from BEGIN.
    return Subscriber.objects.select_for_update().get(pk=subscriber_id)


def _consent_record(
    subscriber: Subscriber,
    *,
    action: Consent.Action,
    method: Consent.Method,
    text: str,
    ip: str | None = None,
    email: str = "",
) -> None:
    Consent.objects.create(
        subscriber=subscriber,
        action=action,
        method=method,
        text=text,
        ip=ip,
        email=email or subscriber.email,
    )


def subscriber_signup(
    *,
    email: str,
    ip: str | None,
    consent_text: str,
    method: Consent.Method = Consent.Method.FORM,
    frequency: Subscriber.Frequency | None = None,
) -> None:
    """Record a signup and owe the one email it calls for, whatever state the address is in.

    Returns nothing on purpose: the caller shows the same page for a new, pending, confirmed,
    unsubscribed or suppressed address, so the form cannot be used to learn who subscribes.
    Nobody's status changes here: a new address is pending, and an unsubscribed reader stays
    unsubscribed until they confirm from their own mailbox (a third party's signup cannot undo
    an unsubscribe). Raises ``InvalidAddress`` for an address that cannot be used.
    """
    address = address_parse(email)
    now = timezone.now()
    with transaction.atomic():
        defaults: dict[str, object] = {"email": address.email}
        if frequency:
            defaults["frequency"] = frequency
        subscriber, _ = Subscriber.objects.get_or_create(email_key=address.key, defaults=defaults)
        subscriber = _locked(subscriber.pk)
        _consent_record(
            subscriber,
            action=Consent.Action.SIGNUP,
            method=method,
            text=consent_text,
            ip=ip,
            email=address.email,
        )
        # A bounced or complaining address gets nothing more from us, not even this.
        if subscriber.status not in SUPPRESSED:
            if subscriber.status == Subscriber.Status.PENDING and frequency:
                subscriber.frequency = frequency
            kind = (
                OwedEmail.ALREADY
                if subscriber.status == Subscriber.Status.CONFIRMED
                else OwedEmail.CONFIRM
            )
            _signup_email_owe(subscriber, kind=kind, family=address.family, now=now)
            subscriber.save()
    # Queued whatever the outcome (the task sends only an email that is owed and due), so a
    # signup that owes nothing costs the same work as one that does and its timing tells nothing.
    _email_queue(subscriber.pk)


def _signup_email_owe(
    subscriber: Subscriber, *, kind: OwedEmail, family: str, now: datetime
) -> None:
    """Decide (under the row's lock) whether this signup calls for an email, and owe it.

    An email already owed stays as it is: waiting for its sender, or for the pause after a
    failed try; if its time has come it was lost (a process killed mid-signup), and the task
    queued after this signup sends it.
    """
    if subscriber.email_owed:
        return
    sent_at = subscriber.confirmation_sent_at
    if sent_at is not None and now - sent_at < SIGNUP_EMAIL_INTERVAL:
        return
    if not ratelimit_hit(
        key=f"inbox:{family}", limit=SIGNUP_EMAILS_PER_INBOX, window=SIGNUP_EMAIL_INTERVAL
    ):
        return
    subscriber.email_owed = kind
    subscriber.email_owed_at = now
    subscriber.email_attempts = 0
    subscriber.email_error = ""


def _email_queue(subscriber_id: int) -> None:
    """Queue the owed email after the subscriber's row is committed.

    No on_commit needed: the immediate backend runs the task on this connection, which sees the
    row, and the database backend stores the task in a transaction after the row's. Should the
    process die first, the email stays owed and ``owed_emails_send_due`` sends it.
    """
    send_subscriber_email.enqueue(subscriber_id=subscriber_id)


def subscriber_confirm(*, subscriber: Subscriber, ip: str | None = None) -> ConfirmResult:
    """Confirm from the link in a confirmation email and owe the welcome email; confirming
    twice is a no-op.

    The link proves the reader holds the mailbox. A pending reader becomes confirmed; so does
    an unsubscribed one, since the link was made after their last unsubscribe (``tokens``
    binds confirmation links to it). Suppressed addresses stay suppressed.
    """
    with transaction.atomic():
        current = _locked(subscriber.pk)
        if current.status == Subscriber.Status.CONFIRMED:
            return ConfirmResult.ALREADY_CONFIRMED
        if current.status in SUPPRESSED or not _asked_since_unsubscribing(current):
            return ConfirmResult.NOT_POSSIBLE
        current.status = Subscriber.Status.CONFIRMED
        current.confirmed_at = timezone.now()
        # The welcome replaces whatever was owed: the confirmation evidently arrived.
        current.email_owed = OwedEmail.WELCOME
        current.email_owed_at = current.confirmed_at
        current.email_attempts = 0
        current.email_error = ""
        current.save()
        _consent_record(
            current,
            action=Consent.Action.CONFIRM,
            method=Consent.Method.LINK,
            text=f"Confirmed with the link sent to {current.email}.",
            ip=ip,
        )
    # The subscription stands even if the welcome email fails.
    _email_queue(current.pk)
    subscriber.refresh_from_db()
    return ConfirmResult.CONFIRMED


def _asked_since_unsubscribing(subscriber: Subscriber) -> bool:
    """An unsubscribed reader is confirmed again only after asking again: a signup recorded
    after their last unsubscribe (whose confirmation link is what they followed)."""
    if subscriber.status != Subscriber.Status.UNSUBSCRIBED:
        return True
    return subscriber.consents.filter(
        action=Consent.Action.SIGNUP, created_at__gt=subscriber.unsubscribed_at
    ).exists()


def subscriber_unsubscribe(
    *,
    subscriber: Subscriber,
    method: Consent.Method = Consent.Method.LINK,
    ip: str | None = None,
) -> None:
    """Stop all mail to the subscriber. Idempotent; a bounce or complaint status is kept, since
    it says more than "unsubscribed" and suppresses just the same."""
    with transaction.atomic():
        current = _locked(subscriber.pk)
        if current.status in ACTIVE:
            current.status = Subscriber.Status.UNSUBSCRIBED
            current.unsubscribed_at = timezone.now()
            current.save(update_fields=["status", "unsubscribed_at", "updated_at"])
            _consent_record(
                current,
                action=Consent.Action.UNSUBSCRIBE,
                method=method,
                text="Unsubscribed.",
                ip=ip,
            )
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
        _consent_record(
            current,
            action=Consent.Action.SUPPRESS,
            method=Consent.Method.PROVIDER,
            text=f"Suppressed: {current.get_status_display()}.",
        )
    subscriber.refresh_from_db()
    return True
