"""The demo publication: sample articles and an admin login (newsdesk.ops.demo)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.test import Client
from django.test.utils import override_settings

from newsdesk.news.models import ArticlePage, Author, PlainPage, Topic
from newsdesk.ops.demo import ADMIN_USERNAME, demo_admin_ensure, demo_content_load
from tests.helpers import parse_html


def test_demo_content_is_a_publication_and_loads_once(client: Client, db: None) -> None:
    loaded = demo_content_load()
    published = ArticlePage.objects.published()
    assert loaded == published.count() >= 30
    assert Topic.objects.filter(articles__in=published).distinct().count() >= 5
    assert Author.objects.filter(articles__in=published).distinct().count() >= 3
    assert Topic.objects.exclude(description="").count() >= 5
    # Dates spread over about two weeks, all in the past.
    dates = sorted(published.values_list("first_published_at", flat=True))
    assert (dates[-1] - dates[0]).days >= 7
    # Idempotent: a second load adds nothing.
    assert demo_content_load() == 0
    assert ArticlePage.objects.count() == loaded
    # And the site shows it.
    assert client.get("/").status_code == 200
    assert client.get(published.first().url).status_code == 200
    # An "About" page, linked from every footer.
    assert '<a href="/about/">About us</a>' in client.get("/").content.decode()
    assert PlainPage.objects.published().count() == 1


def test_demo_articles_have_a_drawn_picture_with_alt_text(client: Client, db: None) -> None:
    demo_content_load()
    articles = list(ArticlePage.objects.published().select_related("featured_image"))
    assert all(article.featured_image for article in articles)
    # One illustration per topic, made once and shared, each a real 16:9 image.
    images = {article.featured_image for article in articles}
    assert 5 <= len(images) <= Topic.objects.count()
    assert all((image.width, image.height) == (1600, 900) for image in images)
    article = articles[0]
    document = parse_html(client.get(article.url).content)
    (picture,) = document.find("figure", class_="article__image").find_all("img")
    assert picture.attrs["alt"] == article.featured_image_alt
    assert picture.attrs["alt"].startswith("Illustration: ")
    assert client.get(picture.attrs["src"]).status_code == 200


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    with override_settings(DATA_DIR=tmp_path):
        yield tmp_path


def test_demo_admin_can_log_in_and_keeps_its_password(
    client: Client, db: None, data_dir: Path
) -> None:
    username, password = demo_admin_ensure()
    assert username == ADMIN_USERNAME
    user = get_user_model().objects.get(username=username)
    assert user.is_staff and user.is_superuser
    # axes needs the request to know whom to lock out; the test client gives none by itself.
    assert client.login(request=HttpRequest(), username=username, password=password)
    assert client.get("/admin/").status_code == 200
    assert demo_admin_ensure() == (username, password)
    assert (data_dir / "demo-admin-password").stat().st_mode & 0o777 == 0o600


def test_demo_admin_password_is_not_guessable(db: None, data_dir: Path) -> None:
    _, password = demo_admin_ensure()
    assert len(password) >= 12
    assert not Client().login(request=HttpRequest(), username=ADMIN_USERNAME, password="admin")


def test_the_demo_edition_goes_out_minutes_after_the_start(db: None, settings: object) -> None:
    """A review found the demo, first started after 07:00, sent that day's edition at once to
    nobody: a reader who then subscribed got nothing that day."""
    import datetime as dt

    import time_machine
    from django.utils import timezone

    from newsdesk.newsletter.digests.schedule import digests_freeze_due
    from newsdesk.newsletter.digests.services import send_time
    from newsdesk.ops.demo import demo_digest_ensure, demo_digest_time

    demo_content_load()
    afternoon = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(15, 0)))
    with time_machine.travel(afternoon, tick=False):
        settings.NEWSDESK_DIGEST_TIME = demo_digest_time()  # type: ignore[attr-defined]
        draft = demo_digest_ensure()
        assert draft is not None and draft.date == afternoon.date()  # today's, not tomorrow's
        assert send_time(draft.date) == afternoon + dt.timedelta(minutes=10)
        digests_freeze_due()
        draft.refresh_from_db()
        assert draft.status == "draft"  # not frozen (and sent to nobody) at once


def test_the_demo_ends_with_related_stories_as_a_rebuild_makes_them(
    db: None, django_capture_on_commit_callbacks: Any
) -> None:
    """Issue 8: after the demo's import 59% of listed stories shared a topic with their
    article, 74% after `newsdesk related rebuild`; a flood-defence story listed none of the
    other flood stories."""
    from newsdesk.related import registry
    from newsdesk.related.models import RelatedLink
    from newsdesk.related.services import related_rebuild

    def lists() -> dict[int, list[int]]:
        stored: dict[int, list[int]] = {}
        links = RelatedLink.objects.order_by("source_id", "rank")
        for source, target in links.values_list("source_id", "target_id"):
            stored.setdefault(source, []).append(target)
        return stored

    registry.forget()  # the index is per process: none left over from another test
    try:
        # As the demo loads it: the refresh its import queues runs once the load commits.
        with django_capture_on_commit_callbacks(execute=True):
            demo_content_load()
        loaded = lists()
        registry.forget()
        related_rebuild()
        assert loaded == lists()
    finally:
        registry.forget()
    assert len(loaded) == ArticlePage.objects.published().count()
    # The story: the flood-defence scheme lists the three other River Wend stories.
    scheme = ArticlePage.objects.get(title__startswith="Council approves £6.8m flood-defence")
    wend = (
        ArticlePage.objects.published()
        .filter(title__contains="Wend", topics__name="Environment")
        .exclude(pk=scheme.pk)
    )
    assert wend.count() == 3
    assert set(wend.values_list("pk", flat=True)) <= set(loaded[scheme.pk])
