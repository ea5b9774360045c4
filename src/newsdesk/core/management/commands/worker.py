from __future__ import annotations

import argparse
import os
import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from newsdesk.newsletter.schedule import digests_freeze_due, digests_sending
from newsdesk.newsletter.sender import digest_send
from newsdesk.newsletter.sender_lock import SenderBusy


class Command(BaseCommand):
    help = (
        "Run the scheduled work: freeze each digest at NEWSDESK_DIGEST_TIME and send it, and "
        "finish any digest a stopped sender left unfinished. Loops until stopped (SIGINT or "
        "SIGTERM); --once does one round, for cron. Several workers may run: one digest is "
        "only ever sent by one of them at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Do one round of work, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=30.0,
            help="Seconds between rounds (default %(default)s).",
        )
        parser.add_argument(
            "--parent-pid",
            type=int,
            help=argparse.SUPPRESS,
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval = max(1.0, options["interval"])
        parent = options["parent_pid"]
        stopping = False

        def stop(_signum: int, _frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("newsdesk worker: started" + (" (once)" if options["once"] else ""))
        while not stopping:
            self.round()
            if options["once"]:
                break
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                # Started by `newsdesk demo`: end with the server rather than linger.
                if parent and os.getppid() != parent:
                    return
                time.sleep(0.5)
        self.stdout.write("newsdesk worker: stopped")

    def round(self) -> None:
        close_old_connections()
        digests_freeze_due()
        for digest in digests_sending():
            try:
                report = digest_send(digest)
            except SenderBusy:
                continue
            self.stdout.write(
                f"{digest}: sent {report.sent}, failed {report.failed}, "
                f"skipped {report.skipped}, deferred {report.deferred}"
            )
