from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from newsdesk.core.periodic import run_periodically, stop_on_signals
from newsdesk.newsletter.delivery.due import digests_due_send
from newsdesk.newsletter.delivery.lock import SenderBusy
from newsdesk.newsletter.delivery.sender import SendReport, digest_send
from newsdesk.newsletter.digests.render import digest_text
from newsdesk.newsletter.digests.services import digest_contents, digest_ensure, digest_freeze
from newsdesk.newsletter.models import Digest

# The worker's digest round comes as often: a new reader's first digest, or a retry, waits no
# longer than this.
DEFAULT_INTERVAL = 30.0


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date: expected YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Send or preview the newsletter digest. 'send' freezes the editions that are due "
        "(NEWSDESK_DIGEST_TIME has passed today) and sends every digest not finished yet; "
        "with --date it freezes and sends that day's edition now. Safe to run again: readers "
        "who already have a digest do not get it twice. 'send --loop' repeats the round every "
        "--interval seconds until SIGTERM or SIGINT (`newsdesk worker` already does this)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        send = actions.add_parser("send", help="Send the due digest (or the one for --date).")
        preview = actions.add_parser(
            "preview",
            help="Print the plain-text digest for --date: as sent, or for a draft as it would "
            "be sent now (freezes nothing).",
        )
        for sub in (send, preview):
            sub.add_argument("--date", help="The edition's date, YYYY-MM-DD (default: today).")
            sub.add_argument(
                "--edition",
                choices=[choice.value for choice in Digest.Edition],
                default=Digest.Edition.DAILY.value,
                help="daily (default) or weekly.",
            )
        send.add_argument(
            "--connections",
            type=int,
            help="Parallel SMTP connections (default: NEWSDESK_DIGEST_CONNECTIONS).",
        )
        send.add_argument(
            "--loop",
            action="store_true",
            help="Repeat until stopped (SIGTERM or SIGINT); not with --date.",
        )
        send.add_argument(
            "--interval",
            type=float,
            default=DEFAULT_INTERVAL,
            help="Seconds between rounds with --loop (default %(default)s, at least 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "preview":
            self._preview(options)
        else:
            self._send(options)

    def _digest_for(self, options: dict[str, Any]) -> Digest:
        date = _date(options["date"]) if options["date"] else timezone.localdate()
        return digest_freeze(digest_ensure(edition=Digest.Edition(options["edition"]), date=date))

    def _preview(self, options: dict[str, Any]) -> None:
        """The edition as it went out, or for a draft as it would go out now; freezes nothing."""
        date = _date(options["date"]) if options["date"] else timezone.localdate()
        edition = Digest.Edition(options["edition"])
        digest = Digest.objects.filter(edition=edition, date=date).first() or Digest(
            edition=edition, date=date
        )
        items, subject = digest_contents(digest)
        if not items:
            raise CommandError(f"{digest}: no stories, so no digest.")
        digest.subject = subject
        self.stdout.write(f"Subject: {subject}\n")
        self.stdout.write(digest_text(digest, items, personal=False))

    def _send(self, options: dict[str, Any]) -> None:
        connections = options["connections"]
        if connections is not None and not 1 <= connections <= 64:
            raise CommandError("--connections must be between 1 and 64")
        if options["date"]:
            if options["loop"]:
                raise CommandError("--loop sends what is due each round; it cannot take --date")
            chosen = self._digest_for(options)
            if chosen.status == Digest.Status.SKIPPED:
                self.stdout.write(f"{chosen}: no new stories, nothing to send.")
                return
            self._send_one(chosen, connections)
            return
        if options["loop"]:
            self._send_loop(connections, max(1.0, options["interval"]))
            return
        tried: list[Digest] = []

        def say(digest: Digest, report: SendReport | None) -> None:
            tried.append(digest)
            self._say(digest, report)

        ok = digests_due_send(connections=connections, on_report=say)
        if not tried:
            self.stdout.write("No digest is due.")
        if not ok:
            # A non-zero exit, so that cron mails it and a healthcheck sees the failed run.
            raise CommandError("part of the round failed (logged above); run it again")

    def _send_one(self, digest: Digest, connections: int | None) -> None:
        try:
            report = digest_send(digest, connections=connections)
        except SenderBusy:
            report = None
        self._say(digest, report)

    def _send_loop(self, connections: int | None, interval: float) -> None:
        stopping = threading.Event()
        stop_on_signals(stopping)
        self.stdout.write(f"digest send: every {interval:g} s until stopped")

        def quiet(digest: Digest, report: SendReport | None) -> None:
            # Rounds that only find readers waiting for a later try say nothing.
            if report is None or report.sent or report.failed or report.skipped or report.stopped:
                self._say(digest, report)

        def round_once() -> None:
            digests_due_send(connections=connections, on_report=quiet)

        rounds = run_periodically(
            round_once,
            name="digest send",
            interval=interval,
            stopping=stopping,
        )
        self.stdout.write(f"digest send: stopped after {rounds} round(s)")

    def _say(self, digest: Digest, report: SendReport | None) -> None:
        if report is None:
            self.stdout.write(f"{digest}: another process is sending it; left to that one.")
        else:
            self.stdout.write(self._summary(digest, report))

    @staticmethod
    def _summary(digest: Digest, report: SendReport) -> str:
        digest.refresh_from_db()
        return f"{digest}: {report.summary()}; status {digest.get_status_display().lower()}"
