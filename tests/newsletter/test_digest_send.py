"""The digest over real SMTP: who gets it, what it looks like, and what a second run does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.utils import parseaddr
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from newsdesk.news.models import ArticlePage, Topic
from newsdesk.newsletter.delivery.sender import digest_send
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, Subscriber
from tests.newsletter.conftest import Mailbox

# The sender writes from its own threads, which see only committed rows; serialized_rollback
# brings back the page tree root that migrations create, which a flush would remove.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _send_time_soon(settings: Any) -> None:
    """Today's edition goes out in five minutes, so stories from the last hours are in it."""
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    global TODAY
    TODAY = soon.date()


TODAY = timezone.localdate()


def reader(address: str, **fields: Any) -> Subscriber:
    return Subscriber.objects.create(
        email=address,
        email_key=address.casefold(),
        status=fields.pop("status", Subscriber.Status.CONFIRMED),
        **fields,
    )


def frozen_today() -> Digest:
    return digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=TODAY))


@pytest.fixture
def stories(make_article: Callable[..., ArticlePage]) -> list[ArticlePage]:
    return [
        make_article("Harbour wall repairs begin", topics=("Council",), dek="Work starts Monday."),
        make_article("Ferry timetable changes", topics=("Transport",), age=dt.timedelta(hours=3)),
    ]


def send_today(**options: Any) -> Any:
    return digest_send(frozen_today(), **options)


def test_every_confirmed_daily_reader_gets_one_copy(mailbox: Mailbox, stories: list) -> None:
    reader("ann@example.org")
    reader("bob@example.org")
    reader("pending@example.org", status=Subscriber.Status.PENDING)
    reader("gone@example.org", status=Subscriber.Status.UNSUBSCRIBED)
    reader("bounced@example.org", status=Subscriber.Status.BOUNCED)
    reader("paused@example.org", paused=True)
    reader("weekly@example.org", frequency=Subscriber.Frequency.WEEKLY)

    report = send_today(connections=2)

    assert sorted(rcpt for item in mailbox.received for rcpt in item.rcpt_tos) == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert (report.sent, report.failed) == (2, 0)
    digest = Digest.objects.get(date=TODAY, edition=Digest.Edition.DAILY)
    assert digest.status == Digest.Status.SENT
    assert set(digest.deliveries.values_list("status", flat=True)) == {Delivery.Status.SENT}


def test_a_second_run_sends_nothing_more(mailbox: Mailbox, stories: list) -> None:
    reader("ann@example.org")
    send_today()
    digest = Digest.objects.get()
    # The digest is finished; even forced back to "sending", sent rows stay sent.
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENDING)
    report = digest_send(digest)
    assert report.sent == 0
    assert len(mailbox.received) == 1


def test_headers_follow_the_list_rfcs(mailbox: Mailbox, stories: list, settings: Any) -> None:
    settings.NEWSDESK_REPLY_TO = "Letters <letters@example.org>"
    ann = reader("ann@example.org")
    send_today()
    (received,) = mailbox.received
    message = received.message
    digest = Digest.objects.get()
    assert message["Message-ID"] == f"<digest-{digest.pk}.{ann.pk}@testserver>"
    assert message["To"] == "ann@example.org"
    assert parseaddr(message["From"])[0] == settings.SITE_NAME
    assert message["Reply-To"] == "Letters <letters@example.org>"
    assert message["List-Id"] == f'"{settings.SITE_NAME}" <daily.testserver>'
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip(" <>") for part in str(message["List-Unsubscribe"]).split(","))
    assert https.startswith("http://testserver/newsletter/unsubscribe/")
    assert mailto.startswith("mailto:news@localhost?subject=unsubscribe%20")
    assert (
        message["Subject"]
        == f"Today at {settings.SITE_NAME}: Harbour wall repairs begin and 1 more"
    )


def test_one_click_unsubscribe_from_the_header(mailbox: Mailbox, stories: list) -> None:
    ann = reader("ann@example.org")
    send_today()
    https = str(mailbox.received[0].message["List-Unsubscribe"]).split(",")[0].strip(" <>")
    path = https.removeprefix("http://testserver")
    # RFC 8058: a cookieless POST with this exact body, answered 200 and never a redirect.
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    ann.refresh_from_db()
    assert ann.status == Subscriber.Status.UNSUBSCRIBED


def test_bodies_list_the_stories_with_inlined_styles(mailbox: Mailbox, stories: list) -> None:
    reader("ann@example.org")
    send_today()
    (received,) = mailbox.received
    text, html = received.text(), received.html()
    assert text.index("Harbour wall repairs begin") < text.index("Ferry timetable changes")
    assert "Work starts Monday." in text
    assert stories[0].url_path.rstrip("/").rsplit("/", 1)[-1] in text
    assert 'style="' in html and "<style>" in html and "prefers-color-scheme: dark" in html
    assert "Harbour wall repairs begin" in html
    # Each reader's own links, never the markers they were rendered with.
    assert "NDSKPH" not in text and "NDSKPH" not in html
    assert "/newsletter/preferences/" in text and "/newsletter/unsubscribe/" in html
    raw = received.message.as_bytes()
    assert max(len(line) for line in raw.split(b"\n")) <= 998


