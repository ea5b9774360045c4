"""Bounce and complaint webhooks: real ESP payloads posted to the mounted anymail URLs.

Payloads follow the providers' documented formats (Postmark's bounce and spam-complaint
webhooks; Mailjet's event API, batched or single), which anymail parses into tracking events.
"""

from __future__ import annotations

import base64
import itertools
import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from newsdesk.newsletter.models import BounceEvent, Delivery, Digest, Subscriber

pytestmark = pytest.mark.django_db

POSTMARK = "/webhooks/anymail/postmark/tracking/"
MAILJET = "/webhooks/anymail/mailjet/tracking/"
SECRET = "esp-hook:correct-horse-battery"
_ids = itertools.count(1000)


@pytest.fixture(autouse=True)
def webhook_secret(settings: Any) -> None:
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


def auth(credentials: str = SECRET) -> dict[str, str]:
    token = base64.b64encode(credentials.encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def post(client: Client, url: str, payload: Any, **extra: Any) -> Any:
    body = payload if isinstance(payload, bytes) else json.dumps(payload)
    headers = extra.pop("headers", auth())
    return client.post(url, body, content_type="application/json", **headers, **extra)


def confirmed(address: str) -> Subscriber:
    return Subscriber.objects.create(
        email=address, email_key=address.casefold(), status=Subscriber.Status.CONFIRMED
    )


def delivery_for(subscriber: Subscriber, day: date = date(2025, 3, 3)) -> Delivery:
    digest, _ = Digest.objects.get_or_create(edition="daily", date=day)
    return Delivery.objects.create(digest=digest, subscriber=subscriber, status="sent")


def iso(moment: datetime) -> str:
    return moment.isoformat()


def postmark_bounce(
    address: str,
    *,
    bounce_type: str = "HardBounce",
    at: datetime | None = None,
    bounce_id: int | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Postmark's bounce webhook body, as its documentation shows it."""
    return {
        "RecordType": "Bounce",
        "ID": bounce_id if bounce_id is not None else next(_ids),
        "Type": bounce_type,
        "TypeCode": {"HardBounce": 1, "Transient": 2, "SoftBounce": 4096}.get(bounce_type, 1),
        "Name": "Hard bounce" if bounce_type == "HardBounce" else "Soft bounce",
        "Tag": "digest",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": address,
        "From": "news@example.org",
        "BouncedAt": iso(at or timezone.now()),
        "DumpAvailable": True,
        "Inactive": bounce_type == "HardBounce",
        "CanActivate": True,
        "Subject": "Your daily digest",
        "Metadata": metadata or {},
    }


def postmark_complaint(address: str) -> dict[str, Any]:
    return {
        **postmark_bounce(address),
        "RecordType": "SpamComplaint",
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
    }


def mailjet_bounce(address: str, *, hard: bool, at: datetime, error: str) -> dict[str, Any]:
    """Mailjet's "bounce" event (no event id of its own)."""
    return {
        "event": "bounce",
        "time": int(at.timestamp()),
        "MessageID": 19421777396190490,
        "Message_GUID": "1ab23cd4-e567-8901-2345-6789f0gh1i2j",
        "email": address,
        "mj_campaign_id": 7173,
        "mj_contact_id": 320,
        "customcampaign": "digest",
        "CustomID": "",
        "Payload": "",
        "blocked": hard,
        "hard_bounce": hard,
        "error_related_to": "recipient",
        "error": error,
        "comment": "Host or domain name not found.",
    }


# --- Authentication and hostile requests ----------------------------------------------------------


def test_without_a_configured_secret_nothing_is_accepted(client: Client, settings: Any) -> None:
    settings.ANYMAIL = {}
    ann = confirmed("ann@example.org")
    for headers in ({}, auth(), auth(":")):
        response = post(client, POSTMARK, postmark_bounce(ann.email), headers=headers)
        assert response.status_code == 403
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED
    assert not BounceEvent.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("esp-hook:wrong"),
        auth("esp-hook:correct-horse-battery-staple"),
        {"HTTP_AUTHORIZATION": "Basic not-base64!"},
        {"HTTP_AUTHORIZATION": f"Bearer {SECRET}"},
    ],
)
def test_missing_or_wrong_basic_auth_is_refused(client: Client, headers: dict[str, str]) -> None:
    ann = confirmed("ann@example.org")
    response = post(client, POSTMARK, postmark_bounce(ann.email), headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED
    assert not BounceEvent.objects.exists()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        *(
            (url, body)
            for url in (POSTMARK, MAILJET)
            for body in (b"{not json", b"\xff\xfe\x00x", b"")
        ),
        (POSTMARK, b"[]"),  # (an empty list is a valid, empty Mailjet batch)
        (POSTMARK, b'"a string"'),
        (MAILJET, b'"a string"'),
        (MAILJET, b"[1, 2]"),
        (MAILJET, b'[{"event": "bounce", "time": "yesterday"}, {"no": "event"}]'),
    ],
)
def test_malformed_payloads_are_bad_requests(client: Client, url: str, body: bytes) -> None:
    confirmed("ann@example.org")
    response = post(client, url, body)
    assert response.status_code == 400
    assert not BounceEvent.objects.exists()


