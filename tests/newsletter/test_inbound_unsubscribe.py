"""List-Unsubscribe's mailto: link, received through an ESP's inbound webhook (Postmark's
documented inbound JSON, parsed by anymail)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client

from newsdesk.newsletter.feedback.inbound import unsubscribe_token
from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.tokens import token_make

pytestmark = pytest.mark.django_db

INBOUND = "/webhooks/anymail/postmark/inbound/"
SECRET = "esp-hook:correct-horse-battery"


@pytest.fixture(autouse=True)
def webhook_secret(settings: Any) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def inbound_email(subject: str, sender: str = "ann@example.org") -> dict[str, Any]:
    return {
        "FromFull": {"Email": sender, "Name": "Ann"},
        "ToFull": [{"Email": "news@example.org", "Name": ""}],
        "Subject": subject,
        "TextBody": "",
        "HtmlBody": "",
        "Headers": [],
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "Date": "Wed, 25 Nov 2026 07:01:02 +0000",
        "Attachments": [],
    }


def deliver(client: Client, payload: Any, credentials: str = SECRET) -> Any:
    token = base64.b64encode(credentials.encode()).decode()
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    return client.post(
        INBOUND, body, content_type="application/json", HTTP_AUTHORIZATION=f"Basic {token}"
    )


@pytest.fixture
def ann() -> Subscriber:
    return Subscriber.objects.create(
        email="ann@example.org", email_key="ann@example.org", status="confirmed"
    )


def test_the_mailto_subject_unsubscribes(client: Client, ann: Subscriber) -> None:
    token = token_make(subscriber=ann, purpose="unsubscribe")
    assert deliver(client, inbound_email(f"unsubscribe {token}")).status_code == 200
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.UNSUBSCRIBED


@pytest.mark.parametrize(
    ("subject", "status"),
    [
        ("unsubscribe", 200),
        ("unsubscribe not-a-token", 200),
        ("Please stop", 200),
        ("unsubscribe " + "A" * 5000, 200),
        # A header cannot hold a line break: the payload is malformed, and says so.
        ("unsubscribe\r\nBcc: x@example.org", 400),
    ],
)
def test_anything_else_changes_nothing(
    client: Client, ann: Subscriber, subject: str, status: int
) -> None:
    assert deliver(client, inbound_email(subject)).status_code == status
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_a_token_for_another_purpose_changes_nothing(client: Client, ann: Subscriber) -> None:
    token = token_make(subscriber=ann, purpose="preferences")
    deliver(client, inbound_email(f"unsubscribe {token}"))
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_wrong_credentials_and_malformed_bodies_are_refused(
    client: Client, ann: Subscriber
) -> None:
    token = token_make(subscriber=ann, purpose="unsubscribe")
    assert deliver(client, inbound_email(f"unsubscribe {token}"), "x:y").status_code == 401
    assert deliver(client, b"{not json").status_code == 400
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_reply_prefixes_are_allowed() -> None:
    assert unsubscribe_token("Re: Unsubscribe abc:def-1") == "abc:def-1"
    assert unsubscribe_token("unsubscribe") is None
