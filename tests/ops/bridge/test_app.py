"""The bridge as an ASGI application: lifespan, refusals, bodies reaching WSGI (app.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from newsdesk.ops.bridge.app import Bridge
from newsdesk.ops.bridge.body import BodyLimits
from tests.ops.bridge.asgi_script import Message, Sent, body_message, http_scope, scripted

LIMITS = BodyLimits(max_bytes=10_000, pause_seconds=0.3, min_rate=1000, waiting_max=2)
StartResponse = Callable[..., Any]


def echo(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def _call(scope: dict[str, Any], steps: list[tuple[float, Message]]) -> Sent:
    bridge = Bridge(echo, limits=LIMITS, threads=1)
    sent = Sent()
    try:
        asyncio.run(bridge(scope, scripted(steps), sent))
    finally:
        bridge.pool.shutdown(wait=True)
    return sent


def test_lifespan_startup_and_shutdown_are_answered() -> None:
    bridge = Bridge(echo, limits=LIMITS, threads=1)
    sent = Sent()
    steps: list[tuple[float, Message]] = [
        (0, {"type": "lifespan.startup"}),
        (0, {"type": "lifespan.shutdown"}),
    ]
    asyncio.run(bridge({"type": "lifespan"}, scripted(steps), sent))
    assert [message["type"] for message in sent.messages] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


def test_a_body_in_pieces_reaches_the_wsgi_application_whole() -> None:
    headers = [(b"transfer-encoding", b"chunked")]
    steps = [(0, body_message(b"abc", more=True)), (0, body_message(b"def", more=False))]
    sent = _call(http_scope("POST", "/", headers=headers), steps)
    assert sent.status == 200 and sent.body == b"abcdef"


def test_a_refusal_closes_the_connection_and_cannot_be_run_or_framed() -> None:
    sent = _call(http_scope("POST", "/", headers=[(b"content-length", b"10001")]), [])
    assert sent.status == 413
    headers = sent.headers
    assert headers[b"connection"] == b"close"
    assert headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert headers[b"x-content-type-options"] == b"nosniff"
    assert b"frame-ancestors 'none'" in headers[b"content-security-policy"]
    assert int(headers[b"content-length"]) == len(sent.body)
    assert b"NEWSDESK_MAX_REQUEST_BYTES" in sent.body


def test_a_busy_refusal_says_when_to_come_back() -> None:
    async def scenario() -> Sent:
        bridge = Bridge(echo, limits=LIMITS, threads=1)
        scope = http_scope("POST", "/", headers=[(b"content-length", b"100")])
        waiting = [asyncio.create_task(bridge(scope, scripted([]), Sent())) for _ in range(2)]
        await asyncio.sleep(0.05)
        sent = Sent()
        await bridge(scope, scripted([]), sent)
        await asyncio.gather(*waiting)
        bridge.pool.shutdown(wait=True)
        return sent

    sent = asyncio.run(scenario())
    assert sent.status == 503
    assert sent.headers[b"retry-after"] == b"1"