def test_oversized_bodies_are_refused_before_reading(client: Client, settings: Any) -> None:
    settings.NEWSDESK_WEBHOOK_MAX_BYTES = 10_000
    ann = confirmed("ann@example.org")
    payload = postmark_bounce(ann.email)
    payload["Content"] = "x" * 20_000  # Postmark can include the full bounce message
    assert post(client, POSTMARK, payload).status_code == 413
    assert not BounceEvent.objects.exists()


def test_get_is_not_allowed_and_changes_nothing(client: Client) -> None:
    confirmed("ann@example.org")
    assert client.get(POSTMARK, **auth()).status_code == 405
    assert not BounceEvent.objects.exists()


# --- Hard bounces and complaints ------------------------------------------------------------------


def test_a_hard_bounce_suppresses_at_once_and_links_the_delivery(client: Client) -> None:
    ann = confirmed("ann@example.org")
    delivery = delivery_for(ann)
    payload = postmark_bounce("ANN@Example.org", metadata={"delivery": str(delivery.pk)})
    response = post(client, POSTMARK, payload)
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.BOUNCED
    event = BounceEvent.objects.get()
    assert event.subscriber == ann
    assert event.kind == BounceEvent.Kind.HARD
    assert event.delivery == delivery
    assert event.event_id == f"postmark:{payload['ID']}"
    assert "550 5.1.1" in event.description


def test_a_spam_complaint_suppresses_at_once(client: Client) -> None:
    bob = confirmed("bob@example.org")
    assert post(client, POSTMARK, postmark_complaint(bob.email)).status_code == 200
    bob.refresh_from_db()
    assert bob.status == Subscriber.Status.COMPLAINED
    assert BounceEvent.objects.get().kind == BounceEvent.Kind.COMPLAINT


def test_a_complaint_is_not_downgraded_by_a_later_bounce(client: Client) -> None:
    bob = confirmed("bob@example.org")
    post(client, POSTMARK, postmark_complaint(bob.email))
    post(client, POSTMARK, postmark_bounce(bob.email))
    bob.refresh_from_db()
    assert bob.status == Subscriber.Status.COMPLAINED
    assert BounceEvent.objects.count() == 2


