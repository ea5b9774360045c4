"""NEWSDESK_TASKS=database: signup emails wait in the database until ``newsdesk worker`` runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from newsdesk.news.models import ArticlePage
from tests.newsletter.conftest import Mailbox, signup, wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def database_tasks(settings: Any) -> None:
    settings.NEWSDESK_TASKS = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_signup_answers_before_the_email_and_the_worker_sends_it(
    database_tasks: None, site_home: Any, client: Client, mailbox: Mailbox
) -> None:
    response = signup(client, "reader@example.org")
    assert response.status_code == 302
    assert mailbox.received == []
    emails = DBTaskResult.objects.filter(task_path__endswith=".send_subscriber_email")
    assert [task.status for task in emails] == ["READY"]

    call_command("worker", "--once")

    [confirmation] = wait_for(mailbox, 1)
    assert confirmation.rcpt_tos == ["reader@example.org"]
    assert [task.status for task in emails.all()] == ["SUCCESSFUL"]
    # The publication's own tasks (related stories) ran in the same round.
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_with_immediate_tasks_the_worker_has_no_tasks_to_run(
    site_home: Any, client: Client, mailbox: Mailbox
) -> None:
    signup(client, "reader@example.org")
    assert len(wait_for(mailbox, 1)) == 1
    call_command("worker", "--once")
    assert len(mailbox.received) == 1
    assert not DBTaskResult.objects.exists()


def test_the_worker_publishes_a_scheduled_article_when_its_time_comes(
    site_home: Any, make_article: Any, client: Client
) -> None:
    """A review found that a scheduled article never went live unless someone ran
    ``newsdesk publish_scheduled``: the worker (and so the demo) did not."""
    article = make_article("Regatta moved to Sunday", age=-dt.timedelta(minutes=10))
    assert not ArticlePage.objects.get(pk=article.pk).live
    call_command("worker", "--once")
    assert not ArticlePage.objects.get(pk=article.pk).live  # not yet its time
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        call_command("worker", "--once")
        assert ArticlePage.objects.get(pk=article.pk).live
        assert client.get(article.url).status_code == 200


def test_only_one_worker_publishes_at_a_time(site_home: Any, make_article: Any) -> None:
    """Wagtail's publish_scheduled takes no lock; several workers may run: while one holds the
    publishing lock, another's round publishes nothing (and does not fail)."""
    import threading

    from django.db import connection

    from newsdesk.newsletter.delivery.lock import PUBLISHING_KEY, process_lock

    article = make_article("Regatta moved to Sunday", age=-dt.timedelta(minutes=10))
    holding, release = threading.Event(), threading.Event()

    def other_worker() -> None:  # its own database session, as another process would have
        with process_lock(key=PUBLISHING_KEY, name="publish-scheduled"):
            holding.set()
            release.wait(30)
        connection.close()

    other = threading.Thread(target=other_worker)
    other.start()
    assert holding.wait(30)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        try:
            call_command("worker", "--once")
            assert not ArticlePage.objects.get(pk=article.pk).live
        finally:
            release.set()
            other.join(30)
        call_command("worker", "--once")
        assert ArticlePage.objects.get(pk=article.pk).live


def test_the_worker_prunes_old_task_results(
    database_tasks: None, site_home: Any, client: Client, mailbox: Mailbox
) -> None:
    from newsdesk.ops.management.commands.worker import Command

    signup(client, "reader@example.org")
    call_command("worker", "--once")
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").exists()
    Command.task_results_prune()
    assert DBTaskResult.objects.exists()  # a week is kept
    DBTaskResult.objects.update(finished_at=timezone.now() - dt.timedelta(days=8))
    Command.task_results_prune()
    assert not DBTaskResult.objects.exists()
