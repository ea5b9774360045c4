"""Signed link tokens (newsletter/subscriptions/tokens.py): bound to reader, address, purpose."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core import signing

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.tokens import PURPOSES, subscriber_for_token, token_make

pytestmark = pytest.mark.django_db


def _subscriber(address: str) -> Subscriber:
    return Subscriber.objects.create(email=address, email_key=address.casefold())


def _made_at(seconds_ago: float, **kwargs: object) -> str:
    """A token signed ``seconds_ago``: TimestampSigner reads the clock through time.time."""
    with mock.patch("django.core.signing.time.time", return_value=time.time() - seconds_ago):
        return token_make(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_opens_its_own_subscriber(purpose: str) -> None:
    ann = _subscriber("ann@example.org")
    token = token_make(subscriber=ann, purpose=purpose)  # type: ignore[arg-type]
    assert subscriber_for_token(token=token, purpose=purpose) == ann  # type: ignore[arg-type]
    assert "ann" not in signing.b64_decode(token.split(":")[0].encode()).decode(errors="replace")


@pytest.mark.parametrize("purpose", PURPOSES)
@pytest.mark.parametrize("other", PURPOSES)
def test_a_token_for_another_purpose_is_refused(purpose: str, other: str) -> None:
    ann = _subscriber("ann@example.org")
    token = token_make(subscriber=ann, purpose=other)  # type: ignore[arg-type]
    expected = ann if other == purpose else None
    assert subscriber_for_token(token=token, purpose=purpose) == expected  # type: ignore[arg-type]


def test_a_token_cannot_be_moved_to_another_subscriber() -> None:
    ann = _subscriber("ann@example.org")
    bob = _subscriber("bob@example.org")
    token = token_make(subscriber=ann, purpose="unsubscribe")
    # Re-signing is impossible without the key; editing the id inside breaks the signature.
    payload = signing.loads(token, salt="newsdesk.newsletter.unsubscribe")
    forged = signing.dumps({**payload, "s": bob.pk}, salt="wrong-salt")
    assert subscriber_for_token(token=forged, purpose="unsubscribe") is None
    value, signature = token.rsplit(":", 1)
    assert subscriber_for_token(token=f"{value}:{signature[:-1]}x", purpose="unsubscribe") in (
        None,
        ann,  # only if the flipped character was already "x"
    )


def test_a_token_stops_working_when_the_address_changes() -> None:
    ann = _subscriber("ann@example.org")
    token = token_make(subscriber=ann, purpose="preferences")
    Subscriber.objects.filter(pk=ann.pk).update(
        email="new@example.org", email_key="new@example.org"
    )
    assert subscriber_for_token(token=token, purpose="preferences") is None


def test_a_token_for_a_deleted_subscriber_is_refused() -> None:
    ann = _subscriber("ann@example.org")
    token = token_make(subscriber=ann, purpose="unsubscribe")
    ann.delete()
    assert subscriber_for_token(token=token, purpose="unsubscribe") is None


def test_confirmation_tokens_expire_after_72_hours() -> None:
    ann = _subscriber("ann@example.org")
    fresh = _made_at(71 * 3600, subscriber=ann, purpose="confirm")
    stale = _made_at(73 * 3600, subscriber=ann, purpose="confirm")
    assert subscriber_for_token(token=fresh, purpose="confirm") == ann
    assert subscriber_for_token(token=stale, purpose="confirm") is None


def test_unsubscribe_and_preference_tokens_do_not_expire() -> None:
    ann = _subscriber("ann@example.org")
    for purpose in ("unsubscribe", "preferences"):
        old = _made_at(3 * 365 * 86400, subscriber=ann, purpose=purpose)
        assert subscriber_for_token(token=old, purpose=purpose) == ann  # type: ignore[arg-type]


@pytest.mark.parametrize("junk", ["", "x", "a:b:c", "e30:1:abc", "x" * 5000, "../../etc/passwd"])
def test_garbage_is_refused(junk: str) -> None:
    assert subscriber_for_token(token=junk, purpose="confirm") is None
