"""Cached page fragments follow what is published: a change shows on the next request."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from wagtail.models import PageViewRestriction

from newsdesk.news import versioning
from newsdesk.news.models import ArticlePage, PublicationVersion


def test_a_publish_shows_on_home_topic_and_sidebar_at_once(
    client: Client, make_article: Callable[..., ArticlePage], django_capture_on_commit_callbacks
) -> None:
    first = make_article("Harbour wall repaired", topics=("Council",))
    home = client.get("/").content.decode()
    assert first.title in home  # the fragments are now cached
    assert "Lifeboat crew rescues" not in home

    with django_capture_on_commit_callbacks(execute=True):
        second = make_article("Lifeboat crew rescues two kayakers", topics=("Rescue",))

    home = client.get("/").content.decode()
    assert second.title in home
    assert '/topics/rescue/"' in home  # the topic navigation learned the new topic
    sidebar = client.get(first.url).content.decode().split('id="recent-heading"')[1]
    assert second.title in sidebar


def test_unpublishing_removes_the_article_from_cached_lists(
    client: Client, make_article: Callable[..., ArticlePage], django_capture_on_commit_callbacks
) -> None:
    keep = make_article("Library opens on Sundays")
    gone = make_article("Ferry timetable changes")
    assert gone.title in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        gone.unpublish()

    home = client.get("/").content.decode()
    assert gone.title not in home
    assert keep.title in home
    assert client.get(gone.url or f"/{gone.slug}/").status_code == 404


def test_a_new_view_restriction_hides_the_article_from_cached_lists(
    client: Client, make_article: Callable[..., ArticlePage], django_capture_on_commit_callbacks
) -> None:
    private = make_article("Staff memo")
    assert private.title in client.get("/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=private, restriction_type="login")

    assert private.title not in client.get("/").content.decode()
    assert ArticlePage.objects.published().filter(pk=private.pk).count() == 0


def test_other_processes_see_the_version_within_the_check_interval(db: None) -> None:
    seen = versioning.current_version()
    # Another process bumps the row; this one keeps its memo until the interval passes.
    PublicationVersion.objects.update_or_create(pk=1, defaults={"value": seen + 5})
    assert versioning.current_version() == seen
    versioning._state.checked -= versioning.check_seconds() + 1
    assert versioning.current_version() == seen + 5


def test_publication_changed_counts_up(db: None) -> None:
    before = versioning.current_version()
    versioning.publication_changed()
    versioning.publication_changed()
    assert versioning.current_version() == before + 2


def test_the_cached_topic_navigation_marks_the_current_topic(
    client: Client, make_article: Callable[..., ArticlePage]
) -> None:
    make_article("Council tax frozen", topics=("Council",))
    make_article("Rovers win the cup", topics=("Sport",))

    def current(path: str) -> list[str]:
        html = client.get(path).content.decode()
        nav = html.split('aria-label="Topics"')[1].split("</nav>")[0]
        return [part.split(">")[1].split("<")[0] for part in nav.split('aria-current="page"')[1:]]

    assert current("/") == []
    assert current("/topics/council/") == ["Council"]
    assert current("/topics/sport/") == ["Sport"]
    assert current("/") == []
