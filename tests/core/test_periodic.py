"""run_periodically: rounds until stopped, a failing round logged and the next one run."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from newsdesk.core.periodic import run_periodically, wait_or_stop

# Each round starts by closing stale database connections, as a long-running process must.
pytestmark = pytest.mark.django_db


def test_rounds_repeat_until_stopped_and_a_failing_round_does_not_end_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stopping = threading.Event()
    seen: list[int] = []

    def job() -> None:
        seen.append(len(seen) + 1)
        if len(seen) == 2:
            raise RuntimeError("the database went away")
        if len(seen) == 4:
            stopping.set()

    with caplog.at_level(logging.ERROR, logger="newsdesk.core.periodic"):
        rounds = run_periodically(job, name="test job", interval=0.01, stopping=stopping)
    assert (rounds, seen) == (4, [1, 2, 3, 4])
    [record] = caplog.records
    assert "test job: the round failed" in record.getMessage()
    assert record.exc_info is not None and "went away" in str(record.exc_info[1])


def test_a_stop_ends_the_wait_between_rounds_at_once() -> None:
    stopping = threading.Event()
    rounds: list[int] = []
    loop = threading.Thread(
        target=lambda: rounds.append(
            run_periodically(lambda: None, name="idle", interval=3600, stopping=stopping)
        )
    )
    loop.start()
    time.sleep(0.2)
    started = time.monotonic()
    stopping.set()
    loop.join(5)
    assert not loop.is_alive()
    assert time.monotonic() - started < 2
    assert rounds == [1]


def test_a_loop_whose_parent_has_gone_stops() -> None:
    stopping = threading.Event()
    # No process has the pid -1: our parent is not the one named, as when the server that
    # started a worker has ended and the worker was adopted by init.
    wait_or_stop(stopping, 5, parent_pid=-1)
    assert stopping.is_set()
