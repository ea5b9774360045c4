from __future__ import annotations

import argparse
import io
import logging
import os
import signal
import threading
import time
import uuid
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from newsdesk.news.versioning import publication_changed
from newsdesk.newsletter.delivery.lock import PUBLISHING_KEY, SenderBusy, process_lock
from newsdesk.newsletter.delivery.sender import digest_send
from newsdesk.newsletter.digests.schedule import digests_freeze_due, digests_sending
from newsdesk.newsletter.subscriptions.signup_emails import owed_emails_send_due
from newsdesk.related.selectors import articles_published_unindexed
from newsdesk.related.tasks import refresh_related_many

logger = logging.getLogger(__name__)
# How often the worker publishes the pages scheduled to go live (and unpublishes expired ones).
PUBLISH_EVERY = 60.0
# How often, and how long, finished task results are kept in the database.
PRUNE_EVERY = 6 * 3600.0
TASK_RESULTS_KEPT_DAYS = 7
FAILED_TASK_RESULTS_KEPT_DAYS = 30


class Command(BaseCommand):
    help = (
        "Run the background work: publish scheduled pages every minute, freeze each digest at "
        "NEWSDESK_DIGEST_TIME and send it, "
        "finish any digest a stopped sender left unfinished, send signup emails that are owed "
        "(retries, and those a killed process left), and with NEWSDESK_TASKS=database run "
        "queued tasks such as signup emails and related-stories updates. Loops until stopped "
        "(SIGINT or SIGTERM); --once does one round and exits, for cron. Several workers may "
        "run: a digest is only ever sent by one of them at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do one round, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between digest rounds (default %(default)s).",
        )
        parser.add_argument("--parent-pid", type=int, help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(1.0, options["interval"])
        parent = options["parent_pid"]
        stopping = threading.Event()

        def stop(_signum: int, _frame: FrameType | None) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("newsdesk worker: started" + (" (once)" if options["once"] else ""))
        if options["once"]:
            self.digest_round()
            self.background_round()
            return
        # Tasks have their own thread: a digest send to a long list takes minutes, and a
        # reader's confirmation email should not wait behind it.
        tasks = threading.Thread(target=self.tasks_loop, args=(stopping,), daemon=True)
        tasks.start()
        while not stopping.is_set():
            # A long-running process: drop a connection the database closed or that is too
            # old, as Django does between requests.
            close_old_connections()
            try:
                self.digest_round()
            except Exception:  # the database away, say: the next round tries again
                logger.exception("digest round failed; trying again in %.0f s", interval)
            deadline = time.monotonic() + interval
            while not stopping.is_set() and time.monotonic() < deadline:
                # Started by `newsdesk serve` or the demo: end with the server, not linger.
                if parent and os.getppid() != parent:
                    stopping.set()
                stopping.wait(0.5)
        tasks.join(timeout=30)
        self.stdout.write("newsdesk worker: stopped")

    def digest_round(self) -> None:
        """Freeze what is due and send what is sending. A fault is logged and the round ends;
        the next round tries again, so one bad edition never stops the worker (or the others)."""
        try:
            digests_freeze_due()
        except Exception:
            logger.exception("freezing the due digests failed; trying again next round")
        for digest in digests_sending():
            try:
                report = digest_send(digest)
            except SenderBusy:
                continue
            except Exception:
                logger.exception("sending %s failed; trying again next round", digest)
                continue
            if report.sent or report.failed or report.skipped or report.stopped:
                # Rounds that only find readers waiting for a later try say nothing.
                self.stdout.write(f"{digest}: {report.summary()}")

    def tasks_loop(self, stopping: threading.Event) -> None:
        last_publish = -PUBLISH_EVERY
        last_prune = -PRUNE_EVERY
        try:
            while not stopping.is_set():
                close_old_connections()
                publish_due = time.monotonic() - last_publish >= PUBLISH_EVERY
                try:
                    self.background_round(publish_due=publish_due)
                except Exception:  # the database away, say: the next round tries again
                    logger.exception("background round failed; trying again in 1 s")
                if publish_due:
                    last_publish = time.monotonic()
                if time.monotonic() - last_prune >= PRUNE_EVERY:
                    last_prune = time.monotonic()
                    try:
                        self.task_results_prune()
                    except Exception:
                        logger.exception("pruning old task results failed")
                stopping.wait(1.0)
        finally:
            connection.close()

    def background_round(self, *, publish_due: bool = True) -> None:
        """Scheduled pages whose time has come (every PUBLISH_EVERY seconds), signup emails
        whose time has come (retries, and those a killed process left owed), then every
        queued task."""
        if publish_due:
            try:
                # Wagtail's own command (scheduled revisions go live, expired pages stop being
                # live), by one worker at a time: it takes no lock of its own.
                with process_lock(key=PUBLISHING_KEY, name="publish-scheduled"):
                    call_command("publish_scheduled", stdout=io.StringIO())
            except SenderBusy:
                pass  # another worker is publishing this minute's pages
            self.dated_round()
        owed_emails_send_due()
        self.tasks_drain()

    @staticmethod
    def dated_round() -> None:
        """Articles that became visible by their dates alone (a live article whose publication
        date came) enter every list: cached pages are retired and their Related Stories made.
        (Expired ones leave through ``publish_scheduled``, which unpublishes them.)"""
        due = articles_published_unindexed()
        if due:
            publication_changed()
            refresh_related_many.enqueue(article_ids=due)

    @staticmethod
    def task_results_prune() -> None:
        """Finished tasks leave a result row each (one or more per signup and publish): keep a
        week of them for looking into problems, a month of the failed ones."""
        if settings.NEWSDESK_TASKS != "database":
            return
        call_command(
            "prune_db_task_results",
            "--min-age-days",
            str(TASK_RESULTS_KEPT_DAYS),
            "--failed-min-age-days",
            str(FAILED_TASK_RESULTS_KEPT_DAYS),
            stdout=io.StringIO(),
        )

    @staticmethod
    def tasks_drain() -> None:
        """Run every queued task, then return (nothing to do with the immediate backend)."""
        if settings.NEWSDESK_TASKS != "database":
            return
        from django_tasks_db.management.commands.db_worker import Worker

        Worker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"newsdesk-{os.getpid()}-{uuid.uuid4().hex[:6]}",
        ).run()
