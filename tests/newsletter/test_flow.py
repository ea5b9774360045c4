"""The whole double opt-in flow as a reader lives it, with mail over real SMTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from newsdesk.newsletter.models import Subscriber
from tests.helpers import parse_html
from tests.newsletter.conftest import Mailbox, signup, subscriber, wait_for

pytestmark = pytest.mark.django_db


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "http://testserver"
    return parts.path


def test_signup_confirm_welcome_one_click_unsubscribe(
    home: Any, client: Client, mailbox: Mailbox, settings: Any
) -> None:
    settings.DEFAULT_FROM_EMAIL = "Test Gazette <news@example.org>"
    assert signup(client, "Reader@Example.org", follow=True).status_code == 200

    [confirmation] = wait_for(mailbox, 1)
    assert confirmation.mail_from == "news@example.org"
    assert confirmation.rcpt_tos == ["Reader@example.org"]
    assert (
        confirmation.message["Subject"] == "Confirm your subscription to The Harrowgate Bay Courier"
    )
    [confirm_url] = [link for link in confirmation.links() if "/newsletter/confirm/" in link]
    assert f'href="{confirm_url}"' in confirmation.html()

    # A link scanner opening the link changes nothing and sends nothing.
    page = client.get(_path(confirm_url))
    assert page.status_code == 200
    assert "Confirm my subscription" in parse_html(page.content).find("main").clean_text
    assert subscriber("reader@example.org").status == "pending"
    assert len(mailbox.received) == 1

    # The reader presses the button.
    response = client.post(_path(confirm_url))
    assert response.status_code == 200
    assert subscriber("reader@example.org").status == "confirmed"

    [_, welcome] = wait_for(mailbox, 2)
    assert welcome.message["Subject"] == "Welcome to The Harrowgate Bay Courier"
    assert welcome.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = [part.strip(" <>") for part in welcome.message["List-Unsubscribe"].split(",")]
    assert mailto.startswith("mailto:news@example.org?subject=")
    assert https in welcome.links()

    # Confirming again (a second click) does not send a second welcome.
    client.post(_path(confirm_url))
    assert len(wait_for(mailbox, 3, timeout=0.3)) == 2

    # The reader's mail client unsubscribes in one click: cookieless POST, 200, no redirect.
    one_click = Client(enforce_csrf_checks=True).post(
        _path(https),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    assert subscriber("reader@example.org").status == Subscriber.Status.UNSUBSCRIBED


def test_preferences_link_from_the_welcome_email(
    home: Any, client: Client, mailbox: Mailbox
) -> None:
    signup(client, "reader@example.org")
    [confirmation] = wait_for(mailbox, 1)
    client.post(_path(next(u for u in confirmation.links() if "/confirm/" in u)))
    [_, welcome] = wait_for(mailbox, 2)
    preferences = _path(next(u for u in welcome.links() if "/preferences/" in u))
    assert client.get(preferences).status_code == 200
    client.post(preferences, {"frequency": "weekly", "save": "1"})
    assert subscriber("reader@example.org").frequency == "weekly"


def test_expired_confirmation_link(home: Any, client: Client, mailbox: Mailbox) -> None:
    import time
    from unittest import mock

    signup(client, "reader@example.org")
    wait_for(mailbox, 1)
    ann = subscriber("reader@example.org")
    from newsdesk.newsletter.subscriptions.tokens import token_make

    with mock.patch("django.core.signing.time.time", return_value=time.time() - 72 * 3600 - 5):
        stale = token_make(subscriber=ann, purpose="confirm")
    response = client.post(f"/newsletter/confirm/{stale}/")
    assert response.status_code == 400
    assert "expired" in parse_html(response.content).find("main").clean_text
    assert subscriber("reader@example.org").status == "pending"
