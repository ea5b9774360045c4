"""Refreshes are queued by Wagtail's page signals, run only after the transaction commits, and
batched inside ``refresh_deferred()``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from newsdesk.news.models import ArticlePage
from newsdesk.related.models import ArticleSignature, RelatedLink
from newsdesk.related.triggers import refresh_deferred
from tests.helpers import article_create
from tests.related.conftest import Newsroom, stored_list
from tests.related.stories import NEW_FLOOD, STORIES, SUBJECT


def test_nothing_is_refreshed_before_the_transaction_commits(published: Newsroom) -> None:
    with published.capture(execute=False) as callbacks:
        new = article_create(
            published.home, NEW_FLOOD.title, body=NEW_FLOOD.body, dek=NEW_FLOOD.dek
        )
        # Inside the transaction: no signature and no list yet, so a rollback leaves no trace.
        assert not ArticleSignature.objects.filter(article_id=new.pk).exists()
    assert callbacks
    assert not RelatedLink.objects.filter(source=new).exists()
    for callback in callbacks:
        callback()
    assert ArticleSignature.objects.get(article_id=new.pk).active
    assert {SUBJECT[published.key_of(t)] for t in stored_list(new)[:3]} == {"flood"}


def test_a_draft_edit_changes_nothing_until_it_is_published(published: Newsroom) -> None:
    tickets = ArticlePage.objects.get(pk=published.articles["rovers-tickets"].pk)
    before = stored_list(tickets)
    tickets.title, tickets.body = NEW_FLOOD.title, NEW_FLOOD.body  # rewritten as a flood story
    with published.capture(execute=True):
        revision = tickets.save_revision()
    assert stored_list(tickets) == before
    with published.capture(execute=True):
        revision.publish()
    assert {SUBJECT[published.key_of(t)] for t in stored_list(tickets)[:3]} == {"flood"}
    # ...and it now appears in the flood stories' lists.
    assert tickets.pk in stored_list(published.articles["flood-approved"])


def test_deferred_refreshes_run_once_the_block_ends(newsroom: Newsroom) -> None:
    with newsroom.capture(execute=True):
        with refresh_deferred():
            for n, story in enumerate(STORIES):
                article = article_create(
                    newsroom.home,
                    story.title,
                    body=story.body,
                    dek=story.dek,
                    topics=(story.topic,),
                    age=timedelta(days=n + 1),
                )
                newsroom.articles[story.key] = article
            with refresh_deferred():  # nested blocks defer to the outermost
                pass
            assert not ArticleSignature.objects.exists()
            assert not RelatedLink.objects.exists()
    for key, article in newsroom.articles.items():
        top_two = stored_list(article)[:2]
        assert [SUBJECT[newsroom.key_of(t)] for t in top_two] == [SUBJECT[key]] * 2, key


def test_a_privacy_change_is_queued_for_the_worker_not_ranked_in_the_request(
    published: Newsroom, settings: Any
) -> None:
    """A review found a view restriction on a section ran a full rebuild inside the editor's
    request (about 3 minutes at 100,000 articles). With the default task backend the request
    only queues it."""
    from django_tasks_db.models import DBTaskResult
    from wagtail.models import PageViewRestriction

    settings.NEWSDESK_TASKS = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lists_before = RelatedLink.objects.count()
    with published.capture(execute=True):
        PageViewRestriction.objects.create(
            page=published.home, restriction_type=PageViewRestriction.PASSWORD, password="x"
        )
    assert RelatedLink.objects.count() == lists_before  # nothing ranked in the request
    [queued] = DBTaskResult.objects.filter(task_path__endswith="refresh_related_many")
    assert queued.status == "READY"
    assert sorted(queued.args_kwargs["kwargs"]["article_ids"]) == sorted(
        a.pk for a in published.articles.values()
    )


def test_a_live_article_dated_in_the_future_joins_the_lists_when_its_date_comes(
    published: Newsroom,
) -> None:
    """A review found such an article stayed out of Related Stories until its next edit or a
    rebuild: no signal says that a date has come. The worker looks every minute."""
    import datetime as dt

    import time_machine
    from django.core.management import call_command
    from django.utils import timezone

    from newsdesk.news.models import PublicationVersion
    from newsdesk.related.services import related_refresh

    soon = timezone.now() + dt.timedelta(minutes=5)
    with published.capture(execute=True):
        new = article_create(published.home, NEW_FLOOD.title, body=NEW_FLOOD.body)
    # Live, and dated in five minutes (as an import of a dated story leaves it), so out of lists.
    ArticlePage.objects.filter(pk=new.pk).update(first_published_at=soon)
    related_refresh(article_id=new.pk)
    with published.capture(execute=True):
        call_command("worker", "--once")  # its date has not come: still out of every list
    assert not ArticleSignature.objects.filter(article_id=new.pk, active=True).exists()
    version = PublicationVersion.objects.get(pk=1).value
    # Hours later (a worker run from cron, or one that was down): the article is still found.
    with time_machine.travel(soon + dt.timedelta(hours=3)), published.capture(execute=True):
        call_command("worker", "--once")
    assert ArticleSignature.objects.get(article_id=new.pk).active
    assert new.pk in stored_list(published.articles["flood-approved"])
    assert PublicationVersion.objects.get(pk=1).value > version  # cached pages retired
