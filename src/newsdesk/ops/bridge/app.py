"""The ASGI application: bodies received on the loop, the WSGI app run in a bounded pool."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from newsdesk.ops.bridge.body import (
    BodyLimits,
    Receive,
    Refusal,
    WaitingBodies,
    body_receive,
)
from newsdesk.ops.bridge.relay import (
    FromFile,
    Headers,
    Relay,
    Send,
    Whole,
    WSGIApp,
    wsgi_environ,
)

# How `newsdesk serve --threads` reaches the worker processes granian starts.
THREADS_VARIABLE = "NEWSDESK_SERVE_THREADS"

logger = logging.getLogger("newsdesk.server")

# The bridge's own answers are plain text that must not be framed, sniffed or run.
_REFUSAL_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"x-content-type-options", b"nosniff"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
    # The body was not read to the end: the connection cannot carry another request.
    (b"connection", b"close"),
]
_SERVER_ERROR = Refusal(500, "The server failed to answer this request. Try again later.")


class Bridge:
    """Serve a WSGI application through ASGI with bounded body reading (see the package doc).

    One instance per worker process; its pool has ``threads`` threads, as many as granian's
    WSGI interface had blocking threads, so Django sees the same concurrency as before.
    """

    def __init__(self, app: WSGIApp, *, limits: BodyLimits, threads: int) -> None:
        self.app = app
        self.limits = limits
        self.waiting = WaitingBodies(limits.waiting_max)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="newsdesk-web")

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        # Websockets are off (granian --no-ws), and newsdesk has none.

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                # Granian has finished the requests in flight; the idle threads can go.
                self.pool.shutdown(wait=False)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        body = await body_receive(
            receive, scope["headers"], limits=self.limits, waiting=self.waiting
        )
        if body is None:
            return  # the client left before its body was complete
        if isinstance(body, Refusal):
            logger.info(
                "answered %s to %s %s from %s before reading its whole body",
                body.status,
                scope["method"],
                scope["path"],
                (scope.get("client") or ("?",))[0],
            )
            await refuse(send, body)
            return
        loop = asyncio.get_running_loop()
        relay = Relay(
            self.app,
            wsgi_environ(scope, body),
            loop=loop,
            send=send,
            receive=receive,
            pause_seconds=self.limits.pause_seconds,
        )
        try:
            # From here the body belongs to the thread, which closes it when it is done.
            outcome = await loop.run_in_executor(self.pool, relay.run)
        except Exception:
            logger.exception("the WSGI application failed on %s %s", scope["method"], scope["path"])
            if not relay.streaming:
                await refuse(send, _SERVER_ERROR)
            return
        if isinstance(outcome, Whole):
            await _start(send, outcome.status, outcome.headers)
            await send({"type": "http.response.body", "body": outcome.body})
        elif isinstance(outcome, FromFile):
            await _start(send, outcome.status, outcome.headers)
            await send({"type": "http.response.pathsend", "path": outcome.path})


async def _start(send: Send, status: int, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})


async def refuse(send: Send, refusal: Refusal) -> None:
    body = refusal.text.encode("utf-8") + b"\n"
    headers = [*_REFUSAL_HEADERS, (b"content-length", str(len(body)).encode())]
    if refusal.retry_after is not None:
        headers.append((b"retry-after", str(refusal.retry_after).encode()))
    await _start(send, refusal.status, headers)
    await send({"type": "http.response.body", "body": body})
