"""Preparing and starting the production web server: granian running newsdesk's WSGI app through
the bridge in ``ops/bridge`` (bounded request bodies), static files by whitenoise."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

import newsdesk
from newsdesk.ops.bridge.app import THREADS_VARIABLE


def static_files_ensure() -> None:
    """Collect static files once per newsdesk version (the hashed manifest lets whitenoise serve
    them with far-future cache headers); later starts skip the few seconds this takes."""
    stamp = Path(settings.STATIC_ROOT) / ".newsdesk-version"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == newsdesk.__version__:
        return
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(newsdesk.__version__, encoding="utf-8")


def granian_argv(*, host: str, port: int, workers: int) -> list[str]:
    """Granian's ASGI interface: its event loop waits on request bodies, and the bridge runs
    Django in its own pool of threads (granian's blocking threads stay at one, the loop's)."""
    granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or "granian"
    # uvloop when installed (a dependency except on Windows): the bridge costs noticeably less
    # CPU on it. Named, not "auto", which would prefer the experimental rloop if present.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return [
        granian,
        "--interface",
        "asgi",
        "--loop",
        loop,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--respawn-failed-workers",
        "--no-ws",
        "newsdesk.ops.bridge.asgi:application",
    ]


def worker_start_beside(*, interval: float) -> None:
    """``newsdesk worker`` beside the server (digests, signup emails, queued tasks). It exits
    when the server does: the server replaces this process, so the worker's parent pid is the
    server's."""
    subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [
            sys.executable,
            "-m",
            "newsdesk.cli",
            "worker",
            "--interval",
            str(interval),
            "--parent-pid",
            str(os.getpid()),
        ]
    )


def exec_server(*, host: str, port: int, workers: int, threads: int) -> None:
    """Replace this process with granian, so signals from a supervisor reach the server."""
    argv = granian_argv(host=host, port=port, workers=workers)
    os.environ[THREADS_VARIABLE] = str(threads)
    sys.stdout.flush()
    os.execv(argv[0], argv)  # noqa: S606 - fixed program, arguments built above
