"""How the sender reads an ESP's API answers (through anymail): a refused recipient fails that
delivery for good, a refused API key or an ESP that is down stops the run.

A fake Postmark API on loopback answers as Postmark documents it; anymail's real Postmark
backend talks to it over HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.delivery.sender import digest_send
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, Subscriber

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

INACTIVE = "inactive@example.org"


class FakePostmark(BaseHTTPRequestHandler):
    mode = "normal"  # or "bad-token", "down"
    received: list[str] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        to = body["To"]
        if self.mode == "bad-token":
            self._answer(401, {"ErrorCode": 10, "Message": "Bad or missing API token"})
        elif self.mode == "down":
            self._answer(503, {"ErrorCode": 100, "Message": "Service unavailable"})
        elif INACTIVE in to:
            self._answer(
                422,
                {
                    "ErrorCode": 406,
                    # Postmark's wording, which anymail reads the refused addresses from.
                    "Message": "You tried to send to a recipient that has been marked as "
                    "inactive.\n Found inactive addresses: inactive@example.org.\n Inactive "
                    "recipients are ones that have generated a hard bounce or a spam complaint.",
                },
            )
        else:
            type(self).received.append(to)
            self._answer(
                200,
                {
                    "To": to,
                    "SubmittedAt": "2026-12-03T10:00:00Z",
                    "MessageID": "m-1",
                    "ErrorCode": 0,
                    "Message": "OK",
                },
            )

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def postmark(settings: Any) -> Iterator[type[FakePostmark]]:
    FakePostmark.mode = "normal"
    FakePostmark.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePostmark)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "anymail.backends.postmark.EmailBackend"
    settings.ANYMAIL = {
        "POSTMARK_SERVER_TOKEN": "test-token",
        "POSTMARK_API_URL": f"http://127.0.0.1:{server.server_port}/",
    }
    try:
        yield FakePostmark
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def digest(make_article: Callable[..., ArticlePage], settings: Any) -> Digest:
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    make_article("Pier reopens after storm")
    return digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=soon.date()))


def _readers(*addresses: str) -> None:
    for address in addresses:
        Subscriber.objects.create(email=address, email_key=address, status="confirmed")


def test_a_recipient_the_esp_refuses_fails_for_good(
    postmark: type[FakePostmark], digest: Digest
) -> None:
    _readers("ann@example.org", INACTIVE)
    report = digest_send(digest, connections=1, sleep=lambda _: None)
    assert (report.sent, report.failed, report.deferred) == (1, 1, 0)
    refused = Delivery.objects.get(subscriber__email=INACTIVE)
    assert refused.status == Delivery.Status.FAILED
    assert refused.error.startswith("AnymailRecipientsRefused")
    digest.refresh_from_db()
    assert digest.status == Digest.Status.SENT
    assert postmark.received == ["ann@example.org"]


@pytest.mark.parametrize(("mode", "status"), [("bad-token", "401"), ("down", "503")])
def test_a_refused_key_or_an_esp_that_is_down_stops_the_run(
    postmark: type[FakePostmark], digest: Digest, mode: str, status: str
) -> None:
    postmark.mode = mode
    _readers(*(f"reader{n}@example.org" for n in range(30)))
    report = digest_send(digest, connections=2, sleep=lambda _: None)
    assert report.sent == report.failed == 0
    assert status in report.stopped
    assert not Delivery.objects.exclude(status=Delivery.Status.PENDING).exists()
    postmark.mode = "normal"
    assert digest_send(digest, connections=2, sleep=lambda _: None).sent == 30
