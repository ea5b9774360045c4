"""One WSGI call, made entirely in one thread of the bridge's pool, and its response.

Why one thread for all of it: Django keeps a database connection per thread, and the
response's ``close()`` sends ``request_finished``, which closes or recycles that connection. Run
the app in one thread and ``close()`` in another, and connections leak or are shared.

What comes back to the event loop:

- ``Whole``: the response, when it is small (almost every page): gathered in the thread and sent
  from the loop, so a client that reads slowly holds no thread;
- ``FromFile``: a large plain file (a static file or an uploaded image): the thread closes the
  response and the loop has granian send the file by its path (the ASGI pathsend extension),
  again without a thread;
- ``None``: any other large response was streamed by the thread itself, chunk by chunk, each
  chunk waiting for the client to take it for at most the pause limit (a client that stops
  reading cannot keep the thread), or the client left.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import os
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import unquote_to_bytes
from wsgiref.util import FileWrapper

from newsdesk.ops.bridge.body import Body, Message, Receive

Send = Callable[[Message], Awaitable[None]]


async def _sent(send: Send, message: Message) -> None:
    await send(message)


Headers = list[tuple[bytes, bytes]]
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

# Responses up to this size are gathered in the thread; larger ones are sent as files or streamed.
COLLECT_BYTES = 1024 * 1024
# Django reads files for a response in 4 KB blocks; larger blocks mean fewer trips to the loop.
FILE_BLOCK_BYTES = 64 * 1024


class ResponseFile(FileWrapper):
    """``wsgi.file_wrapper``: the standard library's, with larger blocks, and recognisable, so a
    large plain file can be sent by its path instead of through the thread."""

    def __init__(self, filelike: Any, blksize: int = FILE_BLOCK_BYTES) -> None:
        super().__init__(filelike, max(blksize, FILE_BLOCK_BYTES))


def wsgi_environ(scope: dict[str, Any], body: Body) -> dict[str, Any]:
    """PEP 3333's environ for an ASGI HTTP scope and its buffered body.

    Unlike granian's own WSGI interface, the process environment is not copied in: secrets in
    the environment have no business in ``request.META``.
    """
    # raw_path keeps what the client sent; PATH_INFO is its percent-decoded bytes as latin-1,
    # which is what Django decodes (scope["path"] would already have lost invalid UTF-8).
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = unquote_to_bytes(raw_path).decode("latin-1")
    script_name = scope.get("root_path", "").encode("utf-8").decode("latin-1")
    if script_name and path.startswith(script_name):
        path = path[len(script_name) :]
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "REMOTE_ADDR": str(client[0]) if client else "",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body.file,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": ResponseFile,
    }
    if body.declared or body.length:
        # The body is whole now, however it came (chunked, HTTP/2): Django reads this many bytes.
        environ["CONTENT_LENGTH"] = str(body.length)
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if "_" in name or name in ("content-length", "transfer-encoding"):
            # "X_Forwarded_Proto" would arrive as HTTP_X_FORWARDED_PROTO, posing as the header a
            # trusted proxy sets; nginx and Django's runserver drop such names for the same reason.
            continue
        if name == "content-type":
            environ["CONTENT_TYPE"] = value
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        if key in environ:
            # HTTP/2 sends each cookie as its own header; other repeated headers join with commas.
            value = environ[key] + ("; " if key == "HTTP_COOKIE" else ",") + value
        environ[key] = value
    return environ


@dataclass(frozen=True)
class Whole:
    status: int
    headers: Headers
    body: bytes


@dataclass(frozen=True)
class FromFile:
    status: int
    headers: Headers
    path: str


class _ClientGone(Exception):
    """The client disconnected or stopped reading: stop producing the response."""


class Relay:
    """The WSGI call of one request; ``run()`` is what the pool thread executes."""

    def __init__(
        self,
        app: WSGIApp,
        environ: dict[str, Any],
        *,
        loop: asyncio.AbstractEventLoop,
        send: Send,
        receive: Receive,
        pause_seconds: float,
    ) -> None:
        self.app = app
        self.environ = environ
        self.loop = loop
        self.send = send
        self.receive = receive
        self.pause_seconds = pause_seconds
        self.status: int | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.size = 0
        self.streaming = False  # the response's start has gone out from this thread
        # Set on the loop by the disconnect watcher, read by this request's thread: one flag
        # with one writer, so no lock (a late read costs one more chunk sent to nobody).
        self.client_left = False
        self._watcher: concurrent.futures.Future[None] | None = None

    def run(self) -> Whole | FromFile | None:
        result: Iterable[bytes] | None = None
        try:
            result = self.app(self.environ, self._start_response)
            path = self._large_file(result)
            if path is not None:
                return FromFile(self._status(), self.headers, path)
            for chunk in result:
                self._take(chunk)
            if self.streaming:
                self._send({"type": "http.response.body", "body": b"", "more_body": False})
                return None
            return Whole(self._status(), self.headers, b"".join(self.chunks))
        except _ClientGone:
            return None
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()  # in this thread: Django's request_finished runs here
            if self._watcher is not None:
                self._watcher.cancel()
            self.environ["wsgi.input"].close()

    def _start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.streaming:
            # PEP 3333: too late to replace the headers, so the error goes up as it is.
            raise exc_info[1].with_traceback(exc_info[2])
        self.status = int(status.split(" ", 1)[0])
        self.headers = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        ]
        return self._take  # PEP 3333's write(), for the rare app that still uses it

    def _status(self) -> int:
        if self.status is None:
            raise RuntimeError("the WSGI application returned without calling start_response()")
        return self.status

    def _large_file(self, result: Iterable[bytes]) -> str | None:
        """The path of a plain file over COLLECT_BYTES that is the whole response, else None."""
        if not isinstance(result, ResponseFile):
            return None
        filelike = result.filelike
        # Only an ordinary file read from its start (whitenoise's range answers use a wrapper).
        if type(filelike) is not io.BufferedReader or not isinstance(filelike.name, str):
            return None
        if not os.path.isabs(filelike.name) or filelike.tell() != 0:
            return None
        size = os.fstat(filelike.fileno()).st_size
        declared = dict(self.headers).get(b"content-length")
        if size <= COLLECT_BYTES or declared != str(size).encode():
            return None
        return filelike.name

    def _take(self, chunk: bytes) -> None:
        if not chunk:
            return
        if self.streaming:
            self._send({"type": "http.response.body", "body": bytes(chunk), "more_body": True})
            return
        self.chunks.append(bytes(chunk))
        self.size += len(chunk)
        if self.size > COLLECT_BYTES:
            self._stream_begin()

    def _stream_begin(self) -> None:
        self._watcher = asyncio.run_coroutine_threadsafe(self._watch_disconnect(), self.loop)
        start = {"type": "http.response.start", "status": self._status(), "headers": self.headers}
        self._send(start)
        self.streaming = True
        body, self.chunks = b"".join(self.chunks), []
        self._send({"type": "http.response.body", "body": body, "more_body": True})

    async def _watch_disconnect(self) -> None:
        # The body has been read, so the next message can only be the client leaving.
        while (await self.receive())["type"] != "http.disconnect":
            pass
        self.client_left = True

    def _send(self, message: Message) -> None:
        if self.client_left:
            raise _ClientGone
        # run_coroutine_threadsafe takes a coroutine; granian's send returns another awaitable.
        future = asyncio.run_coroutine_threadsafe(_sent(self.send, message), self.loop)
        try:
            # Granian's send waits while its buffer for this connection is full: a client that
            # takes nothing for this long has stopped reading.
            future.result(timeout=self.pause_seconds)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise _ClientGone from None
