"""The WSGI side of the bridge: the environ Django sees, and how responses go back (relay.py)."""

from __future__ import annotations

import asyncio
import io
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from newsdesk.ops.bridge.app import Bridge
from newsdesk.ops.bridge.body import Body, BodyLimits
from newsdesk.ops.bridge.relay import COLLECT_BYTES, wsgi_environ
from tests.ops.bridge.asgi_script import Sent, body_message, http_scope, scripted

LIMITS = BodyLimits(max_bytes=1_000_000, pause_seconds=0.5, min_rate=1000, waiting_max=8)
StartResponse = Callable[..., Any]


def test_the_environ_is_what_a_wsgi_server_gives_django() -> None:
    scope = http_scope(
        "POST",
        "/café/\ufffd",
        raw_path=b"/caf%C3%A9/%FF",
        query_string=b"q=a%20b",
        headers=[
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"transfer-encoding", b"chunked"),
            (b"cookie", b"a=1"),
            (b"cookie", b"b=2"),
            (b"accept", b"text/html"),
            (b"accept", b"*/*"),
            (b"x-forwarded-proto", b"http"),
            (b"x_forwarded_proto", b"https"),
        ],
    )
    environ = wsgi_environ(scope, Body(io.BytesIO(b"email=x"), 7, declared=True))
    # Percent-decoded bytes as latin-1, as PEP 3333 has it; Django decodes them as UTF-8.
    assert environ["PATH_INFO"].encode("latin-1") == b"/caf\xc3\xa9/\xff"
    assert environ["QUERY_STRING"] == "q=a%20b"
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert environ["CONTENT_LENGTH"] == "7"  # the chunked body, now whole
    assert "HTTP_TRANSFER_ENCODING" not in environ
    assert environ["HTTP_COOKIE"] == "a=1; b=2"
    assert environ["HTTP_ACCEPT"] == "text/html,*/*"
    # The underscore spelling cannot pose as the header a trusted proxy sets.
    assert environ["HTTP_X_FORWARDED_PROTO"] == "http"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("127.0.0.1", "8000")
    assert environ["REMOTE_ADDR"] == "127.0.0.1"
    assert environ["wsgi.input"].read() == b"email=x"
    # Nothing of the server's own environment (granian's WSGI interface copies it in).
    assert "PATH" not in environ and not any(key in os.environ for key in environ)


def test_a_get_without_a_body_has_no_content_length() -> None:
    environ = wsgi_environ(http_scope(), Body(io.BytesIO(), 0, declared=False))
    assert "CONTENT_LENGTH" not in environ


def _serve(
    app: Callable[[dict[str, Any], StartResponse], Any],
    *,
    sent: Sent | None = None,
    threads: int = 2,
    requests: int = 1,
    limits: BodyLimits = LIMITS,
) -> list[Sent]:
    """Run ``requests`` GETs at once through a Bridge around ``app``; what each one was sent."""
    bridge = Bridge(app, limits=limits, threads=threads)

    async def all_requests() -> list[Sent]:
        records = [sent or Sent() for _ in range(requests)]
        await asyncio.gather(
            *(
                bridge(http_scope(), scripted([(0, body_message(b"", more=False))]), record)
                for record in records
            )
        )
        return records

    try:
        return asyncio.run(all_requests())
    finally:
        bridge.pool.shutdown(wait=True)


class ThreadRecorder:
    """A WSGI app whose response is a generator; it notes the thread of each step."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.lock = threading.Lock()
        self.steps: list[tuple[str, int]] = []

    def _note(self, step: str) -> None:
        with self.lock:
            self.steps.append((step, threading.get_ident()))

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        self._note("call")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._Response(self)

    class _Response:
        def __init__(self, app: ThreadRecorder) -> None:
            self.app = app

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self.app.chunks:
                self.app._note("iterate")
                time.sleep(0.001)
                yield chunk

        def close(self) -> None:
            self.app._note("close")


def test_each_request_is_called_iterated_and_closed_in_one_pool_thread() -> None:
    app = ThreadRecorder([b"a", b"b"])
    records = _serve(app, threads=3, requests=12)
    assert all(record.status == 200 and record.body == b"ab" for record in records)
    # 12 requests: a call, two iterations and a close each. Group each request's steps by
    # following them in order within its thread (a thread runs one request at a time).
    by_thread: dict[int, list[str]] = {}
    for step, ident in app.steps:
        by_thread.setdefault(ident, []).append(step)
    assert threading.get_ident() not in by_thread  # never the test's (the loop's) thread
    assert 1 <= len(by_thread) <= 3
    for steps in by_thread.values():
        assert "".join(step[0] for step in steps) == "ciic" * (len(steps) // 4)


def test_a_large_streamed_response_arrives_whole_and_in_order() -> None:
    chunks = [os.urandom(10_000) for _ in range(300)]  # 3 MB, over COLLECT_BYTES
    app = ThreadRecorder(chunks)
    (record,) = _serve(app)
    assert record.status == 200 and record.body == b"".join(chunks)
    assert len(record.messages) > 10  # streamed, not gathered
    assert [step for step, _ in app.steps][-1] == "close"
    assert len({ident for _, ident in app.steps}) == 1


def test_a_large_file_is_handed_to_the_server_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "picture.bin"
    path.write_bytes(os.urandom(COLLECT_BYTES + 1))
    opened: list[Any] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        handle = path.open("rb")
        opened.append(handle)
        start_response("200 OK", [("Content-Length", str(path.stat().st_size))])
        return environ["wsgi.file_wrapper"](handle, 4096)

    (record,) = _serve(app)
    assert record.status == 200
    assert record.messages[-1] == {"type": "http.response.pathsend", "path": str(path)}
    assert opened[0].closed  # closed in the thread; the server opens the path itself


def test_a_small_file_is_sent_as_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "site.css"
    path.write_bytes(b"body { color: black }" * 5000)  # 105 KB: in many 64 KB blocks

    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        start_response("200 OK", [("Content-Length", str(path.stat().st_size))])
        return environ["wsgi.file_wrapper"](path.open("rb"), 4096)

    (record,) = _serve(app)
    assert record.body == path.read_bytes()


def test_a_client_that_stops_reading_a_streamed_response_frees_the_thread() -> None:
    app = ThreadRecorder([b"x" * 100_000] * 30)
    started = time.monotonic()
    (record,) = _serve(app, sent=Sent(block_bodies=True))
    seconds = time.monotonic() - started
    # The thread gave up on the first body chunk after the pause limit, and closed the response.
    assert seconds < LIMITS.pause_seconds + 2
    assert [step for step, _ in app.steps][-1] == "close"
    assert [message["type"] for message in record.messages] == ["http.response.start"]


def test_an_application_error_answers_500() -> None:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Any:
        raise RuntimeError("broken")

    (record,) = _serve(app)
    assert record.status == 500
    assert b"failed to answer" in record.body
