"""A real ``newsdesk serve`` for tests, and clients that speak raw HTTP/1.1 to it.

The server runs exactly as an operator starts it, as a subprocess in its own process group, on a
free loopback port, over a database from ``tests/process_database.py``. Raw sockets, because the
behaviour under test is what a slow or misbehaving client does byte by byte.
"""

from __future__ import annotations

import http.client
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.process_database import NEWSDESK, ProcessDatabase

START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def connection(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(
        self, path: str, timeout: float = 30.0
    ) -> tuple[int, http.client.HTTPMessage, bytes, float]:
        """Status, headers (any case), body and seconds taken, on a new connection."""
        started = time.monotonic()
        connection = self.connection(timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            return response.status, response.headers, body, time.monotonic() - started
        finally:
            connection.close()

    def stop(self) -> None:
        """SIGTERM to the process group (granian's workers are in it), SIGKILL if it lingers."""
        for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _wait_until_up(server: ServeProcess) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"newsdesk serve exited:\n{server.log.read_text()}")
        try:
            if server.get("/robots.txt", timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"newsdesk serve did not answer:\n{server.log.read_text()}")


@contextmanager
def serve_running(
    database: ProcessDatabase, *, threads: int, **extra_env: str
) -> Iterator[ServeProcess]:
    port = free_port()
    env = database.env(site_url=f"http://127.0.0.1:{port}", **extra_env)
    log = database.data_dir / f"serve-{port}.log"
    argv = [str(NEWSDESK), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--workers", "1", "--threads", str(threads)]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            argv, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = ServeProcess(port, process, log)
    try:
        _wait_until_up(server)
        yield server
    finally:
        server.stop()


@dataclass
class RawExchange:
    """What one raw client saw: the bytes of the answer, and when (seconds after it started)
    the first byte of the answer came and when the server closed the connection."""

    data: bytes = b""
    answered: float | None = None
    closed: float | None = None
    sent: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> int | None:
        if not self.data.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")):
            return None
        return int(self.data[9:12])

    def header(self, name: str) -> str | None:
        head = self.data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        for line in head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


def raw_exchange(
    port: int,
    head: bytes,
    *,
    body: bytes = b"",
    trickle: bytes = b"",
    every: float = 0.5,
    limit: float = 20.0,
    read: bool = True,
) -> RawExchange:
    """Send ``head`` and ``body``; then, until the server closes the connection (or ``limit``
    seconds pass), send ``trickle`` every ``every`` seconds (nothing when empty) and read the
    answer (unless ``read`` is False: a client that never reads)."""
    seen = RawExchange()
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        if not read:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(head + body)
        seen.sent = len(body)
        next_send = started + every
        while time.monotonic() - started < limit:
            timeout = max(0.0, min(next_send, started + limit) - time.monotonic())
            readable, _, _ = select.select([sock] if read else [], [], [], timeout)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    seen.closed = time.monotonic() - started
                    return seen
                if seen.answered is None:
                    seen.answered = time.monotonic() - started
                seen.data += chunk
            if trickle and time.monotonic() >= next_send:
                try:
                    sock.sendall(trickle)
                    seen.sent += len(trickle)
                except OSError as error:
                    seen.errors.append(str(error))
                    trickle = b""
            if time.monotonic() >= next_send:
                next_send += every
    return seen