def test_editors_picks_come_first_with_the_intro(
    mailbox: Mailbox, make_article: Callable[..., ArticlePage], stories: list
) -> None:
    old = make_article("Last month's flood inquiry", age=dt.timedelta(days=20))
    digest = digest_ensure(edition=Digest.Edition.DAILY, date=TODAY)
    digest.intro = "Good morning from the newsroom."
    digest.picks.create(article=old, sort_order=0)
    digest.picks.create(article=stories[1], sort_order=1)
    digest.save()
    reader("ann@example.org")
    digest_send(digest_freeze(digest))
    text = mailbox.received[0].text()
    assert "Good morning from the newsroom." in text
    order = [
        text.index(title)
        for title in (
            "Last month's flood inquiry",
            "Ferry timetable changes",
            "Harbour wall repairs begin",
        )
    ]
    assert order == sorted(order)
    assert "Editor’s picks" in text and "More stories" in text


def test_topic_choice_narrows_the_digest(mailbox: Mailbox, stories: list, settings: Any) -> None:
    transport_only = reader("ferry@example.org")
    transport_only.topics.set([Topic.objects.get(name="Transport")])
    sport_only = reader("sport@example.org")
    sport_only.topics.set([Topic.objects.create(name="Sport", slug="sport")])
    report = send_today()
    (received,) = mailbox.received
    assert received.rcpt_tos == ["ferry@example.org"]
    assert "Ferry timetable changes" in received.text()
    # The subject is made from what this reader gets: one story, not "… and 1 more".
    assert received.message["Subject"] == f"Today at {settings.SITE_NAME}: Ferry timetable changes"
    assert "Harbour wall repairs begin" not in received.text()
    assert report.skipped == 1
    assert Delivery.objects.get(subscriber=sport_only).status == Delivery.Status.SKIPPED


def test_suppression_is_checked_again_at_send_time(mailbox: Mailbox, stories: list) -> None:
    from newsdesk.newsletter.delivery.sender import deliveries_enqueue

    reader("ann@example.org")
    bob, cy, di = reader("bob@example.org"), reader("cy@example.org"), reader("di@example.org")
    digest = frozen_today()
    deliveries_enqueue(digest)
    # After their rows were made but before the sender reaches them, Bob unsubscribes, Cy
    # switches to the weekly edition and Di pauses.
    Subscriber.objects.filter(pk=bob.pk).update(status=Subscriber.Status.UNSUBSCRIBED)
    Subscriber.objects.filter(pk=cy.pk).update(frequency=Subscriber.Frequency.WEEKLY)
    Subscriber.objects.filter(pk=di.pk).update(paused=True)
    report = digest_send(digest)
    assert [item.rcpt_tos for item in mailbox.received] == [["ann@example.org"]]
    assert report.skipped == 3
    assert set(
        Delivery.objects.filter(subscriber__in=[bob, cy, di]).values_list("status", flat=True)
    ) == {Delivery.Status.SKIPPED}


def test_no_new_stories_no_digest(mailbox: Mailbox, home: Any) -> None:
    reader("ann@example.org")
    digest = frozen_today()
    assert digest.status == Digest.Status.SKIPPED
    assert digest_send(digest).sent == 0
    assert mailbox.received == []


def test_command_sends_the_edition_for_a_date(mailbox: Mailbox, stories: list, capsys: Any) -> None:
    reader("ann@example.org")
    call_command("digest", "send", "--date", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "sent 1, failed 0" in out and "status sent" in out
    assert len(mailbox.received) == 1
    call_command("digest", "send", "--date", TODAY.isoformat())
    assert len(mailbox.received) == 1


def test_command_rejects_a_bad_date(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("digest", "send", "--date", "25/11/2026")


def test_weekly_readers_get_the_weekly_edition_only(
    mailbox: Mailbox, stories: list, settings: Any
) -> None:
    reader("daily@example.org")
    reader("weekly@example.org", frequency=Subscriber.Frequency.WEEKLY)
    weekly = digest_freeze(digest_ensure(edition=Digest.Edition.WEEKLY, date=TODAY))
    digest_send(weekly)
    (received,) = mailbox.received
    assert received.rcpt_tos == ["weekly@example.org"]
    assert received.message["Subject"].startswith("This week at ")
    # Its own list, so a mail client can filter or unsubscribe it apart from the daily one.
    assert received.message["List-Id"] == f'"{settings.SITE_NAME} (weekly)" <weekly.testserver>'
    assert "weekly email" in received.text()
