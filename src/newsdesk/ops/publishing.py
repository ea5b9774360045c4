"""One round of scheduled publishing: what the worker and ``newsdesk publish_scheduled`` do.

Wagtail's ``publish_scheduled`` puts scheduled revisions live and unpublishes expired pages; it
takes no lock of its own, so here it runs under the publishing lock, one process at a time,
whatever number of workers and loops run. Then articles that became visible by their date alone
(a live article whose publication date came) enter every list: cached pages are retired and
their Related Stories made.
"""

from __future__ import annotations

import io
from typing import TextIO

from django.core.management.base import OutputWrapper
from django.utils import timezone
from wagtail.management.commands.publish_scheduled import Command as WagtailPublishScheduled
from wagtail.models import Revision

from newsdesk.news.versioning import publication_changed
from newsdesk.newsletter.delivery.lock import PUBLISHING_KEY, SenderBusy, process_lock
from newsdesk.related.selectors import articles_published_unindexed
from newsdesk.related.tasks import refresh_related_many


def scheduled_publish(
    *, dry_run: bool = False, out: TextIO | OutputWrapper | None = None
) -> int | None:
    """Publish what is due; returns how many scheduled revisions went live, or None when
    another process holds the publishing lock this round."""
    try:
        with process_lock(key=PUBLISHING_KEY, name="publish-scheduled"):
            due = Revision.objects.filter(approved_go_live_at__lt=timezone.now()).count()
            wagtail = WagtailPublishScheduled(stdout=out or io.StringIO())
            wagtail.handle(dryrun=dry_run)
    except SenderBusy:
        return None
    if dry_run:
        return 0
    dated_articles_enter_lists()
    return due


def dated_articles_enter_lists() -> None:
    """(Expired articles leave through Wagtail's command, which unpublishes them.)"""
    due = articles_published_unindexed()
    if due:
        publication_changed()
        refresh_related_many.enqueue(article_ids=due)
