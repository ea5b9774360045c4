"""When digests go out, what they cover, and their public pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.digests.schedule import digests_freeze_due, editions_due
from newsdesk.newsletter.digests.services import digest_ensure, digest_freeze, send_time
from newsdesk.newsletter.models import Digest

pytestmark = pytest.mark.django_db
ZONE = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture(autouse=True)
def _london_at_seven(settings: Any) -> None:
    settings.TIME_ZONE = "Europe/London"
    settings.NEWSDESK_DIGEST_TIME = dt.time(7, 0)
    settings.NEWSDESK_DIGEST_WEEKDAY = 0  # Monday


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def test_nothing_is_due_before_the_send_time() -> None:
    assert editions_due(at(2026, 11, 24, 6, 59)) == []


def test_the_daily_edition_is_due_from_the_send_time_local_time() -> None:
    assert editions_due(at(2026, 11, 24, 7, 0)) == [(Digest.Edition.DAILY, dt.date(2026, 11, 24))]
    # Summer time: 07:00 in London is 06:00 UTC.
    assert send_time(dt.date(2026, 7, 1)).astimezone(dt.UTC).hour == 6


def test_the_weekly_edition_is_due_on_its_weekday() -> None:
    monday = at(2026, 11, 23, 8)
    assert editions_due(monday) == [
        (Digest.Edition.DAILY, dt.date(2026, 11, 23)),
        (Digest.Edition.WEEKLY, dt.date(2026, 11, 23)),
    ]


def test_an_edition_is_due_once(make_article: Callable[..., ArticlePage]) -> None:
    now = at(2026, 11, 24, 9)
    # Frozen, and skipped: there are no stories in the window, so nothing is left to send.
    assert digests_freeze_due(now) == []
    assert Digest.objects.get(date=dt.date(2026, 11, 24)).status == Digest.Status.SKIPPED
    assert editions_due(now) == []


def test_a_draft_made_by_an_editor_is_the_one_frozen() -> None:
    draft = digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 24))
    digests_freeze_due(at(2026, 11, 24, 7, 30))
    draft.refresh_from_db()
    assert draft.status != Digest.Status.DRAFT
    assert Digest.objects.count() == 1


def story(make_article: Callable[..., ArticlePage], title: str, when: dt.datetime) -> ArticlePage:
    from django.utils import timezone

    return make_article(title, age=timezone.now() - when)


def test_each_edition_covers_the_stories_since_the_previous_one(
    make_article: Callable[..., ArticlePage],
) -> None:
    story(make_article, "Before Monday's edition", at(2026, 11, 23, 6))
    story(make_article, "Monday morning", at(2026, 11, 23, 9))
    story(make_article, "Tuesday early", at(2026, 11, 24, 6, 59))
    story(make_article, "After Tuesday's edition", at(2026, 11, 24, 7, 1))
    monday = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 23)))
    tuesday = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 24)))
    assert [item.title for item in monday.items.all()] == ["Before Monday's edition"]
    assert [item.title for item in tuesday.items.all()] == ["Tuesday early", "Monday morning"]


def test_drafts_and_unpublished_stories_stay_out(
    make_article: Callable[..., ArticlePage],
) -> None:
    story(make_article, "Published", at(2026, 11, 24, 5))
    draft = story(make_article, "Still a draft", at(2026, 11, 24, 5))
    draft.unpublish()
    digest = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 24)))
    assert [item.title for item in digest.items.all()] == ["Published"]


def test_worker_once_freezes_and_sends_what_is_due(
    make_article: Callable[..., ArticlePage], capsys: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.utils import timezone

    local = timezone.localtime()
    settings.NEWSDESK_DIGEST_TIME = (local - dt.timedelta(minutes=1)).time()
    if local.time() < dt.time(0, 2):
        pytest.skip("too close to midnight for a same-day send time")
    make_article("Fresh story", age=dt.timedelta(minutes=30))
    call_command("worker", "--once")
    digest = Digest.objects.get(date=local.date(), edition=Digest.Edition.DAILY)
    assert [item.title for item in digest.items.all()] == ["Fresh story"]
    assert digest.status == Digest.Status.SENT  # sent to nobody: no readers yet
    assert "worker: started (once)" in capsys.readouterr().out


# --- public pages --------------------------------------------------------------------------------


@pytest.fixture
def sent(make_article: Callable[..., ArticlePage]) -> Digest:
    story(make_article, "Harbour festival returns", at(2026, 11, 24, 6))
    digest = digest_freeze(digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 24)))
    Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT)
    return digest


def test_the_digest_has_a_public_page_and_an_archive_entry(client: Client, sent: Digest) -> None:
    page = client.get("/newsletter/2026-11-24/")
    assert page.status_code == 200
    assert "Harbour festival returns" in page.content.decode()
    archive = client.get("/newsletter/")
    assert "/newsletter/2026-11-24/" in archive.content.decode()


def test_unpublished_stories_leave_the_public_page(client: Client, sent: Digest) -> None:
    ArticlePage.objects.get(title="Harbour festival returns").unpublish()
    page = client.get("/newsletter/2026-11-24/").content.decode()
    # The subject (in the title) is what was sent; the story itself is no longer linked.
    assert "<h3" not in page
    assert "no longer on the site" in page


@pytest.mark.parametrize(
    "path",
    [
        "/newsletter/2026-11-25/",  # no digest that day
        "/newsletter/2026-02-30/",  # no such date
        "/newsletter/weekly/2026-11-24/",  # no weekly edition
        "/newsletter/99999-01-01/",
        "/newsletter/2026-11-24%0d%0aX:1/",
    ],
)
def test_missing_or_malformed_dates_are_404(client: Client, sent: Digest, path: str) -> None:
    assert client.get(path).status_code == 404


def test_drafts_are_not_public(client: Client, home: Any) -> None:
    digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, 30))
    assert client.get("/newsletter/2026-11-30/").status_code == 404
    assert "2026-11-30" not in client.get("/newsletter/").content.decode()


def test_the_archive_rejects_writes(client: Client, home: Any) -> None:
    assert client.post("/newsletter/").status_code == 405


def test_page_queries_do_not_grow_with_the_stories(
    client: Client, make_article: Callable[..., ArticlePage], django_assert_max_num_queries: Any
) -> None:
    def edition(day: int, stories: int) -> None:
        for number in range(stories):
            story(make_article, f"Story {day}-{number}", at(2026, 11, day, 5, number))
        digest = digest_freeze(
            digest_ensure(edition=Digest.Edition.DAILY, date=dt.date(2026, 11, day))
        )
        Digest.objects.filter(pk=digest.pk).update(status=Digest.Status.SENT)

    edition(23, 1)
    edition(24, 12)
    client.get("/newsletter/2026-11-23/")  # warm the per-process caches
    counts = []
    for day in (23, 24):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/newsletter/2026-11-{day}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        client.get("/newsletter/")


def test_preview_prints_a_draft_without_freezing_it(
    make_article: Callable[..., ArticlePage], capsys: Any
) -> None:
    story(make_article, "Harbour festival returns", at(2026, 11, 24, 6))
    call_command("digest", "preview", "--date", "2026-11-24")
    out = capsys.readouterr().out
    assert out.startswith("Subject: Today at ") and "Harbour festival returns" in out
    # Each reader's links are described, never the placeholders personalisation uses.
    assert "NDSK" not in out and "[each reader's own unsubscribe link]" in out
    assert not Digest.objects.exclude(status=Digest.Status.DRAFT).exists()


def test_preview_of_an_empty_day_says_so(home: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no stories"):
        call_command("digest", "preview", "--date", "2026-11-24")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["send", "--connections", "0"], "between 1 and 64"),
        (["send", "--connections", "65"], "between 1 and 64"),
        (["send", "--date", "2026-02-30"], "YYYY-MM-DD"),
        (["preview", "--date", "2026-11-24\nX"], "YYYY-MM-DD"),
    ],
)
def test_digest_command_rejects_bad_arguments(
    home: Any, arguments: list[str], message: str
) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message):
        call_command("digest", *arguments)
    assert not Digest.objects.exists()


def test_digest_command_rejects_an_unknown_edition(home: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="invalid choice"):
        call_command("digest", "send", "--edition", "hourly")
