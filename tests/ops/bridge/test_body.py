"""Receiving request bodies on the event loop: size, time and count limits (ops/bridge/body.py)."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from newsdesk.ops.bridge.body import (
    SPOOL_BYTES,
    Body,
    BodyLimits,
    Refusal,
    WaitingBodies,
    body_receive,
)
from tests.ops.bridge.asgi_script import Message, Receive, body_message, scripted

T = TypeVar("T")

LIMITS = BodyLimits(max_bytes=100_000, pause_seconds=0.3, min_rate=1000, waiting_max=4)
DECLARED = [(b"content-length", b"100000")]
CHUNKED = [(b"transfer-encoding", b"chunked")]


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


async def _receive(
    receive: Receive,
    headers: list[tuple[bytes, bytes]],
    limits: BodyLimits = LIMITS,
    waiting: WaitingBodies | None = None,
) -> tuple[Body | Refusal | None, float]:
    started = time.monotonic()
    result = await body_receive(
        receive, headers, limits=limits, waiting=waiting or WaitingBodies(limits.waiting_max)
    )
    return result, time.monotonic() - started


async def _never(*args: object) -> Message:
    raise AssertionError("the body was read, but the request should have been refused unread")


def test_a_declared_body_over_the_limit_is_refused_unread() -> None:
    waiting = WaitingBodies(4)
    result, _ = run(_receive(_never, [(b"content-length", b"100001")], waiting=waiting))
    assert isinstance(result, Refusal) and result.status == 413
    assert "NEWSDESK_MAX_REQUEST_BYTES" in result.text and "100,000 bytes" in result.text
    assert waiting.count == 0


def test_a_body_that_stops_is_refused_after_the_pause() -> None:
    receive = scripted([(0, body_message(b"email=a", more=True))])
    result, seconds = run(_receive(receive, DECLARED))
    assert isinstance(result, Refusal) and result.status == 408
    assert "did not arrive in time" in result.text
    assert 0.25 <= seconds < 1.0


def test_a_body_trickling_below_the_minimum_rate_is_refused() -> None:
    # One byte every 50 ms never pauses long, but falls behind 1000 bytes a second at once.
    receive = scripted([(0.05, body_message(b"x", more=True))] * 100)
    result, seconds = run(_receive(receive, DECLARED))
    assert isinstance(result, Refusal) and result.status == 408
    assert seconds < 1.0


def test_a_steady_body_at_the_minimum_rate_arrives_whole_after_the_pause() -> None:
    # 200 bytes every 10 ms (20 KB/s, over the 1 KB/s minimum) for longer than the 0.3 s pause.
    chunks = [os.urandom(200) for _ in range(60)]
    steps = [(0.01, body_message(chunk, more=True)) for chunk in chunks]
    steps.append((0, body_message(b"", more=False)))
    result, seconds = run(_receive(scripted(steps), [(b"content-length", b"12000")]))
    assert isinstance(result, Body), result
    assert result.file.read() == b"".join(chunks) and result.length == 12_000
    assert seconds > LIMITS.pause_seconds


def test_a_chunked_body_growing_past_the_limit_is_refused() -> None:
    limits = BodyLimits(max_bytes=1000, pause_seconds=1, min_rate=1000, waiting_max=4)
    steps = [(0, body_message(b"x" * 600, more=True))] * 3
    result, _ = run(_receive(scripted(steps), CHUNKED, limits))
    assert isinstance(result, Refusal) and result.status == 413


@pytest.mark.parametrize("value", [[b"12x"], [b"-1"], [b"10", b"11"]])
def test_a_malformed_content_length_is_refused(value: list[bytes]) -> None:
    headers = [(b"content-length", item) for item in value]
    result, _ = run(_receive(_never, headers))
    assert isinstance(result, Refusal) and result.status == 400
    assert "Content-Length" in result.text


def test_a_large_body_is_spooled_to_a_file_and_arrives_whole() -> None:
    data = os.urandom(SPOOL_BYTES * 3)
    pieces = [data[i : i + 16_384] for i in range(0, len(data), 16_384)]
    steps = [(0, body_message(piece, more=True)) for piece in pieces]
    steps.append((0, body_message(b"", more=False)))
    limits = BodyLimits(max_bytes=len(data), pause_seconds=2, min_rate=1000, waiting_max=1)
    headers = [(b"content-length", str(len(data)).encode())]
    result, _ = run(_receive(scripted(steps), headers, limits))
    assert isinstance(result, Body)
    assert not isinstance(result.file, io.BytesIO)  # on disk, not in memory
    assert result.file.read() == data


def test_a_client_that_leaves_mid_body_frees_its_place() -> None:
    waiting = WaitingBodies(1)
    receive = scripted([(0, body_message(b"ab", more=True))], then_leave=True)
    result, _ = run(_receive(receive, DECLARED, waiting=waiting))
    assert result is None
    assert waiting.count == 0


def test_requests_waiting_beyond_the_limit_get_503_and_bodiless_requests_still_pass() -> None:
    async def scenario() -> tuple[list[Any], Any, Any, int, int]:
        limits = BodyLimits(max_bytes=100_000, pause_seconds=0.5, min_rate=1000, waiting_max=3)
        waiting = WaitingBodies(limits.waiting_max)
        stalled = [
            asyncio.create_task(_receive(scripted([]), DECLARED, limits, waiting)) for _ in range(3)
        ]
        await asyncio.sleep(0.05)
        full = waiting.count
        extra, _ = await _receive(scripted([]), DECLARED, limits, waiting)
        get, _ = await _receive(scripted([(0, body_message(b"", more=False))]), [], limits, waiting)
        results = [result for result, _ in await asyncio.gather(*stalled)]
        return results, extra, get, full, waiting.count

    results, extra, get, full, after = run(scenario())
    assert full == 3
    assert isinstance(extra, Refusal) and extra.status == 503 and extra.retry_after == 1
    assert isinstance(get, Body) and get.length == 0
    assert [result.status for result in results] == [408, 408, 408]
    assert after == 0


def test_a_body_sent_in_pieces_without_a_declared_length_takes_a_place() -> None:
    # HTTP/2 may send a body without Content-Length: it counts as soon as it comes in pieces.
    async def scenario() -> Any:
        waiting = WaitingBodies(1)
        assert waiting.try_enter()
        steps = [(0, body_message(b"a", more=True))]
        result, _ = await _receive(scripted(steps), [], LIMITS, waiting)
        return result

    result = run(scenario())
    assert isinstance(result, Refusal) and result.status == 503


def test_the_waiting_count_holds_its_limit_under_many_threads() -> None:
    waiting = WaitingBodies(5)
    holding = 0
    most = 0
    refused = 0
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer() -> None:
        nonlocal holding, most, refused
        start.wait()
        for _ in range(300):
            if waiting.try_enter():
                with lock:
                    holding += 1
                    most = max(most, holding)
                time.sleep(0.0005)  # hold the place while the other threads try for one
                with lock:
                    holding -= 1
                waiting.leave()
            else:
                with lock:
                    refused += 1

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waiting.count == 0
    # Every place was used, never one more, and with eight threads for five some were refused.
    assert most == 5
    assert refused > 0
    with pytest.raises(RuntimeError, match="without a matching try_enter"):
        waiting.leave()
