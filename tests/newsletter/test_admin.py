"""Subscribers in the Wagtail admin: listed, searched, filtered by status, escaped."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.newsletter.models import Subscriber

pytestmark = pytest.mark.django_db
LIST = "/admin/snippets/newsletter/subscriber/"


@pytest.fixture
def editor_client(client: Client) -> Client:
    user = User.objects.create_superuser("editor", "editor@example.org", "secret-password")
    client.force_login(user)
    return client


@pytest.fixture
def subscribers() -> None:
    for address, status in [
        ("ann@example.org", "confirmed"),
        ("bob@example.org", "pending"),
        ('"<script>alert(1)</script>"@example.org', "bounced"),
    ]:
        Subscriber.objects.create(email=address, email_key=address.casefold(), status=status)


def test_list_search_and_status_filter(editor_client: Client, subscribers: Any) -> None:
    page = editor_client.get(LIST)
    assert page.status_code == 200
    assert b"ann@example.org" in page.content and b"bob@example.org" in page.content
    searched = editor_client.get(LIST, {"q": "ann"})
    assert b"ann@example.org" in searched.content and b"bob@example.org" not in searched.content
    filtered = editor_client.get(LIST, {"status": "pending"})
    assert b"bob@example.org" in filtered.content and b"ann@example.org" not in filtered.content


def test_addresses_are_escaped(editor_client: Client, subscribers: Any) -> None:
    body = editor_client.get(LIST).content
    assert b"<script>alert(1)</script>" not in body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body
    hostile = Subscriber.objects.get(status="bounced")
    for url in (f"{LIST}edit/{hostile.pk}/", f"{LIST}inspect/{hostile.pk}/"):
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert b"<script>alert(1)</script>" not in response.content


def test_subscribers_cannot_be_added_in_the_admin(editor_client: Client) -> None:
    # Every subscriber comes through the signup service (validation, consent, confirmation).
    assert editor_client.get(f"{LIST}add/").status_code in (302, 403)
    assert not Subscriber.objects.exists()


def test_anonymous_visitors_see_nothing(client: Client, subscribers: Any) -> None:
    response = client.get(LIST)
    assert response.status_code == 302
    assert b"ann@example.org" not in response.content


def test_the_inspect_page_shows_the_owed_email_and_the_consent_history(
    editor_client: Client, settings: Any
) -> None:
    from newsdesk.newsletter.subscriptions.services import subscriber_signup

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # refused: the email stays owed
    subscriber_signup(
        email="ann@example.org", ip="203.0.113.5", consent_text="<b>Send me</b> the news."
    )
    ann = Subscriber.objects.get()
    body = editor_client.get(f"{LIST}inspect/{ann.pk}/").content.decode()
    assert "Owed: Confirmation email" in body and "after 1 failed try" in body
    assert "Last failure: ConnectionRefusedError" in body
    assert "Asked to subscribe" in body and "203.0.113.5" in body
    assert "&lt;b&gt;Send me&lt;/b&gt; the news." in body


@pytest.mark.parametrize("status", ["bounced", "complained", "unsubscribed"])
def test_the_admin_cannot_set_a_status(editor_client: Client, status: str) -> None:
    """A review found the status an editable field: a bounced address could be set back to
    confirmed with no rule and no consent record."""
    reader = Subscriber.objects.create(
        email="ann@example.org", email_key="ann@example.org", status=status
    )
    response = editor_client.post(
        f"{LIST}edit/{reader.pk}/",
        {"status": "confirmed", "frequency": "weekly", "paused": ""},
    )
    assert response.status_code in (200, 302)
    reader.refresh_from_db()
    assert reader.status == status  # the field is not in the form at all
    assert reader.frequency == "weekly"
    assert 'name="status"' not in editor_client.get(f"{LIST}edit/{reader.pk}/").content.decode()


def test_the_admin_unsubscribes_through_the_service(editor_client: Client) -> None:
    reader = Subscriber.objects.create(
        email="ann@example.org", email_key="ann@example.org", status="confirmed"
    )
    inspect = editor_client.get(f"{LIST}inspect/{reader.pk}/").content.decode()
    assert "Unsubscribe this reader" in inspect
    url = f"/admin/newsletter/subscribers/{reader.pk}/unsubscribe/"
    assert editor_client.get(url).status_code == 405  # only a POST acts
    assert editor_client.post(url).status_code == 302
    reader.refresh_from_db()
    assert reader.status == "unsubscribed" and reader.unsubscribed_at is not None
    assert list(reader.consents.values_list("action", "method")) == [("unsub", "admin")]
    # Nothing to offer once unsubscribed; re-subscribing is the reader's own to confirm.
    assert (
        "Unsubscribe this reader"
        not in editor_client.get(f"{LIST}inspect/{reader.pk}/").content.decode()
    )


def test_unsubscribing_needs_the_change_permission(client: Client) -> None:
    from django.contrib.auth.models import Permission

    reader = Subscriber.objects.create(
        email="ann@example.org", email_key="ann@example.org", status="confirmed"
    )
    viewer = User.objects.create_user("viewer", "viewer@example.org", "pw")
    viewer.user_permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(codename="view_subscriber"),
    )
    client.force_login(viewer)
    response = client.post(f"/admin/newsletter/subscribers/{reader.pk}/unsubscribe/")
    # Wagtail turns the refusal into a redirect to the dashboard with a "no permission" message.
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/")
    reader.refresh_from_db()
    assert reader.status == "confirmed"


def test_the_admin_calls_no_third_party(editor_client: Client, settings: Any) -> None:
    """No Gravatar pictures (a hash of each editor's address to gravatar.com) and no check for
    Wagtail releases: the admin must not tell others who works in the newsroom."""
    assert "gravatar.com" not in editor_client.get("/admin/").content.decode()
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False  # Wagtail's own switch for the check
    # What Wagtail's default would have sent.
    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = "//www.gravatar.com/avatar"
    assert "gravatar.com/avatar/" in editor_client.get("/admin/").content.decode()
