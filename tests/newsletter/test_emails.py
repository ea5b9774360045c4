"""The transactional emails as they arrive over SMTP: parts, headers, and header injection."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.mail import BadHeaderError
from django.utils import timezone

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions import emails
from tests.newsletter.conftest import Mailbox, wait_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann() -> Subscriber:
    return Subscriber.objects.create(
        email="Ann@example.org",
        email_key="ann@example.org",
        status=Subscriber.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )


def test_welcome_email_parts_and_headers(mailbox: Mailbox, ann: Subscriber, settings: Any) -> None:
    settings.SITE_NAME = "The Bay, Courier"
    settings.DEFAULT_FROM_EMAIL = '"The Bay, Courier" <news@example.org>'
    settings.NEWSDESK_REPLY_TO = "desk@example.org"
    emails.welcome_email(ann).send()
    [mail] = wait_for(mailbox, 1)
    message = mail.message
    assert message.get_content_type() == "multipart/alternative"
    assert message["From"].addresses[0].display_name == "The Bay, Courier"
    assert message["From"].addresses[0].addr_spec == "news@example.org"
    assert str(message["Reply-To"]) == "desk@example.org"
    assert message["To"].addresses[0].addr_spec == "Ann@example.org"
    assert message["Message-ID"].endswith("@testserver>")
    https, mailto = [part.strip(" <>") for part in message["List-Unsubscribe"].split(",")]
    assert https.startswith("http://testserver/newsletter/unsubscribe/")
    assert mailto.startswith("mailto:news@example.org?subject=unsubscribe%20")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert https in mail.text() and https.replace("&", "&amp;") in mail.html()
    assert "/newsletter/preferences/" in mail.text()


def test_no_reply_to_unless_configured(mailbox: Mailbox, ann: Subscriber, settings: Any) -> None:
    settings.NEWSDESK_REPLY_TO = ""
    emails.confirmation_email(ann).send()
    [mail] = wait_for(mailbox, 1)
    assert mail.message["Reply-To"] is None
    # Not subscribed yet: nothing to unsubscribe from.
    assert mail.message["List-Unsubscribe"] is None


def test_site_name_is_escaped_in_the_html_part(
    mailbox: Mailbox, ann: Subscriber, settings: Any
) -> None:
    settings.SITE_NAME = "Bay <script>alert(1)</script> & Co"
    emails.welcome_email(ann).send()
    [mail] = wait_for(mailbox, 1)
    assert "<script>" not in mail.html()
    assert "Bay &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in mail.html()
    assert "Bay <script>alert(1)</script> & Co" in mail.text()  # plain text is not HTML


@pytest.mark.parametrize(
    "setting",
    [
        ("SITE_NAME", "Courier\r\nBcc: victim@example.org"),
        ("DEFAULT_FROM_EMAIL", "news@example.org\r\nBcc: victim@example.org"),
        ("NEWSDESK_REPLY_TO", "desk@example.org\nBcc: victim@example.org"),
    ],
)
def test_line_breaks_cannot_add_headers(
    mailbox: Mailbox, ann: Subscriber, settings: Any, setting: tuple[str, str]
) -> None:
    name, value = setting
    setattr(settings, name, value)
    with pytest.raises((BadHeaderError, ValueError)):
        emails.welcome_email(ann).send()
    assert mailbox.received == []


def test_a_stored_address_with_a_line_break_cannot_add_headers(
    mailbox: Mailbox, ann: Subscriber
) -> None:
    # Validation keeps such addresses out; this is the second line of defence.
    ann.email = "ann@example.org\r\nBcc: victim@example.org"
    with pytest.raises((BadHeaderError, ValueError)):
        emails.confirmation_email(ann).send()
    assert mailbox.received == []