def test_an_unsubscribed_reader_who_bounces_is_suppressed(client: Client) -> None:
    cleo = confirmed("cleo@example.org")
    Subscriber.objects.filter(pk=cleo.pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    post(client, POSTMARK, postmark_bounce(cleo.email))
    cleo.refresh_from_db()
    assert cleo.status == Subscriber.Status.BOUNCED


def test_a_delivery_of_another_subscriber_is_not_linked(client: Client) -> None:
    ann, bob = confirmed("ann@example.org"), confirmed("bob@example.org")
    bobs = delivery_for(bob)
    payload = postmark_bounce(ann.email, metadata={"delivery": str(bobs.pk)})
    post(client, POSTMARK, payload)
    assert BounceEvent.objects.get().delivery is None
    post(client, POSTMARK, postmark_bounce(bob.email, metadata={"delivery": "not-a-number"}))
    assert BounceEvent.objects.get(subscriber=bob).delivery is None


def test_unknown_recipients_are_ignored_with_200(client: Client) -> None:
    confirmed("ann@example.org")
    for address in ("nobody@example.org", "not an address", ""):
        response = post(client, POSTMARK, postmark_bounce(address))
        assert response.status_code == 200
    assert not BounceEvent.objects.exists()
    assert Subscriber.objects.get().status == Subscriber.Status.CONFIRMED


def test_other_events_are_ignored(client: Client) -> None:
    ann = confirmed("ann@example.org")
    delivered = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": ann.email,
        "Tag": "digest",
        "DeliveredAt": iso(timezone.now()),
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }
    assert post(client, POSTMARK, delivered).status_code == 200
    assert not BounceEvent.objects.exists()


# --- Retries --------------------------------------------------------------------------------------


def test_a_retried_event_counts_once(client: Client) -> None:
    ann = confirmed("ann@example.org")
    payload = postmark_bounce(ann.email, bounce_type="SoftBounce", bounce_id=4242)
    for _ in range(3):
        assert post(client, POSTMARK, payload).status_code == 200
    assert BounceEvent.objects.count() == 1
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_events_without_an_esp_id_get_a_stable_derived_one(client: Client) -> None:
    # Mailjet sends no event id: a retry of the same batch must still count once.
    ann = confirmed("ann@example.org")
    now = timezone.now()
    batch = [
        mailjet_bounce(ann.email, hard=False, at=now - timedelta(days=2), error="quota exceeded"),
        mailjet_bounce(ann.email, hard=False, at=now - timedelta(days=1), error="quota exceeded"),
    ]
    for _ in range(2):
        assert post(client, MAILJET, batch).status_code == 200
    # The ESP may also regroup a retry: the single event alone is still the same event.
    assert post(client, MAILJET, batch[0]).status_code == 200
    events = list(BounceEvent.objects.all())
    assert len(events) == 2
    assert all(e.event_id.startswith("mailjet:sha256:") for e in events)
    assert all(e.kind == BounceEvent.Kind.SOFT for e in events)
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_a_mailjet_hard_bounce_in_a_batch_suppresses(client: Client) -> None:
    ann, bob = confirmed("ann@example.org"), confirmed("bob@example.org")
    now = timezone.now()
    batch = [
        mailjet_bounce(ann.email, hard=True, at=now, error="user unknown"),
        mailjet_bounce(bob.email, hard=False, at=now, error="greylisted"),
    ]
    assert post(client, MAILJET, batch).status_code == 200
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert ann.status == Subscriber.Status.BOUNCED
    assert bob.status == Subscriber.Status.CONFIRMED
    assert BounceEvent.objects.get(subscriber=bob).kind == BounceEvent.Kind.SOFT


# --- Soft bounces ---------------------------------------------------------------------------------


def test_three_soft_bounces_within_30_days_suppress(client: Client) -> None:
    ann = confirmed("ann@example.org")
    now = timezone.now()
    for days_ago, bounce_type in ((25, "SoftBounce"), (12, "Transient"), (1, "SoftBounce")):
        payload = postmark_bounce(ann.email, bounce_type=bounce_type, at=now - timedelta(days_ago))
        post(client, POSTMARK, payload)
        ann.refresh_from_db()
        expected = Subscriber.Status.BOUNCED if days_ago == 1 else Subscriber.Status.CONFIRMED
        assert ann.status == expected
    assert BounceEvent.objects.filter(kind=BounceEvent.Kind.SOFT).count() == 3


def test_three_soft_bounces_spread_over_60_days_do_not(client: Client) -> None:
    ann = confirmed("ann@example.org")
    now = timezone.now()
    for days_ago in (60, 31, 0):
        post(
            client,
            POSTMARK,
            postmark_bounce(ann.email, bounce_type="SoftBounce", at=now - timedelta(days_ago)),
        )
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED
    assert BounceEvent.objects.count() == 3


