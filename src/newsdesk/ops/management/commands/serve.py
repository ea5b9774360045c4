from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from newsdesk.ops.server import exec_server, static_files_ensure, worker_start_beside


class Command(BaseCommand):
    help = (
        "Run the production web server (granian) configured from the environment. Request "
        "bodies are received before a thread is given to the request, within "
        "NEWSDESK_MAX_REQUEST_BYTES, NEWSDESK_BODY_TIMEOUT, NEWSDESK_BODY_MIN_RATE and "
        "NEWSDESK_BODY_WAITING_MAX (see docs/deploy.md). Starts `newsdesk worker` beside it "
        "(digests, signup emails, background tasks) unless --no-worker. Collects static files on "
        "the first start of each version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host", default="127.0.0.1", help="Address to bind (default %(default)s)."
        )
        parser.add_argument("--port", type=int, default=8000, help="Port (default %(default)s).")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Worker processes (default: one per CPU core, %(default)s here).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=4,
            help=(
                "Threads per worker that run Django (default %(default)s: a thread checking a "
                "password or waiting on the database leaves the others to readers). Clients "
                "still sending a body hold none of them."
            ),
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start `newsdesk worker` beside the server (when it runs as its own "
            "service).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not 0 < options["port"] < 65536:
            raise CommandError("--port must be between 1 and 65535")
        if not 1 <= options["workers"] <= 64 or not 1 <= options["threads"] <= 64:
            raise CommandError("--workers and --threads must be between 1 and 64")
        static_files_ensure()
        self.stdout.write(f"Serving newsdesk at http://{options['host']}:{options['port']}/")
        if not options["no_worker"]:
            worker_start_beside(interval=30)
        exec_server(
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            threads=options["threads"],
        )
