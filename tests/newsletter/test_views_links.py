"""The pages behind email links: confirm, preferences, unsubscribe. GET shows, POST acts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from newsdesk.news.models import HomePage, Topic
from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.tokens import token_make
from tests.helpers import article_create, parse_html
from tests.newsletter.conftest import Mailbox

pytestmark = pytest.mark.django_db
ACTIONS = ["confirm", "preferences", "unsubscribe"]


@pytest.fixture(autouse=True)
def _site(home: Any) -> None:
    """A publication, so the pages render as readers see them."""


@pytest.fixture
def ann() -> Subscriber:
    return Subscriber.objects.create(email="ann@example.org", email_key="ann@example.org")


def _url(subscriber: Subscriber, purpose: str, token_purpose: str | None = None) -> str:
    token = token_make(subscriber=subscriber, purpose=token_purpose or purpose)  # type: ignore[arg-type]
    return f"/newsletter/{purpose}/{token}/"


def _state(subscriber: Subscriber) -> tuple[Any, ...]:
    subscriber.refresh_from_db()
    return (subscriber.status, subscriber.frequency, subscriber.paused, subscriber.updated_at)


@pytest.mark.parametrize("purpose", ACTIONS)
def test_get_and_head_change_nothing(
    client: Client, mailbox: Mailbox, ann: Subscriber, purpose: str
) -> None:
    before = _state(ann)
    url = _url(ann, purpose)
    response = client.get(url)
    assert response.status_code == 200
    assert client.head(url).status_code == 200
    assert client.get(url, {"List-Unsubscribe": "One-Click", "unsubscribe": "1"}).status_code == 200
    assert _state(ann) == before
    assert mailbox.received == []
    # The page offers a button that POSTs back to the same URL.
    form = parse_html(response.content).find("main").find("form")
    assert form.attrs["method"] == "post" and form.attrs.get("action", "") == ""
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("purpose", ACTIONS)
@pytest.mark.parametrize("other", ACTIONS)
def test_a_token_for_another_purpose_is_refused(
    client: Client, ann: Subscriber, purpose: str, other: str
) -> None:
    if purpose == other:
        return
    before = _state(ann)
    url = _url(ann, purpose, token_purpose=other)
    for response in (client.get(url), client.post(url, {"unsubscribe": "1"})):
        assert response.status_code == 400
        assert "This link does not work" in parse_html(response.content).find("h1").clean_text
    assert _state(ann) == before


@pytest.mark.parametrize("token", ["x", "abc:def", "e30:1sX:" + "A" * 43, "A" * 201])
@pytest.mark.parametrize("purpose", ACTIONS)
def test_invalid_tokens(client: Client, ann: Subscriber, token: str, purpose: str) -> None:
    response = client.post(f"/newsletter/{purpose}/{token}/")
    assert response.status_code in (400, 404)  # 404: not even shaped like a token
    assert _state(ann)[0] == "pending"


def test_post_confirms(client: Client, mailbox: Mailbox, ann: Subscriber) -> None:
    response = client.post(_url(ann, "confirm"))
    assert response.status_code == 200
    assert "You are subscribed" in parse_html(response.content).find("h1").clean_text
    assert _state(ann)[0] == "confirmed"


def test_confirm_link_of_another_subscriber_does_not_confirm_me(
    client: Client, mailbox: Mailbox, ann: Subscriber
) -> None:
    bob = Subscriber.objects.create(email="bob@example.org", email_key="bob@example.org")
    client.post(_url(bob, "confirm"))
    assert (_state(ann)[0], _state(bob)[0]) == ("pending", "confirmed")


def test_one_click_unsubscribe_rfc_8058(ann: Subscriber) -> None:
    """A mail client's POST: no cookies, no CSRF token, form-encoded one-click body."""
    Subscriber.objects.filter(pk=ann.pk).update(status="confirmed")
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        _url(ann, "unsubscribe"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200  # never a redirect
    assert "You are unsubscribed" in parse_html(response.content).find("h1").clean_text
    assert _state(ann)[0] == "unsubscribed"
    again = mail_client.post(
        _url(ann, "unsubscribe"),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert again.status_code == 200


def test_csrf_still_protects_confirm_and_preferences(ann: Subscriber) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(_url(ann, "confirm")).status_code == 403
    assert strict.post(_url(ann, "preferences"), {"unsubscribe": "1"}).status_code == 403
    assert _state(ann)[0] == "pending"


def test_preferences_post_changes_frequency_topics_and_pause(
    client: Client, ann: Subscriber
) -> None:
    council = Topic.objects.create(name="Council <b>& Co</b>", slug="council")
    # Only topics with a published article are offered (tests/newsletter/test_preferences_topics).
    article_create(HomePage.objects.get(), topics=(council.name, "Sport"))
    url = _url(ann, "preferences")
    page = client.get(url)
    assert b"Council &lt;b&gt;&amp; Co&lt;/b&gt;" in page.content
    response = client.post(
        url, {"frequency": "weekly", "topics": [str(council.pk)], "paused": "on", "save": "1"}
    )
    assert response.status_code == 200
    assert "Your preferences are saved." in parse_html(response.content).find("main").clean_text
    ann.refresh_from_db()
    assert (ann.frequency, ann.paused, list(ann.topics.all())) == ("weekly", True, [council])


@pytest.mark.parametrize(
    "data",
    [
        {"frequency": "hourly"},
        {},
        {"frequency": "daily", "topics": ["999999"]},
        {"frequency": "daily", "topics": ["x"]},
    ],
)
def test_preferences_bad_input_changes_nothing(
    client: Client, ann: Subscriber, data: dict[str, Any]
) -> None:
    before = _state(ann)
    response = client.post(_url(ann, "preferences"), data)
    assert response.status_code == 400
    assert "Please check the choices below." in parse_html(response.content).find("main").clean_text
    assert _state(ann) == before


def test_preferences_oversized_field(client: Client, ann: Subscriber) -> None:
    before = _state(ann)
    response = client.post(_url(ann, "preferences"), {"frequency": "w" * 5000})
    assert response.status_code == 400
    assert "The form could not be read" in parse_html(response.content).find("h1").clean_text
    assert _state(ann) == before


def test_preferences_unsubscribe_button(client: Client, ann: Subscriber) -> None:
    response = client.post(_url(ann, "preferences"), {"unsubscribe": "1"})
    assert response.status_code == 200
    assert _state(ann)[0] == "unsubscribed"
    page = parse_html(client.get(_url(ann, "preferences")).content).find("main")
    assert "You are unsubscribed" in page.clean_text
    assert not page.find_all("form")


def test_addresses_are_escaped(client: Client) -> None:
    hostile = '"<script>alert(1)</script>"@example.org'
    sub = Subscriber.objects.create(email=hostile, email_key=hostile)
    for purpose in ACTIONS:
        body = client.get(_url(sub, purpose)).content
        assert b"<script>alert(1)" not in body
        assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in body
