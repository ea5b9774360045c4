"""Newsletter fixtures: a real SMTP server in this process, and helpers to read what arrived."""

from __future__ import annotations

import email
import email.policy
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from django.test import Client

from newsdesk.newsletter.models import Subscriber


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None, "no text/plain part"
        return part.get_content()

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None, "no text/html part"
        return part.get_content()

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s<>\"]+", self.text())


@dataclass
class Mailbox:
    """What the in-process SMTP server accepted, parsed with the ``email`` package."""

    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
            )
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def to(self, address: str) -> list[Received]:
        return [item for item in self.received if address in item.rcpt_tos]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server_running(handler: Any) -> Iterator[int]:
    """An aiosmtpd server with ``handler`` on a free loopback port, stopped afterwards."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def use_smtp_server(settings: Any, port: int) -> None:
    """Django's SMTP backend pointed at a server on this machine, without TLS or login."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    with smtp_server_running(mailbox) as port:
        yield mailbox, port


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int], settings: Any) -> Mailbox:
    """Django's SMTP backend pointed at the in-process server; the mailbox starts empty."""
    box, port = smtp_server
    use_smtp_server(settings, port)
    box.clear()
    return box


def wait_for(mailbox: Mailbox, count: int, timeout: float = 5.0) -> list[Received]:
    """The server stores a message just before it answers 250, so this rarely waits at all."""
    deadline = time.monotonic() + timeout
    while len(mailbox.received) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(mailbox.received)


def signup(client: Client, address: str, **extra: Any) -> Any:
    data = {"email": address, "website": "", **extra.pop("data", {})}
    return client.post("/subscribe/", data, **extra)


def subscriber(address: str) -> Subscriber:
    return Subscriber.objects.get(email_key=address.casefold())


@pytest.fixture
def site_home(home: Any) -> Any:
    """A publication, so the public pages render around the newsletter pages."""
    return home


# CI names its Redis here, and then it must answer; elsewhere the development machine's Redis is
# used if it answers (database 15, which nothing else here uses), and the Redis tests are skipped
# if it does not: the suite must pass on a machine without Redis.
TEST_REDIS_URL_ENV = "NEWSDESK_TEST_REDIS_URL"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def _forget_rate_limits(client: redis.Redis) -> None:
    for name in client.scan_iter("newsdesk:ratelimit:*"):
        client.delete(name)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real Redis with no rate-limit counts in it, before and after the test."""
    required = os.environ.get(TEST_REDIS_URL_ENV, "")
    url = required or DEFAULT_TEST_REDIS_URL
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if required:
            pytest.fail(f"{TEST_REDIS_URL_ENV}={url} does not answer: {exc}")
        pytest.skip(f"no Redis at {url}: {exc}")
    _forget_rate_limits(client)
    yield url
    _forget_rate_limits(client)
    client.close()


@pytest.fixture(params=["database", "redis"])
def limiter(request: pytest.FixtureRequest, settings: Any) -> str:
    """Run a test with the rate limits counted in the database, then in Redis."""
    settings.REDIS_URL = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    return str(request.param)
