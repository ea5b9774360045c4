"""Periodic jobs as commands that run once, or ``--loop`` until stopped.

Each periodic job of newsdesk (publishing scheduled pages, sending digests) is one command that
does one round and exits, which cron, a systemd timer or a healthchecks ping can run; with
``--loop`` the same command repeats its round at an interval and ends cleanly on SIGTERM or
SIGINT, for a supervisor that keeps one process per job. ``newsdesk worker`` runs the rounds of
all of them in one process (docs/architecture.md, "The process model").
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

from django.db import close_old_connections

logger = logging.getLogger(__name__)
# How often a waiting loop looks at its stop event and its parent: short, so that SIGTERM ends
# it at once and a loop started by `newsdesk serve` ends with the server.
_TICK = 0.5


def stop_on_signals(stopping: threading.Event) -> None:
    """Set ``stopping`` on SIGTERM and SIGINT (a supervisor's stop, Ctrl-C) instead of dying
    mid-round. Only the main thread may install handlers."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def wait_or_stop(stopping: threading.Event, seconds: float, *, parent_pid: int | None) -> None:
    """Wait ``seconds``, or less if stopped or if the process that started this one has gone."""
    deadline = time.monotonic() + seconds
    while not stopping.is_set() and time.monotonic() < deadline:
        if parent_pid and os.getppid() != parent_pid:
            stopping.set()
        stopping.wait(min(_TICK, max(0.0, deadline - time.monotonic())))


def run_periodically(
    job: Callable[[], None],
    *,
    name: str,
    interval: float,
    stopping: threading.Event,
    parent_pid: int | None = None,
) -> int:
    """Run ``job`` every ``interval`` seconds until ``stopping`` is set; returns the rounds run.

    A round that raises is logged and the next one tries again: a loop is for a long-running
    process, which must outlive a database restart or one bad digest. The interval is counted
    from the start of each round, so a slow round is followed at once by the next.
    """
    rounds = 0
    while not stopping.is_set():
        started = time.monotonic()
        # A long-running process: drop a connection the database closed or that is too old,
        # as Django does between requests.
        close_old_connections()
        try:
            job()
        except Exception:
            logger.exception("%s: the round failed; trying again in %.0f s", name, interval)
        rounds += 1
        wait_or_stop(stopping, interval - (time.monotonic() - started), parent_pid=parent_pid)
    return rounds
