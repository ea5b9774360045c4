"""Signed tokens for the links in newsletter emails.

A token names one subscriber and one purpose, and carries a digest of the subscriber's mailbox
key: a token for another subscriber or purpose fails the signature (the salt differs per
purpose) or the lookup, and a row whose address changed no longer matches. A confirmation
link's digest also covers the time of the reader's last unsubscribe, so a link sent before an
unsubscribe cannot resubscribe anyone, while one sent after it (the reader asked again) can.
The address itself stays out of the token, since signed data is readable by anyone holding it.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Literal

from django.core import signing

from newsdesk.newsletter.models import Subscriber

Purpose = Literal["confirm", "preferences", "unsubscribe"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "preferences", "unsubscribe")
# Confirmation links expire; preference and unsubscribe links live as long as the emails that
# carry them, since a reader may unsubscribe from a digest sent a year ago.
MAX_AGE: dict[Purpose, timedelta | None] = {
    "confirm": timedelta(hours=72),
    "preferences": None,
    "unsubscribe": None,
}
MAX_TOKEN_LENGTH = 200


def _salt(purpose: Purpose) -> str:
    return f"newsdesk.newsletter.{purpose}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _key_digests(subscriber: Subscriber, purpose: Purpose) -> tuple[str, ...]:
    """The digests a valid token of this subscriber may carry; the first is what new tokens
    carry. The second is the case-folded address, which was the key before mailbox keys
    (``addresses.address_key``), so links in emails sent before then keep working."""
    keys = [subscriber.email_key, subscriber.email.casefold()]
    if purpose == "confirm" and subscriber.unsubscribed_at is not None:
        keys = [f"{key}|{subscriber.unsubscribed_at.isoformat()}" for key in keys]
    return tuple(dict.fromkeys(_digest(key) for key in keys))


def token_make(*, subscriber: Subscriber, purpose: Purpose) -> str:
    payload = {"s": subscriber.pk, "k": _key_digests(subscriber, purpose)[0], "p": purpose}
    return signing.dumps(payload, salt=_salt(purpose))


def subscriber_for_token(*, token: str, purpose: Purpose) -> Subscriber | None:
    """The subscriber a valid, unexpired token for ``purpose`` names, else None."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=MAX_AGE[purpose])
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(payload, dict) or payload.get("p") != purpose:
        return None
    subscriber_id = payload.get("s")
    if not isinstance(subscriber_id, int):
        return None
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or payload.get("k") not in _key_digests(subscriber, purpose):
        return None
    return subscriber