def test_a_late_arriving_soft_bounce_closes_the_window(client: Client) -> None:
    # Days 20 and 0 arrive first, day 10 last: all three lie within 30 days.
    ann = confirmed("ann@example.org")
    now = timezone.now()
    for days_ago in (20, 0, 10):
        post(
            client,
            POSTMARK,
            postmark_bounce(ann.email, bounce_type="SoftBounce", at=now - timedelta(days_ago)),
        )
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.BOUNCED


def test_repeated_deferrals_of_one_message_count_once(client: Client) -> None:
    # An ESP reports a "deferred" for each retry of the same message (greylisting): one digest
    # deferred three times in an hour is one soft bounce, not three.
    ann = confirmed("ann@example.org")
    delivery = delivery_for(ann)
    now = timezone.now()
    for minutes in (50, 30, 5):
        payload = postmark_bounce(
            ann.email,
            bounce_type="Transient",
            at=now - timedelta(minutes=minutes),
            metadata={"delivery": str(delivery.pk)},
        )
        post(client, POSTMARK, payload)
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED
    assert BounceEvent.objects.count() == 3
    # Two more digests that soft-bounce make three failed messages.
    for day in (date(2025, 3, 4), date(2025, 3, 5)):
        payload = postmark_bounce(
            ann.email,
            bounce_type="SoftBounce",
            metadata={"delivery": str(delivery_for(ann, day).pk)},
        )
        post(client, POSTMARK, payload)
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.BOUNCED


def test_a_bounce_with_a_temporary_smtp_reply_counts_as_soft(client: Client) -> None:
    ann = confirmed("ann@example.org")
    # "Blocked" is a policy refusal (REJECTED/blocked in anymail): no verdict on the address.
    post(client, POSTMARK, postmark_bounce(ann.email, bounce_type="Blocked"))
    assert not BounceEvent.objects.exists()
    payload = postmark_bounce(ann.email, bounce_type="HardBounce")
    payload["Details"] = "452 4.2.2 The email account that you tried to reach is over quota."
    post(client, POSTMARK, payload)
    assert BounceEvent.objects.get().kind == BounceEvent.Kind.SOFT
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.CONFIRMED


def test_a_future_timestamp_is_clamped_to_now(client: Client) -> None:
    ann = confirmed("ann@example.org")
    later = timezone.now() + timedelta(days=400)
    post(client, POSTMARK, postmark_bounce(ann.email, bounce_type="SoftBounce", at=later))
    assert BounceEvent.objects.get().occurred_at <= timezone.now()


def test_an_unsubscribe_through_the_esp_unsubscribes(client: Client) -> None:
    ann = confirmed("ann@example.org")
    unsub = {
        "event": "unsub",
        "time": int(timezone.now().timestamp()),
        "MessageID": 20547674933128000,
        "email": ann.email,
        "mj_campaign_id": 7276,
        "mj_contact_id": 126,
        "customcampaign": "digest",
        "mj_list_id": 1,
        "ip": "127.0.0.1",
        "geo": "FR",
        "agent": "Mozilla/5.0",
    }
    assert post(client, MAILJET, unsub).status_code == 200
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.UNSUBSCRIBED
    assert not BounceEvent.objects.exists()


def test_the_admin_inspect_page_lists_bounce_events_escaped(client: Client) -> None:
    from django.contrib.auth.models import User

    ann = confirmed("ann@example.org")
    delivery = delivery_for(ann)
    payload = postmark_bounce(ann.email, metadata={"delivery": str(delivery.pk)})
    payload["Details"] = "550 <script>alert(1)</script> no such user"
    post(client, POSTMARK, payload)
    client.force_login(User.objects.create_superuser("boss", "boss@example.org", "pw"))
    page = client.get(f"/admin/snippets/newsletter/subscriber/inspect/{ann.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Bounces and complaints" in body and "Hard bounce" in body
    assert str(delivery.digest) in body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_webhooks_need_no_csrf_token() -> None:
    # ESPs post without cookies or tokens: basic auth is what authorises them.
    ann = confirmed("ann@example.org")
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, POSTMARK, postmark_bounce(ann.email)).status_code == 200
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.BOUNCED
