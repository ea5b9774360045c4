from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.mail.outbox import OUTBOX_BACKEND
from newsdesk.ops.demo import (
    demo_admin_ensure,
    demo_content_load,
    demo_digest_ensure,
    demo_digest_time,
)
from newsdesk.ops.server import exec_server, static_files_ensure, worker_start_beside


class Command(BaseCommand):
    help = (
        "Set up and serve a demo publication: migrate the database in the data directory, load "
        "about 30 sample articles, create an admin user, print its login and serve the site. "
        "Safe to run again: existing content and the admin password are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="Port (default %(default)s).")
        parser.add_argument("--host", default="127.0.0.1", help="Address (default %(default)s).")
        parser.add_argument(
            "--no-serve", action="store_true", help="Set everything up, then exit without serving."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        if not 0 < port < 65536:
            raise CommandError("--port must be between 1 and 65535")
        self.stdout.write(f"Data directory: {settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        loaded = demo_content_load()
        self.stdout.write(
            f"Sample articles loaded: {loaded}" if loaded else "Sample articles: kept"
        )
        if "NEWSDESK_DIGEST_TIME" not in os.environ:
            # Not the usual 07:00: started after it, the demo would send today's edition at once
            # to nobody, and a reader who subscribes while trying it would get nothing that day.
            soon = demo_digest_time()
            settings.NEWSDESK_DIGEST_TIME = soon
            os.environ["NEWSDESK_DIGEST_TIME"] = soon.strftime("%H:%M")  # server and worker too
        demo_digest_ensure()
        username, password = demo_admin_ensure()
        static_files_ensure()
        url = f"http://{options['host']}:{port}"
        self.stdout.write(self.style.SUCCESS(f"\n  Site:   {url}/\n  Admin:  {url}/admin/"))
        self.stdout.write(self.style.SUCCESS(f"  Login:  {username} / {password}\n"))
        if settings.EMAIL_BACKEND == OUTBOX_BACKEND:
            self.stdout.write(
                f"  Mail goes to the outbox ({settings.EMAIL_FILE_PATH}): read it in the admin,"
                " under Outbox. The daily digest is under Digests.\n"
            )
        self.stdout.write(
            f"  The daily digest goes out at {settings.NEWSDESK_DIGEST_TIME:%H:%M}: subscribe, "
            "confirm, and it reaches you then.\n"
        )
        if options["no_serve"]:
            return
        # The demo serves what it printed, whatever SITE_URL says.
        os.environ["SITE_URL"] = url
        worker_start_beside(interval=5)
        exec_server(host=options["host"], port=port, workers=1, threads=4)
