"""How the sender reads the server's replies: 250 sent, 4xx back off and retry, 5xx failed."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.digests import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, Subscriber
from newsdesk.newsletter.sender import MAX_ATTEMPTS, digest_send
from tests.newsletter.conftest import free_port, smtp_server_running, use_smtp_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


class ScriptedServer:
    """Answers RCPT for chosen addresses with scripted replies, then accepts as usual."""

    def __init__(self) -> None:
        self.scripts: dict[str, list[str]] = {}
        self.accepted: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            script = self.scripts.get(address)
            if script:
                return script.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            for address in envelope.rcpt_tos:
                self.accepted[address] += 1
        return "250 Accepted"


@pytest.fixture
def server(settings: Any) -> Iterator[ScriptedServer]:
    handler = ScriptedServer()
    with smtp_server_running(handler) as port:
        use_smtp_server(settings, port)
        yield handler


@pytest.fixture
def digest(make_article: Callable[..., ArticlePage], settings: Any) -> Digest:
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    make_article("Pier reopens after storm")
    return digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=soon.date()))


def reader(address: str) -> Subscriber:
    return Subscriber.objects.create(
        email=address, email_key=address, status=Subscriber.Status.CONFIRMED
    )


def test_temporary_refusals_are_retried_with_growing_pauses(
    server: ScriptedServer, digest: Digest
) -> None:
    reader("busy@example.org")
    server.scripts["busy@example.org"] = ["451 4.7.1 Greylisted", "450 4.2.1 Mailbox busy"]
    pauses: list[float] = []
    report = digest_send(digest, connections=1, sleep=pauses.append)
    assert server.accepted["busy@example.org"] == 1
    assert report.sent == 1 and report.deferred == 0
    assert pauses == [0.5, 1.0]
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.SENT and delivery.attempts == 3


def test_a_421_drops_the_connection_and_the_next_one_delivers(
    server: ScriptedServer, digest: Digest
) -> None:
    reader("ann@example.org")
    server.scripts["ann@example.org"] = ["421 4.3.2 Too many connections, closing"]
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.sent == 1
    assert server.accepted["ann@example.org"] == 1


def test_permanent_refusals_fail_without_retrying(server: ScriptedServer, digest: Digest) -> None:
    reader("gone@example.org")
    reader("ok@example.org")
    server.scripts["gone@example.org"] = ["550 5.1.1 No such user"]
    report = digest_send(digest, connections=2, sleep=lambda _: None)
    assert (report.sent, report.failed) == (1, 1)
    failed = Delivery.objects.get(subscriber__email="gone@example.org")
    assert failed.status == Delivery.Status.FAILED
    assert failed.error == "550 5.1.1 No such user"
    digest.refresh_from_db()
    # A permanent failure is an outcome: the edition is finished.
    assert digest.status == Digest.Status.SENT


def test_endless_deferral_leaves_the_reader_pending_for_the_next_run(
    server: ScriptedServer, digest: Digest
) -> None:
    reader("slow@example.org")
    server.scripts["slow@example.org"] = ["452 4.2.2 Over quota"] * MAX_ATTEMPTS
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.deferred == 1 and report.sent == 0
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING  # the worker will try again
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.sent == 1
    assert server.accepted["slow@example.org"] == 1
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_a_server_that_is_down_defers_everyone(digest: Digest, settings: Any) -> None:
    use_smtp_server(settings, free_port())  # nobody listens there
    reader("ann@example.org")
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.deferred == 1
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.error.startswith("connection:")
