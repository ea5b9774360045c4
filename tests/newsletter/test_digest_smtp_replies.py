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
from newsdesk.newsletter.delivery.sender import MAX_ATTEMPTS, digest_send
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, Subscriber
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


def test_a_deferred_reader_waits_for_a_later_run(server: ScriptedServer, digest: Digest) -> None:
    reader("slow@example.org")
    server.scripts["slow@example.org"] = ["452 4.2.2 Over quota"] * MAX_ATTEMPTS
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.deferred == 1 and report.sent == 0
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now()
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING  # the worker will try again
    # A round before its time leaves it alone; the first round after it sends.
    assert digest_send(digest, connections=1, sleep=lambda _: None).sent == 0
    Delivery.objects.update(next_attempt_at=timezone.now())
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.sent == 1
    assert server.accepted["slow@example.org"] == 1
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_a_reader_deferred_past_the_retry_hours_fails_and_the_edition_finishes(
    server: ScriptedServer, digest: Digest, settings: Any
) -> None:
    """A review found an edition with one permanently deferred address retried every 30 s
    forever, never finishing."""
    reader("ok@example.org")
    reader("stuck@example.org")
    server.scripts["stuck@example.org"] = ["452 4.2.2 Over quota"] * (MAX_ATTEMPTS * 3)
    digest_send(digest, connections=1, sleep=lambda _: None)
    Digest.objects.filter(pk=digest.pk).update(
        frozen_at=timezone.now() - dt.timedelta(hours=settings.NEWSDESK_DIGEST_RETRY_HOURS)
    )
    Delivery.objects.update(next_attempt_at=None)
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.failed == 1
    stuck = Delivery.objects.get(subscriber__email="stuck@example.org")
    assert stuck.status == Delivery.Status.FAILED
    assert stuck.error == "gave up after 6 deferrals: 452 4.2.2 Over quota"
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT


def test_a_server_that_is_down_stops_the_run_at_once_and_says_why(
    digest: Digest, settings: Any
) -> None:
    """With the server down, every reader used to get about 15 s of back-off: 10,000 readers
    on 4 connections kept the worker busy for hours."""
    use_smtp_server(settings, free_port())  # nobody listens there
    for number in range(200):
        reader(f"reader{number}@example.org")
    pauses: list[float] = []
    report = digest_send(digest, connections=4, sleep=pauses.append)
    assert report.sent == 0 and report.failed == 0
    assert report.stopped.startswith("the mail system failed 5 times in a row: connection:")
    # A handful of tries, not one per reader.
    assert len(pauses) < 20 and sum(pauses) < 10
    assert set(Delivery.objects.values_list("status", "attempts")) == {("pending", 0)}
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING
    assert digest.send_problem == report.stopped and digest.send_problem_at is not None


def test_the_next_round_after_an_outage_sends_and_clears_the_problem(
    server: ScriptedServer, digest: Digest, settings: Any
) -> None:
    port = settings.EMAIL_PORT
    reader("ann@example.org")
    settings.EMAIL_PORT = free_port()
    digest_send(digest, connections=1, sleep=lambda _: None)
    digest.refresh_from_db()
    assert digest.send_problem
    settings.EMAIL_PORT = port
    assert digest_send(digest, connections=1, sleep=lambda _: None).sent == 1
    digest.refresh_from_db()
    assert (digest.status, digest.send_problem) == (Digest.Status.SENT, "")


def test_a_refused_sender_address_stops_the_run_instead_of_failing_every_reader(
    server: ScriptedServer, digest: Digest, settings: Any
) -> None:
    class RefusesSender(ScriptedServer):
        async def handle_MAIL(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            return "553 5.7.1 Sender address rejected: not owned by user"

    with smtp_server_running(RefusesSender()) as port:
        settings.EMAIL_PORT = port
        for number in range(20):
            reader(f"reader{number}@example.org")
        report = digest_send(digest, connections=2, sleep=lambda _: None)
    assert report.failed == 0 and "553 5.7.1 Sender address rejected" in report.stopped
    assert not Delivery.objects.exclude(status=Delivery.Status.PENDING).exists()


def test_every_message_refused_alike_is_the_setups_fault_and_nobody_is_failed(
    digest: Digest, settings: Any
) -> None:
    """A relay that denies relaying (a setup mistake) answered 550 for every reader: each was
    marked failed for good and the edition never reached anyone, even after the fix."""

    class DeniesRelaying(ScriptedServer):
        async def handle_RCPT(
            self, server: Any, session: Any, envelope: Any, address: str, options: Any
        ) -> str:
            return f"550 5.7.1 <{address}>: Relay access denied"

    with smtp_server_running(DeniesRelaying()) as port:
        use_smtp_server(settings, port)
        for number in range(30):
            reader(f"reader{number}@example.org")
        report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert report.failed == 0 and "Relay access denied" in report.stopped
    assert "all refused alike" in report.stopped
    assert not Delivery.objects.exclude(status=Delivery.Status.PENDING).exists()
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENDING and digest.send_problem


def test_dead_addresses_after_a_delivery_fail_one_by_one(
    server: ScriptedServer, digest: Digest
) -> None:
    reader("alive@example.org")
    for number in range(25):
        address = f"gone{number}@example.org"
        reader(address)
        server.scripts[address] = ["550 5.1.1 No such user"]
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert (report.sent, report.failed, report.stopped) == (1, 25, "")
