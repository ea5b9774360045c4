"""Subscriber services, with mail going to a real SMTP server in this process."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError
from django.utils import timezone

from newsdesk.news.models import Topic
from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.subscriptions import services, signup_emails
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress
from tests.newsletter.conftest import Mailbox, subscriber, wait_for

pytestmark = pytest.mark.django_db
TEXT = "Send me the news. I can unsubscribe at any time."


def _signup(address: str, **kwargs: Any) -> None:
    services.subscriber_signup(email=address, ip="203.0.113.9", consent_text=TEXT, **kwargs)


def _age_last_email(address: str, hours: float) -> None:
    Subscriber.objects.filter(email_key=address.casefold()).update(
        confirmation_sent_at=timezone.now() - timedelta(hours=hours)
    )


def test_signup_stores_a_pending_subscriber_with_consent(mailbox: Mailbox) -> None:
    _signup("Ann@Example.org", frequency=Subscriber.Frequency.WEEKLY)
    ann = subscriber("ann@example.org")
    assert (ann.email, ann.status, ann.frequency) == ("Ann@example.org", "pending", "weekly")
    assert ann.confirmation_sent_at is not None
    consent = ann.consents.get()
    assert (consent.method, consent.text, consent.ip) == ("form", TEXT, "203.0.113.9")
    [mail] = wait_for(mailbox, 1)
    assert mail.rcpt_tos == ["Ann@example.org"]
    assert "/newsletter/confirm/" in mail.text()


def test_one_subscriber_per_case_folded_address(mailbox: Mailbox) -> None:
    _signup("ann@example.org")
    _signup("ANN@EXAMPLE.ORG")
    assert Subscriber.objects.count() == 1
    with pytest.raises(IntegrityError):
        Subscriber.objects.create(email="x", email_key="ann@example.org")


def test_at_most_one_signup_email_per_address_per_day(mailbox: Mailbox) -> None:
    for _ in range(3):
        _signup("ann@example.org")
    assert len(wait_for(mailbox, 1)) == 1
    _age_last_email("ann@example.org", 23.5)
    _signup("ann@example.org")
    assert len(mailbox.received) == 1
    _age_last_email("ann@example.org", 24)
    _signup("ann@example.org")
    assert len(wait_for(mailbox, 2)) == 2
    # Every attempt is on record, even those that sent nothing.
    assert Consent.objects.count() == 5


def test_a_confirmed_address_gets_a_notice_not_a_new_confirmation(mailbox: Mailbox) -> None:
    _signup("ann@example.org")
    services.subscriber_confirm(subscriber=subscriber("ann@example.org"))
    _age_last_email("ann@example.org", 25)
    mailbox.clear()
    _signup("ann@example.org")
    [mail] = wait_for(mailbox, 1)
    assert mail.message["Subject"].startswith("You are already subscribed")
    assert "/newsletter/preferences/" in mail.text()
    assert subscriber("ann@example.org").status == "confirmed"


@pytest.mark.parametrize("status", ["bounced", "complained"])
def test_suppressed_addresses_get_nothing(mailbox: Mailbox, status: str) -> None:
    Subscriber.objects.create(email="ann@example.org", email_key="ann@example.org", status=status)
    _signup("ann@example.org")
    assert mailbox.received == []
    assert subscriber("ann@example.org").status == status


def test_an_unsubscribed_reader_stays_unsubscribed_until_they_confirm_again(
    mailbox: Mailbox,
) -> None:
    _signup("ann@example.org")
    ann = subscriber("ann@example.org")
    services.subscriber_confirm(subscriber=ann)
    services.subscriber_unsubscribe(subscriber=ann)
    unsubscribed_at = ann.unsubscribed_at
    _age_last_email("ann@example.org", 25)
    mailbox.clear()
    # Anyone may type ann's address into the form: that alone changes nothing of hers.
    _signup("ann@example.org")
    ann.refresh_from_db()
    assert (ann.status, ann.unsubscribed_at) == ("unsubscribed", unsubscribed_at)
    [mail] = wait_for(mailbox, 1)
    assert "/newsletter/confirm/" in mail.text()
    # Only the link in her own mailbox subscribes her again; the history keeps every step.
    assert services.subscriber_confirm(subscriber=ann) is services.ConfirmResult.CONFIRMED
    assert ann.status == "confirmed" and ann.unsubscribed_at == unsubscribed_at
    actions = list(ann.consents.order_by("pk").values_list("action", flat=True))
    assert actions == ["signup", "confirm", "unsub", "signup", "confirm"]


@pytest.mark.parametrize("bad", ["not-an-address", "ann@example.org\r\nBcc: x@example.org", ""])
def test_invalid_addresses_store_nothing(mailbox: Mailbox, bad: str) -> None:
    with pytest.raises(InvalidAddress):
        _signup(bad)
    assert not Subscriber.objects.exists()
    assert mailbox.received == []


def test_a_failed_send_stays_owed_and_is_retried_after_a_pause(
    mailbox: Mailbox, smtp_server: tuple[Mailbox, int], settings: Any
) -> None:
    settings.EMAIL_PORT = 1  # nothing listens there: connection refused
    _signup("ann@example.org")  # logged, not raised: the reader sees the same page
    ann = subscriber("ann@example.org")
    assert ann.confirmation_sent_at is None  # the day's limit counts emails that went
    assert (ann.email_owed, ann.email_attempts) == ("confirm", 1)
    assert "ConnectionRefusedError" in ann.email_error
    settings.EMAIL_PORT = smtp_server[1]
    # Another signup during the pause neither sends it early nor owes a second email.
    _signup("ann@example.org")
    assert signup_emails.owed_emails_send_due() == 0
    assert mailbox.received == []
    Subscriber.objects.filter(pk=ann.pk).update(email_owed_at=timezone.now())
    assert signup_emails.owed_emails_send_due() == 1
    assert len(wait_for(mailbox, 1)) == 1
    ann.refresh_from_db()
    assert (ann.email_owed, ann.email_error) == ("", "")
    assert ann.confirmation_sent_at is not None


def test_an_email_that_keeps_failing_is_given_up_with_its_reason(
    mailbox: Mailbox, settings: Any
) -> None:
    settings.EMAIL_PORT = 1
    _signup("ann@example.org")
    for _ in signup_emails.RETRY_DELAYS:
        Subscriber.objects.update(email_owed_at=timezone.now())
        signup_emails.owed_emails_send_due()
    ann = subscriber("ann@example.org")
    assert ann.email_owed == ""
    assert ann.email_attempts == len(signup_emails.RETRY_DELAYS) + 1
    assert ann.email_error.startswith("gave up after 6 tries: ConnectionRefusedError")


def test_confirm_sends_one_welcome(mailbox: Mailbox) -> None:
    _signup("ann@example.org")
    ann = subscriber("ann@example.org")
    mailbox.clear()
    assert services.subscriber_confirm(subscriber=ann) is services.ConfirmResult.CONFIRMED
    assert ann.status == "confirmed" and ann.confirmed_at is not None
    result = services.subscriber_confirm(subscriber=ann)
    assert result is services.ConfirmResult.ALREADY_CONFIRMED
    [welcome] = wait_for(mailbox, 1)
    assert welcome.message["Subject"].startswith("Welcome to")


def test_confirm_after_unsubscribing_does_nothing(mailbox: Mailbox) -> None:
    _signup("ann@example.org")
    ann = subscriber("ann@example.org")
    services.subscriber_unsubscribe(subscriber=ann)
    mailbox.clear()
    assert services.subscriber_confirm(subscriber=ann) is services.ConfirmResult.NOT_POSSIBLE
    assert ann.status == "unsubscribed"
    assert mailbox.received == []


def test_unsubscribe_is_idempotent_and_keeps_suppression(mailbox: Mailbox) -> None:
    _signup("ann@example.org")
    ann = subscriber("ann@example.org")
    services.subscriber_unsubscribe(subscriber=ann)
    first = ann.unsubscribed_at
    services.subscriber_unsubscribe(subscriber=ann)
    assert (ann.status, ann.unsubscribed_at) == ("unsubscribed", first)
    Subscriber.objects.filter(pk=ann.pk).update(status="bounced")
    services.subscriber_unsubscribe(subscriber=ann)
    assert ann.status == "bounced"


def test_preferences_update(mailbox: Mailbox) -> None:
    council = Topic.objects.create(name="Council", slug="council")
    sport = Topic.objects.create(name="Sport", slug="sport")
    _signup("ann@example.org")
    ann = subscriber("ann@example.org")
    services.subscriber_preferences_update(
        subscriber=ann, frequency=Subscriber.Frequency.WEEKLY, topics=[council, sport], paused=True
    )
    assert (ann.frequency, ann.paused) == ("weekly", True)
    assert set(ann.topics.all()) == {council, sport}
    services.subscriber_preferences_update(
        subscriber=ann, frequency=Subscriber.Frequency.DAILY, topics=[], paused=False
    )
    assert (ann.frequency, ann.paused, ann.topics.count()) == ("daily", False, 0)
