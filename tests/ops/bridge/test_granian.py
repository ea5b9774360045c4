"""The bridge under a real granian (ASGI): large streamed responses and clients that stop
reading them. ``served.py`` is the application; granian runs as a subprocess on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ops.bridge.served import CHUNK, CHUNKS
from tests.ops.serve_process import free_port, raw_exchange

ROOT = Path(__file__).resolve().parents[3]
GRANIAN = Path(sys.executable).with_name("granian")


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    log = tmp_path_factory.mktemp("granian") / "granian.log"
    paths = [str(ROOT), *os.environ.get("PYTHONPATH", "").split(os.pathsep)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in paths if path)}
    argv = [str(GRANIAN), "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--no-ws", "tests.ops.bridge.served:application"]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            argv, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while not _answers(port):
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)


def _answers(port: int) -> bool:
    try:
        return (
            raw_exchange(
                port, b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", limit=2
            ).status
            == 200
        )
    except ConnectionRefusedError:
        return False  # not listening yet


def _small(port: int) -> tuple[int | None, float]:
    started = time.monotonic()
    answer = raw_exchange(port, b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return answer.status, time.monotonic() - started


def test_a_response_streamed_in_many_chunks_arrives_whole(port: int) -> None:
    head = b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = raw_exchange(port, head, limit=20)
    assert answer.status == 200
    assert answer.data.split(b"\r\n\r\n", 1)[1] == CHUNK * CHUNKS


def test_a_client_that_stops_reading_a_stream_loses_it_and_frees_the_thread(port: int) -> None:
    head = b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
    with ThreadPoolExecutor(1) as pool:
        stalled = pool.submit(raw_exchange, port, head, read=False, limit=6)
        time.sleep(0.3)
        # The only thread is blocked on the stalled client's send until the 1 s pause limit.
        status, seconds = _small(port)
        stalled.result()
    assert status == 200
    # It waited for the thread (the stalled send held it) until the 1 s limit let it go.
    assert 0.4 < seconds < 1 + 2.0


def test_a_client_that_leaves_mid_stream_stops_the_stream(port: int) -> None:
    head = b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"
    raw_exchange(port, head, read=False, limit=0.3)  # sends the request, then closes
    status, seconds = _small(port)
    assert status == 200 and seconds < 0.9  # well before the 1 s limit: nothing held it
    answer = raw_exchange(port, b"GET /produced HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    produced = int(answer.data.split(b"\r\n\r\n", 1)[1])
    # The disconnect was noticed and the rest of the 16 MB was never made.
    assert produced < CHUNKS
