from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from newsdesk.newsletter.delivery.lock import SenderBusy
from newsdesk.newsletter.delivery.sender import SendReport, digest_send
from newsdesk.newsletter.digests.render import digest_text
from newsdesk.newsletter.digests.schedule import digests_freeze_due, digests_sending
from newsdesk.newsletter.digests.services import digest_contents, digest_ensure, digest_freeze
from newsdesk.newsletter.models import Digest


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
        "who already have a digest do not get it twice."
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
            chosen = self._digest_for(options)
            if chosen.status == Digest.Status.SKIPPED:
                self.stdout.write(f"{chosen}: no new stories, nothing to send.")
                return
            due = [chosen]
        else:
            digests_freeze_due()
            due = digests_sending()
        if not due:
            self.stdout.write("No digest is due.")
        for digest in due:
            try:
                report = digest_send(digest, connections=connections)
            except SenderBusy:
                self.stdout.write(f"{digest}: another process is sending it; left to that one.")
                continue
            self.stdout.write(self._summary(digest, report))

    @staticmethod
    def _summary(digest: Digest, report: SendReport) -> str:
        digest.refresh_from_db()
        return f"{digest}: {report.summary()}; status {digest.get_status_display().lower()}"
