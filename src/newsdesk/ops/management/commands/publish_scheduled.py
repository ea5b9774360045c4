"""Wagtail's ``publish_scheduled``, under newsdesk's publishing lock, once or ``--loop``.

Named like Wagtail's command on purpose, and found first (``newsdesk.ops`` comes before
``wagtail`` in INSTALLED_APPS): an operator who follows Wagtail's documentation and runs
``publish_scheduled`` from cron gets the locked round, never two publishers racing.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from newsdesk.core.periodic import run_periodically, stop_on_signals
from newsdesk.ops.publishing import scheduled_publish

DEFAULT_INTERVAL = 60.0


class Command(BaseCommand):
    help = (
        "Publish the pages scheduled to go live and unpublish those whose expiry has passed "
        "(Wagtail's publish_scheduled, one process at a time), then add articles whose "
        "publication date has come to every list. Runs once, for cron or a timer; --loop "
        "repeats it every --interval seconds until SIGTERM or SIGINT. `newsdesk worker` "
        "already does this every minute."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dryrun", action="store_true", help="Only say what would be published."
        )
        parser.add_argument(
            "--loop", action="store_true", help="Repeat until stopped (SIGTERM or SIGINT)."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help="Seconds between rounds with --loop (default %(default)s, at least 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def round_once() -> None:
            published = scheduled_publish(dry_run=options["dryrun"], out=self.stdout)
            if published is None:
                self.stdout.write("Another process is publishing scheduled pages; left to it.")
            elif published or not options["loop"]:
                # A loop says nothing on the minutes when nothing was due.
                self.stdout.write(f"Published {published} scheduled page(s).")

        if not options["loop"]:
            round_once()
            return
        stopping = threading.Event()
        stop_on_signals(stopping)
        interval = max(1.0, options["interval"])
        self.stdout.write(f"publish_scheduled: every {interval:g} s until stopped")
        rounds = run_periodically(
            round_once, name="publish_scheduled", interval=interval, stopping=stopping
        )
        self.stdout.write(f"publish_scheduled: stopped after {rounds} round(s)")
