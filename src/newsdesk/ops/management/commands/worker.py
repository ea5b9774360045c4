from __future__ import annotations

import argparse
import io
import logging
import os
import threading
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection

from newsdesk.core.periodic import run_periodically, stop_on_signals
from newsdesk.newsletter.delivery.due import digests_due_send
from newsdesk.newsletter.delivery.sender import SendReport
from newsdesk.newsletter.models import Digest
from newsdesk.newsletter.subscriptions.signup_emails import owed_emails_send_due
from newsdesk.ops.publishing import scheduled_publish

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
        stop_on_signals(stopping)
        self.stdout.write("newsdesk worker: started" + (" (once)" if options["once"] else ""))
        if options["once"]:
            self.digest_round()
            self.background_round()
            return
        # Tasks have their own thread: a digest send to a long list takes minutes, and a
        # reader's confirmation email should not wait behind it.
        tasks = threading.Thread(target=self.tasks_loop, args=(stopping,), daemon=True)
        tasks.start()
        run_periodically(
            self.digest_round,
            name="digest send",
            interval=interval,
            stopping=stopping,
            # Started by `newsdesk serve` or the demo: end with the server, not linger.
            parent_pid=parent,
        )
        tasks.join(timeout=30)
        self.stdout.write("newsdesk worker: stopped")

    def digest_round(self) -> None:
        """`digest send`'s round: freeze what is due and send what is sending."""

        def say(digest: Digest, report: SendReport | None) -> None:
            # Rounds that only find readers waiting for a later try say nothing.
            if report and (report.sent or report.failed or report.skipped or report.stopped):
                self.stdout.write(f"{digest}: {report.summary()}")

        digests_due_send(on_report=say)

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
        """`publish_scheduled`'s round (every PUBLISH_EVERY seconds), signup emails whose time
        has come (retries, and those a killed process left owed), then every queued task."""
        if publish_due:
            scheduled_publish()
        owed_emails_send_due()
        self.tasks_drain()

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
