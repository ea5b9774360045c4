"""An ASGI client in the test process: scripted receive() messages and a record of send().

The bridge is an ASGI application; these drive it on a real event loop, with real threads and
real timing. What a real server adds (granian's buffering, sockets) is tested in test_serve.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]


def scripted(steps: list[tuple[float, Message]], *, then_leave: bool = False) -> Receive:
    """receive() for a client that sends ``steps`` (a delay before each message), then stalls
    forever, or disconnects when ``then_leave``."""
    remaining = list(steps)

    async def receive() -> Message:
        if not remaining:
            if then_leave:
                return {"type": "http.disconnect"}
            await asyncio.Event().wait()  # a client that sends nothing more
        delay, message = remaining.pop(0)
        await asyncio.sleep(delay)
        return message

    return receive


def body_message(body: bytes, *, more: bool) -> Message:
    return {"type": "http.request", "body": body, "more_body": more}


def http_scope(
    method: str = "GET",
    path: str = "/",
    *,
    headers: list[tuple[bytes, bytes]] | None = None,
    raw_path: bytes | None = None,
    query_string: bytes = b"",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode(),
        "query_string": query_string,
        "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", "8000"),
        "extensions": {"http.response.pathsend": {}},
    }


@dataclass
class Sent:
    """What the application sent, in order; ``block_bodies`` makes every body send wait forever,
    like a client that stopped reading once the server's buffer is full."""

    messages: list[Message] = field(default_factory=list)
    block_bodies: bool = False

    async def __call__(self, message: Message) -> None:
        if self.block_bodies and message["type"] == "http.response.body":
            await asyncio.Event().wait()
        self.messages.append(message)

    @property
    def status(self) -> int:
        starts = [m for m in self.messages if m["type"] == "http.response.start"]
        assert len(starts) == 1, self.messages
        return int(starts[0]["status"])

    @property
    def headers(self) -> dict[bytes, bytes]:
        (start,) = [m for m in self.messages if m["type"] == "http.response.start"]
        return dict(start["headers"])

    @property
    def body(self) -> bytes:
        bodies = [m for m in self.messages if m["type"] == "http.response.body"]
        assert bodies and not bodies[-1].get("more_body", False), "the response never ended"
        return b"".join(m.get("body", b"") for m in bodies)
