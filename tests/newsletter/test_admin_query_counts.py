"""Convention 6 for the newsletter's admin and its sending: what a listing or a flush costs in
queries does not grow with the rows it shows or sends.

Each listing is measured with N rows and with 3N. N and 3N stay under Wagtail's page size (20
rows), so every row is on the page measured: a query per row would show as 2N more queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from newsdesk.mail.outbox import OUTBOX_BACKEND, OutboxBackend
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import BounceEvent, Delivery, Digest, Subscriber
from newsdesk.newsletter.subscriptions import services, signup_emails

pytestmark = pytest.mark.django_db
N = 5
SUBSCRIBERS = "/admin/snippets/newsletter/subscriber/"
_serial = count(1)


@pytest.fixture
def editor_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("editor", "editor@example.org", "pw"))
    return client


def _queries(client: Client, url: str) -> int:
    """Queries of a repeat visit (the first fills Wagtail's and newsdesk's caches)."""
    assert client.get(url).status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


def _counts_for(rows: Callable[[int], None], measure: Callable[[], int]) -> tuple[int, int]:
    """Queries of ``measure`` with N rows added by ``rows``, then with 3N."""
    rows(N)
    small = measure()
    rows(2 * N)
    return small, measure()


def _subscribers(how_many: int, **fields: Any) -> list[Subscriber]:
    made = []
    for _ in range(how_many):
        address = f"reader{next(_serial)}@example.org"
        made.append(
            Subscriber.objects.create(
                email=address, email_key=address, status=Subscriber.Status.CONFIRMED, **fields
            )
        )
    return made


# --- Listings -------------------------------------------------------------------------------------


def test_subscriber_listing(editor_client: Client) -> None:
    small, large = _counts_for(_subscribers, lambda: _queries(editor_client, SUBSCRIBERS))
    assert len(editor_client.get(SUBSCRIBERS).context["object_list"]) == 3 * N  # one page
    assert small == large


def test_subscriber_search_and_filter(editor_client: Client) -> None:
    url = f"{SUBSCRIBERS}?q=reader&status=confirmed"
    small, large = _counts_for(_subscribers, lambda: _queries(editor_client, url))
    assert small == large


def test_subscriber_inspect_page_with_its_bounces(editor_client: Client) -> None:
    (reader,) = _subscribers(1)
    url = f"{SUBSCRIBERS}inspect/{reader.pk}/"
    digest = digest_ensure(edition=Digest.Edition.DAILY, date=timezone.localdate())
    delivery = Delivery.objects.create(digest=digest, subscriber=reader)

    def bounces(how_many: int) -> None:
        for _ in range(how_many):
            BounceEvent.objects.create(
                subscriber=reader,
                delivery=delivery,
                kind=BounceEvent.Kind.SOFT,
                event_id=f"event-{next(_serial)}",
                occurred_at=timezone.now(),
            )

    small, large = _counts_for(bounces, lambda: _queries(editor_client, url))
    assert small == large


def _digests(how_many: int) -> None:
    """Digests on days before today, each with deliveries of every status."""
    readers = _subscribers(3)
    start = Digest.objects.count()
    for offset in range(start, start + how_many):
        digest = digest_ensure(
            edition=Digest.Edition.DAILY, date=timezone.localdate() - dt.timedelta(days=offset + 1)
        )
        for reader, status in zip(
            readers,
            [Delivery.Status.SENT, Delivery.Status.FAILED, Delivery.Status.PENDING],
            strict=True,
        ):
            Delivery.objects.create(digest=digest, subscriber=reader, status=status)


def test_digest_listing(editor_client: Client) -> None:
    url = reverse("newsletter_digest:list")
    small, large = _counts_for(_digests, lambda: _queries(editor_client, url))
    assert len(editor_client.get(url).context["object_list"]) == 3 * N
    assert small == large


def test_digest_report_counts_deliveries_in_a_fixed_number_of_queries(
    editor_client: Client, make_article: Callable[..., Any], settings: Any
) -> None:
    soon = timezone.localtime() + dt.timedelta(minutes=5)  # as tests/newsletter/test_digest_admin
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    make_article("Lifeboat crew rescues two")
    digest = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=soon.date()))
    assert digest.status == Digest.Status.SENDING
    url = reverse("newsletter_digest:report", args=[digest.pk])

    def deliveries(how_many: int) -> None:
        for reader in _subscribers(how_many):
            Delivery.objects.create(digest=digest, subscriber=reader, status=Delivery.Status.SENT)

    # Here rows are not shown one by one, so grow them by more than a page.
    deliveries(10 * N)
    small = _queries(editor_client, url)
    deliveries(20 * N)
    assert _queries(editor_client, url) == small


@pytest.fixture
def outbox(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    yield tmp_path / "outbox"


def _mail(how_many: int) -> list[EmailMessage]:
    return [
        EmailMessage(f"Message {next(_serial)}", "Body", "news@localhost", ["ann@example.org"])
        for _ in range(how_many)
    ]


def test_outbox_listing(editor_client: Client, outbox: Path) -> None:
    """The outbox is files, not rows: listing more of them costs no query more."""
    backend = OutboxBackend(file_path=str(outbox))
    url = reverse("newsletter_outbox")

    def messages(how_many: int) -> None:
        backend.send_messages(_mail(how_many))

    small, large = _counts_for(messages, lambda: _queries(editor_client, url))
    assert len(list(outbox.glob("*.eml"))) == 3 * N
    assert small == large


# --- Sending --------------------------------------------------------------------------------------


def test_writing_to_the_outbox_costs_no_query(outbox: Path) -> None:
    """O(1), and the constant is zero: the outbox backend writes files and reads nothing."""
    backend = OutboxBackend(file_path=str(outbox))
    for how_many in (N, 3 * N):
        with CaptureQueriesContext(connection) as queries:
            assert backend.send_messages(_mail(how_many)) == how_many
        assert len(queries.captured_queries) == 0


def _owed(how_many: int) -> None:
    """Signups whose confirmation is owed and due, queued to a task backend that runs nothing
    (so they wait for the worker's sweep, as after a crash or a failed try)."""
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    with override_settings(TASKS=dummy):
        for _ in range(how_many):
            services.subscriber_signup(
                email=f"new{next(_serial)}@example.org", ip="203.0.113.9", consent_text="Yes"
            )
    Subscriber.objects.exclude(email_owed="").update(email_owed_at=timezone.now())


def _sweep_queries(how_many: int, settings: Any) -> int:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _owed(how_many)
    with CaptureQueriesContext(connection) as queries:
        assert signup_emails.owed_emails_send_due() == how_many
    assert not Subscriber.objects.exclude(email_owed="").exists()
    return len(queries.captured_queries)


def test_the_owed_email_sweep_costs_a_fixed_number_of_queries_per_email(settings: Any) -> None:
    """O(1) per email with a fixed constant, not O(1) per sweep: each email is claimed, read and
    settled on its own row (one conditional UPDATE, one SELECT, one UPDATE), so that two senders
    never send the same email and one that dies gives back only the email it held. One query
    more finds the due emails."""
    small = _sweep_queries(N, settings)
    large = _sweep_queries(3 * N, settings)
    per_email, remainder = divmod(large - small, 2 * N)
    assert remainder == 0
    assert small == 1 + per_email * N
    assert per_email == 3
