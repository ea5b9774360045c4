"""Signed tokens for the links in newsletter emails.

A token names one subscriber and one purpose, and carries a digest of the subscriber's
case-folded address: a token for another subscriber or purpose fails the signature (the salt
differs per purpose) or the lookup, and a row whose address changed no longer matches. The
address itself stays out of the token, since signed data is readable by anyone holding it.
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


def _key_digest(email_key: str) -> str:
    return hashlib.sha256(email_key.encode()).hexdigest()[:16]


def token_make(*, subscriber: Subscriber, purpose: Purpose) -> str:
    payload = {"s": subscriber.pk, "k": _key_digest(subscriber.email_key), "p": purpose}
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
    if subscriber is None or _key_digest(subscriber.email_key) != payload.get("k"):
        return None
    return subscriber
