"""Editorial text never steers personalisation, and one bad message never stops an edition.

A review found that a headline such as ``Harbour NDSKPHbogusNDSKPH update`` (the shape of the
markers personalisation used) made every sending thread raise ``KeyError: 'bogus'``: nobody got
the edition, it stayed "sending" and ``newsdesk worker`` exited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from newsdesk.mail.mime import MARKER_PREFIX, marker
from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.delivery.sender import digest_send
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, Subscriber
from tests.newsletter.conftest import Mailbox

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HOSTILE = [
    "Harbour NDSKPHbogusNDSKPH update",
    # The old marker of a real value: it must stay text, not become the reader's address.
    "Ferry NDSKPHtoNDSKPH and NDSKPHunsubscribe_urlNDSKPH news",
]


@pytest.fixture(autouse=True)
def _send_time_soon(settings: Any) -> None:
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)


def _today_frozen() -> Digest:
    date = (timezone.localtime() + dt.timedelta(minutes=5)).date()
    return digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=date))


def _readers(count: int) -> list[Subscriber]:
    return [
        Subscriber.objects.create(
            email=f"reader{n}@example.org",
            email_key=f"reader{n}@example.org",
            status=Subscriber.Status.CONFIRMED,
        )
        for n in range(count)
    ]


def test_marker_lookalikes_in_headlines_reach_every_reader_as_text(
    mailbox: Mailbox, make_article: Callable[..., ArticlePage]
) -> None:
    for title in HOSTILE:
        make_article(title, dek=f"About {title}.")
    readers = _readers(5)

    report = digest_send(_today_frozen(), connections=2)

    assert (report.sent, report.failed) == (5, 0)
    assert Digest.objects.get().status == Digest.Status.SENT
    for subscriber in readers:
        (received,) = mailbox.to(subscriber.email)
        for title in HOSTILE:
            assert title in received.text()
            assert title in received.html()
        assert subscriber.email not in received.text().split("Ferry", 1)[1].split("news", 1)[0]


def test_a_marker_name_that_does_not_exist_is_refused_where_templates_are_written() -> None:
    with pytest.raises(ValueError, match="not a personal value"):
        marker("bogus")
    # The random part makes the markers of this process unguessable by editorial text.
    assert MARKER_PREFIX.startswith("NDSK") and len(MARKER_PREFIX) == 20


def test_one_unsendable_message_fails_alone_and_the_edition_finishes(
    mailbox: Mailbox, make_article: Callable[..., ArticlePage]
) -> None:
    make_article("Harbour wall repairs begin")
    readers = _readers(4)
    # A stored address with a line break (written past every validator, as a restore of a bad
    # backup might): building its message raises. Before the fix the thread died with it.
    broken = readers[2]
    Subscriber.objects.filter(pk=broken.pk).update(email="reader2@example.org\nBcc: x@y.org")

    report = digest_send(_today_frozen(), connections=1)

    assert (report.sent, report.failed) == (3, 1)
    digest = Digest.objects.get()
    assert digest.status == Digest.Status.SENT
    failed = Delivery.objects.get(subscriber=broken)
    assert failed.status == Delivery.Status.FAILED
    assert failed.error.startswith("internal error: ValueError")
    assert sorted(r for item in mailbox.received for r in item.rcpt_tos) == [
        "reader0@example.org",
        "reader1@example.org",
        "reader3@example.org",
    ]


def test_the_worker_survives_a_hostile_edition(
    mailbox: Mailbox, make_article: Callable[..., ArticlePage]
) -> None:
    make_article(HOSTILE[0])
    _readers(3)
    _today_frozen()  # frozen by a round of the scheduler; the worker's round then sends it

    call_command("worker", "--once")

    assert Digest.objects.get().status == Digest.Status.SENT
    assert len(mailbox.received) == 3
