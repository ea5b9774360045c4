"""Preparing and starting the production web server (granian, WSGI; static files by whitenoise)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

import newsdesk


def static_files_ensure() -> None:
    """Collect static files once per newsdesk version (the hashed manifest lets whitenoise serve
    them with far-future cache headers); later starts skip the few seconds this takes."""
    stamp = Path(settings.STATIC_ROOT) / ".newsdesk-version"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == newsdesk.__version__:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(newsdesk.__version__, encoding="utf-8")


def granian_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or "granian"
    return [
        granian,
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--respawn-failed-workers",
        "--no-ws",
        "newsdesk.wsgi:application",
    ]


def exec_server(*, host: str, port: int, workers: int, threads: int) -> None:
    """Replace this process with granian, so signals from a supervisor reach the server."""
    argv = granian_argv(host=host, port=port, workers=workers, threads=threads)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - fixed program, arguments built above
