"""Receiving a request's body on the event loop, before any thread is given to the request.

Three bounds, all per worker process:

- size: a declared ``Content-Length`` over the limit is refused at once with 413 (before the
  client is told to continue), and a body without one is refused as soon as it grows past it;
- time: the client gets a grace period, then must keep up a minimum average rate, and may never
  pause longer than the grace period; a late body gets 408;
- count: only so many requests may be waiting on their body at once; the next gets 503 with
  ``Retry-After``. Requests without a body (every page a reader asks for) never count, so they
  are answered whatever slow senders are doing.

A refused request's body is not read to the end, so granian closes its connection after the
answer: the slow client loses its connection, not just its request.
"""

from __future__ import annotations

import asyncio
import io
import math
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]

# Bodies up to this size stay in memory; a larger one (an image upload) goes to a temporary file
# as it arrives, so that the requests allowed to wait at once hold little memory between them.
SPOOL_BYTES = 256 * 1024


@dataclass(frozen=True)
class BodyLimits:
    """How much, how slowly and how many: see the module's docstring and docs/deploy.md."""

    max_bytes: int
    pause_seconds: float
    min_rate: float  # bytes per second, on average, once the grace period is over
    waiting_max: int

    def deadline(self, started: float, received: int) -> float:
        """The time by which more of the body must have arrived.

        It moves forward with every byte received, so a steady upload of any allowed size at the
        minimum rate or faster finishes, while a client that trickles or stops falls behind and
        is cut off about ``pause_seconds`` later.
        """
        return started + self.pause_seconds + received / self.min_rate


class WaitingBodies:
    """How many requests of this worker are receiving their body now, with a ceiling.

    Every request of a worker shares one of these. Granian runs them on one event loop, but the
    count is kept under a lock anyway: it then stays right if requests are ever served from
    several threads, and a wrong count would either refuse everyone or bound no one.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        with self._lock:
            return self._count

    def try_enter(self) -> bool:
        """Take a place if one is free; False when ``limit`` requests are already waiting."""
        with self._lock:
            if self._count >= self.limit:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            if self._count <= 0:
                raise RuntimeError("WaitingBodies.leave() without a matching try_enter()")
            self._count -= 1


@dataclass(frozen=True)
class Refusal:
    """An answer the bridge gives itself, before Django sees the request."""

    status: int
    text: str
    retry_after: int | None = None


@dataclass
class Body:
    """A whole request body: ``file`` is at its start and holds ``length`` bytes."""

    file: BinaryIO
    length: int
    declared: bool  # the client sent Content-Length or Transfer-Encoding


def _size(count: float) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count:,.0f} bytes"


def too_large(limits: BodyLimits) -> Refusal:
    return Refusal(
        413,
        f"This request is larger than this site accepts ({_size(limits.max_bytes)}). Send a "
        "smaller file or form; the site's operator can raise NEWSDESK_MAX_REQUEST_BYTES.",
    )


def too_late(limits: BodyLimits) -> Refusal:
    return Refusal(
        408,
        "The request's body did not arrive in time: it paused for more than "
        f"{limits.pause_seconds:g} seconds, or came slower than {_size(limits.min_rate)} a "
        "second. Check the connection and send it again.",
    )


def too_busy(limits: BodyLimits) -> Refusal:
    wait = max(1, math.ceil(limits.pause_seconds))
    return Refusal(
        503,
        "Too many requests are sending data to this server at once. Try again in a few seconds.",
        retry_after=wait,
    )


def bad_length() -> Refusal:
    return Refusal(
        400,
        "The Content-Length header is not a single whole number. Send the request again with a "
        "correct Content-Length (or none).",
    )


def declared_body(headers: Iterable[tuple[bytes, bytes]]) -> tuple[int | None, bool] | Refusal:
    """The declared Content-Length (None when absent) and whether the body is chunked."""
    lengths: set[bytes] = set()
    chunked = False
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"content-length":
            lengths.add(value.strip())
        elif lowered == b"transfer-encoding":
            chunked = True
    if not lengths:
        return None, chunked
    if len(lengths) > 1:
        return bad_length()
    (raw,) = lengths
    if not raw.isdigit():
        return bad_length()
    return int(raw), chunked


class _Buffer:
    """The body as it arrives: in memory while small, then in an anonymous temporary file."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.length = 0
        self.spool: BinaryIO | None = None

    def add(self, chunk: bytes) -> None:
        self.length += len(chunk)
        if self.spool is not None:
            self.spool.write(chunk)
            return
        self.parts.append(chunk)
        if self.length > SPOOL_BYTES:
            # Not a with-block: the file outlives this method, as the request's wsgi.input.
            self.spool = tempfile.TemporaryFile()
            for part in self.parts:
                self.spool.write(part)
            self.parts = []

    def file(self) -> BinaryIO:
        if self.spool is None:
            return io.BytesIO(b"".join(self.parts))
        self.spool.seek(0)
        return self.spool

    def discard(self) -> None:
        if self.spool is not None:
            self.spool.close()


async def body_receive(
    receive: Receive,
    headers: Iterable[tuple[bytes, bytes]],
    *,
    limits: BodyLimits,
    waiting: WaitingBodies,
) -> Body | Refusal | None:
    """The whole body of an ASGI request, a refusal to answer instead, or None when the client
    disconnected (there is nobody left to answer)."""
    declared = declared_body(headers)
    if isinstance(declared, Refusal):
        return declared
    length, chunked = declared
    if length is not None and length > limits.max_bytes:
        return too_large(limits)
    # A request that announces a body takes its place before the first byte, so a client that
    # sends its headers and then nothing is counted too. One that announced nothing (a GET) is
    # counted only if its body turns out to come in pieces (HTTP/2 may send one without a length).
    entered = bool(chunked or length)
    if entered and not waiting.try_enter():
        return too_busy(limits)
    buffer = _Buffer()
    finished = False
    try:
        started = time.monotonic()
        while True:
            now = time.monotonic()
            wait = min(limits.deadline(started, buffer.length) - now, limits.pause_seconds)
            if wait <= 0:
                return too_late(limits)
            try:
                async with asyncio.timeout(wait):
                    message = await receive()
            except TimeoutError:
                return too_late(limits)
            if message["type"] == "http.disconnect":
                return None
            buffer.add(message.get("body", b""))
            if buffer.length > limits.max_bytes:
                return too_large(limits)
            if not message.get("more_body", False):
                finished = True
                return Body(buffer.file(), buffer.length, declared=length is not None or chunked)
            if not entered:
                if not waiting.try_enter():
                    return too_busy(limits)
                entered = True
    finally:
        if entered:
            waiting.leave()
        if not finished:
            buffer.discard()
