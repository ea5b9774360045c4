"""A reader who confirms between the mail server's "250" and the sender's record of it.

The SMTP server has the message (so the reader may already be clicking its link) before
``owed_email_send`` writes ``confirmation_sent_at``. ``subscriber_confirm`` then replaces the
owed confirmation with the welcome, and the sender's ``_settle``, which writes only while the
same email is owed, drops the record that a confirmation went out. The once-a-day rule then
has nothing to count: a signup of the same address minutes later sends "You are already
subscribed" as well, a third email within a minute. The 50-client test in test_concurrency.py
met this on PostgreSQL (shared addresses signed up by several clients at once).

``owed_email_send`` now records a confirmation's send time whatever is owed by then.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from newsdesk.newsletter.models import OwedEmail, Subscriber
from newsdesk.newsletter.subscriptions import services, signup_emails

pytestmark = pytest.mark.django_db
DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _signup(address: str) -> None:
    # Tasks go nowhere: the test runs the sender itself, at the moment it chooses.
    with override_settings(TASKS=DUMMY_TASKS):
        services.subscriber_signup(email=address, ip="203.0.113.9", consent_text="Yes")


def test_a_reader_who_confirms_at_once_gets_no_already_subscribed_email(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _signup("ann@example.org")
    ann = Subscriber.objects.get(email_key="ann@example.org")
    assert ann.email_owed == OwedEmail.CONFIRM
    build_confirmation = signup_emails.BUILDERS[OwedEmail.CONFIRM]

    def confirmation_then_click(subscriber: Subscriber) -> Any:
        message = build_confirmation(subscriber)
        send = message.send

        def sent_and_clicked(*args: Any, **kwargs: Any) -> int:
            count = send(*args, **kwargs)
            # The server has it; the reader clicks before the sender writes down that it went.
            with override_settings(TASKS=DUMMY_TASKS):
                clicked = Subscriber.objects.get(pk=subscriber.pk)
                assert services.subscriber_confirm(subscriber=clicked) is (
                    services.ConfirmResult.CONFIRMED
                )
            return count

        message.send = sent_and_clicked  # type: ignore[method-assign]
        return message

    monkeypatch.setitem(signup_emails.BUILDERS, OwedEmail.CONFIRM, confirmation_then_click)
    assert signup_emails.owed_email_send(subscriber_id=ann.pk)
    assert signup_emails.owed_email_send(subscriber_id=ann.pk)  # the welcome
    assert [message.subject.split(" to ")[0] for message in mail.outbox] == [
        "Confirm your subscription",
        "Welcome",
    ]
    _signup("ann@example.org")  # someone types her address again a minute later
    signup_emails.owed_email_send(subscriber_id=ann.pk)
    subjects = [message.subject.split(" to ")[0] for message in mail.outbox]
    assert subjects == ["Confirm your subscription", "Welcome"], subjects
