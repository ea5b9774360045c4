"""Bounces and complaints reported by the mail provider suppress the address.

anymail's tracking webhooks turn each ESP's payload into an ``AnymailTrackingEvent`` and send
the ``tracking`` signal; ``bounce_record`` is its receiver. A hard bounce or a spam complaint
suppresses the subscriber at once; soft bounces (mailbox full, greylisting, a server down) are
recorded, and three of them within 30 days suppress too, since an address that has failed that
often is as good as dead and keeps hurting the sending reputation.

Providers retry a webhook until it is answered 200, so one event may arrive several times: each
is stored once under its ``event_id`` (the ESP's own id, or a hash of the payload when the ESP
gives none), and a repeat changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from newsdesk.newsletter.models import BounceEvent, Consent, Delivery, Subscriber
from newsdesk.newsletter.subscriptions.addresses import address_key_of
from newsdesk.newsletter.subscriptions.services import subscriber_suppress, subscriber_unsubscribe

logger = logging.getLogger(__name__)

SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)
EVENT_ID_MAX = 200  # BounceEvent.event_id's max_length
DESCRIPTION_MAX = 300
# The metadata key the digest sender sets to the Delivery's id when sending through anymail.
DELIVERY_METADATA_KEY = "delivery"

# An SMTP reply that starts with a 4xx code, or whose first enhanced status code is 4.x.x
# (RFC 3463), reports a temporary failure even when the ESP files it under "bounced".
_TEMPORARY_REPLY = re.compile(r"^\s*4\d\d\b|^\D*?\b4\.\d{1,3}\.\d{1,3}\b")


class BounceOutcome(Enum):
    IGNORED = "ignored"  # not a bounce or complaint (delivered, opened, …)
    UNKNOWN_RECIPIENT = "unknown_recipient"
    DUPLICATE = "duplicate"  # a retried webhook: counted the first time
    RECORDED = "recorded"  # a soft bounce below the limit
    SUPPRESSED = "suppressed"
    UNSUBSCRIBED = "unsubscribed"  # the reader unsubscribed through the ESP


def bounce_kind(event: AnymailTrackingEvent) -> BounceEvent.Kind | None:
    """What the event means for the address, or None when it means nothing for suppression."""
    kind = event.event_type
    reason = event.reject_reason
    if kind == EventType.COMPLAINED or (kind == EventType.REJECTED and reason == RejectReason.SPAM):
        return BounceEvent.Kind.COMPLAINT
    if kind == EventType.DEFERRED:
        return BounceEvent.Kind.SOFT
    if kind == EventType.BOUNCED:
        return BounceEvent.Kind.SOFT if _temporary(event) else BounceEvent.Kind.HARD
    if kind == EventType.FAILED:
        # The ESP gave up on the message: permanent only when it says so (Postal's HardFail).
        raw = event.esp_event if isinstance(event.esp_event, dict) else {}
        payload = raw.get("payload")
        hard = isinstance(payload, dict) and payload.get("status") == "HardFail"
        return BounceEvent.Kind.HARD if hard and not _temporary(event) else BounceEvent.Kind.SOFT
    # The ESP refused to send because it already knows the address is dead or malformed.
    if kind == EventType.REJECTED and reason in (
        RejectReason.BOUNCED,
        RejectReason.INVALID,
        RejectReason.TIMED_OUT,
    ):
        return BounceEvent.Kind.HARD
    return None


# SparkPost's bounce classes for failures that may pass (mailbox full, DNS, timeouts, ...).
_SPARKPOST_SOFT_CLASSES = frozenset({"20", "21", "22", "23", "24", "40", "60", "70", "100"})


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _sparkpost_event(raw: dict[str, Any]) -> dict[str, Any]:
    """SparkPost wraps each event as {"msys": {"<class>_event": {…}}}."""
    wrapped = _dict(raw.get("msys"))
    return _dict(next(iter(wrapped.values()), None)) if wrapped else {}


def _temporary(event: AnymailTrackingEvent) -> bool:
    """A "bounced" event that the ESP's own fields or the SMTP reply mark as temporary.

    anymail files several ESPs' soft bounces under "bounced" (Postmark's SoftBounce, Mailjet's
    ``hard_bounce: false``, Brevo's and Mandrill's soft_bounce, MailerSend's soft_bounced,
    Resend's transient bounces, SparkPost's soft bounce classes); suppressing on the first full
    mailbox would drop readers who are merely away.
    """
    raw = event.esp_event
    if isinstance(raw, dict):
        data = _dict(raw.get("data"))
        bounce = _dict(data.get("bounce"))
        if (
            raw.get("hard_bounce") is False
            or raw.get("Type") == "SoftBounce"
            or raw.get("event") == "soft_bounce"
            or data.get("type") == "soft_bounced"
            or bounce.get("type") == "Transient"
            or str(_sparkpost_event(raw).get("bounce_class", "")) in _SPARKPOST_SOFT_CLASSES
        ):
            return True
    return bool(event.mta_response and _TEMPORARY_REPLY.search(str(event.mta_response)))


def event_key(event: AnymailTrackingEvent, esp_name: str) -> str:
    """A stable id for the event: the ESP's own, else a hash of the raw event (some ESPs, such
    as Mailjet, send no id; a retry carries the same payload and so gets the same hash)."""
    prefix = re.sub(r"[^a-z0-9]", "", esp_name.lower()) or "esp"
    if event.event_id:
        key = f"{prefix}:{event.event_id}"
        if len(key) <= EVENT_ID_MAX:
            return key
        return f"{prefix}:sha256:{hashlib.sha256(str(event.event_id).encode()).hexdigest()}"
    raw = event.esp_event
    if hasattr(raw, "lists"):  # a QueryDict from a form-encoded webhook
        raw = {name: values for name, values in raw.lists()}
    canonical = json.dumps(raw, sort_keys=True, default=str, ensure_ascii=True)
    return f"{prefix}:sha256:{hashlib.sha256(canonical.encode()).hexdigest()}"


def _recipient_key(recipient: str | None) -> str | None:
    # Not an address we could have stored: None, which finds nobody.
    return address_key_of(recipient) if recipient else None


def _delivery_id(metadata: Any) -> int | None:
    if not isinstance(metadata, dict):
        return None
    try:
        value = int(str(metadata.get(DELIVERY_METADATA_KEY, "")).strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _describe(event: AnymailTrackingEvent) -> str:
    parts = [str(part).strip() for part in (event.mta_response, event.description) if part]
    text = " — ".join(part for part in parts if part)
    return text[:DESCRIPTION_MAX]


def bounce_record(*, event: AnymailTrackingEvent, esp_name: str) -> BounceOutcome:
    """Record one tracking event and suppress the subscriber when it calls for that."""
    kind = bounce_kind(event)
    if kind is None and event.event_type != EventType.UNSUBSCRIBED:
        return BounceOutcome.IGNORED
    key = _recipient_key(event.recipient)
    subscriber = Subscriber.objects.filter(email_key=key).first() if key else None
    if subscriber is None:
        # Mail we sent to someone who is no longer on the list (or never was): nothing to do,
        # and the webhook still answers 200 so the ESP stops retrying.
        return BounceOutcome.UNKNOWN_RECIPIENT
    if kind is None:
        subscriber_unsubscribe(subscriber=subscriber, method=Consent.Method.PROVIDER)
        return BounceOutcome.UNSUBSCRIBED

    now = timezone.now()
    # A timestamp from the future would keep a soft bounce inside every window: clamp it.
    occurred_at = event.timestamp or now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, UTC)
    occurred_at = min(occurred_at, now)
    event_id = event_key(event, esp_name)
    with transaction.atomic():
        # The lock serialises events for one subscriber, so two soft bounces arriving together
        # both see each other when counting, and a retry racing its original finds its row.
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if BounceEvent.objects.filter(event_id=event_id).exists():
            return BounceOutcome.DUPLICATE
        delivery_id = _delivery_id(event.metadata)
        delivery = (
            Delivery.objects.filter(pk=delivery_id, subscriber=subscriber).first()
            if delivery_id
            else None
        )
        try:
            with transaction.atomic():
                BounceEvent.objects.create(
                    subscriber=subscriber,
                    delivery=delivery,
                    kind=kind,
                    event_id=event_id,
                    occurred_at=occurred_at,
                    description=_describe(event),
                )
        except IntegrityError:
            return BounceOutcome.DUPLICATE
        if kind == BounceEvent.Kind.SOFT and not _soft_limit_reached(subscriber, occurred_at):
            return BounceOutcome.RECORDED
        status = (
            Subscriber.Status.COMPLAINED
            if kind == BounceEvent.Kind.COMPLAINT
            else Subscriber.Status.BOUNCED
        )
        if subscriber_suppress(subscriber=subscriber, status=status):
            logger.info("subscriber %s suppressed after a %s", subscriber.pk, kind.label.lower())
    return BounceOutcome.SUPPRESSED


def _soft_limit_reached(subscriber: Subscriber, at: datetime) -> bool:
    """Whether some 30-day window around ``at`` holds SOFT_BOUNCE_LIMIT soft bounces.

    Several events about one message count once: ESPs report a "deferred" for every retry of
    the same message, and a greylisting server can cause three in an hour. An event counts per
    delivery when the digest sender's metadata names one, else per day. Events can arrive late
    and out of order, so every window that contains ``at`` is checked, not only the one ending
    there.
    """
    rows = list(
        BounceEvent.objects.filter(
            subscriber=subscriber,
            kind=BounceEvent.Kind.SOFT,
            occurred_at__gte=at - SOFT_BOUNCE_WINDOW,
            occurred_at__lte=at + SOFT_BOUNCE_WINDOW,
        )
        .order_by("occurred_at")
        .values_list("occurred_at", "delivery_id")
    )
    for start, _ in rows:
        if start > at:
            break
        end = start + SOFT_BOUNCE_WINDOW
        if end < at:
            continue
        failures = {
            f"delivery:{delivery_id}" if delivery_id else f"day:{when.date().isoformat()}"
            for when, delivery_id in rows
            if start <= when <= end
        }
        if len(failures) >= SOFT_BOUNCE_LIMIT:
            return True
    return False


@receiver(tracking, dispatch_uid="newsdesk.newsletter.feedback.bounces")
def _on_tracking(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    bounce_record(event=event, esp_name=esp_name)
