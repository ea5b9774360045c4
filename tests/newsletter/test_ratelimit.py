"""Client IP behind trusted proxies, and the limiter: in the database, or in Redis."""

from __future__ import annotations

import copy
import logging
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import redis
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.utils import load_backend
from django.test import RequestFactory
from django.utils import timezone

from newsdesk.newsletter.models import RateLimitBucket
from newsdesk.newsletter.subscriptions.ratelimit import client_ip, ip_limit_key, ratelimit_hit
from tests.newsletter.conftest import free_port


def _ip(settings: object, proxies: int, remote: str, forwarded: str | None) -> str:
    settings.NEWSDESK_TRUSTED_PROXIES = proxies  # type: ignore[attr-defined]
    settings.NEWSDESK_PROXY_ADDRESSES = ("10.0.0.0/8", "::1/128")  # type: ignore[attr-defined]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **extra))


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "expected"),
    [
        # No proxies configured: the header is the client's to invent, so it is ignored.
        (0, "203.0.113.9", "198.51.100.1", "203.0.113.9"),
        # One proxy: it appended the address it saw, the rightmost entry.
        (1, "10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # left part is forged
        # Two proxies: the second from the right.
        (2, "10.0.0.3", "6.6.6.6, 198.51.100.1, 10.0.0.2", "198.51.100.1"),
        # Fewer hops than proxies: not through every proxy, so not trusted.
        (2, "10.0.0.3", "198.51.100.1", "10.0.0.3"),
        (1, "10.0.0.2", None, "10.0.0.2"),
        (1, "10.0.0.2", " , ", "10.0.0.2"),
        # Not an address at all.
        (1, "10.0.0.2", "evil, <script>", "10.0.0.2"),
        (1, "10.0.0.2", "2001:DB8::1", "2001:db8::1"),
        # A peer that is not one of the proxies (the port reached directly): header ignored.
        (1, "203.0.113.50", "198.51.100.1", "203.0.113.50"),
        (1, "::ffff:10.0.0.2", "198.51.100.1", "198.51.100.1"),
        (1, "::1", "198.51.100.1", "198.51.100.1"),
    ],
)
def test_client_ip(
    settings: object, proxies: int, remote: str, forwarded: str | None, expected: str
) -> None:
    assert _ip(settings, proxies, remote, forwarded) == expected


def test_ipv6_clients_are_limited_per_64() -> None:
    assert ip_limit_key("2001:db8:1:2:aaaa::1") == ip_limit_key("2001:db8:1:2:bbbb::9")
    assert ip_limit_key("2001:db8:1:2::1") != ip_limit_key("2001:db8:1:3::1")
    assert ip_limit_key("::ffff:203.0.113.9") == ip_limit_key("203.0.113.9")
    assert ip_limit_key("203.0.113.9") != ip_limit_key("203.0.113.10")


@pytest.mark.django_db
def test_limit_counts_per_key_and_window(limiter: str) -> None:
    window = timedelta(hours=1)
    assert [ratelimit_hit(key="a", limit=3, window=window) for _ in range(5)] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert ratelimit_hit(key="b", limit=3, window=window)
    later = timezone.now() + window
    with mock.patch("django.utils.timezone.now", return_value=later):
        assert ratelimit_hit(key="a", limit=3, window=window)


@pytest.mark.django_db
def test_keys_are_hashed_and_old_buckets_removed() -> None:
    ratelimit_hit(key="address:ann@example.org", limit=3, window=timedelta(hours=1))
    assert not RateLimitBucket.objects.filter(key__contains="ann").exists()
    later = timezone.now() + timedelta(days=3)
    with mock.patch("django.utils.timezone.now", return_value=later):
        ratelimit_hit(key="other", limit=3, window=timedelta(hours=1))
    assert RateLimitBucket.objects.count() == 1


@pytest.mark.django_db
def test_redis_counts_leave_the_database_alone_and_expire(redis_url: str, settings: Any) -> None:
    settings.REDIS_URL = redis_url
    window = timedelta(hours=1)
    assert ratelimit_hit(key="address:ann@example.org", limit=3, window=window)
    assert not RateLimitBucket.objects.exists()
    client = redis.Redis.from_url(redis_url)
    (name,) = client.scan_iter("newsdesk:ratelimit:*")
    assert b"ann" not in name  # a keyed hash of the address, never the address
    assert int(client.get(name) or 0) == 1
    # Gone by itself a minute after its window ends.
    assert 0 < client.ttl(name) <= 3600 + 60


def _wrapper(database: dict[str, Any]) -> Any:
    """A new connection (not yet open) to ``database``."""
    return load_backend(database["ENGINE"]).DatabaseWrapper(database, DEFAULT_DB_ALIAS)


def _sqlite_file_settings(directory: Path) -> dict[str, Any]:
    """The test database's settings with a file in place of pytest-django's in-memory database.

    Threads sharing that in-memory database (a shared cache) fail at once with "table is
    locked" when another holds a write, instead of waiting: SQLite's busy timeout does not
    apply there. A file has the locking of a real install: IMMEDIATE transactions, WAL and the
    busy timeout of settings.py, which is what this test means to prove works.
    """
    file_settings = copy.deepcopy(connections.settings[DEFAULT_DB_ALIAS])
    file_settings["NAME"] = str(directory / "ratelimit.sqlite3")
    maker = _wrapper(file_settings)
    try:
        with maker.schema_editor() as editor:
            editor.create_model(RateLimitBucket)
    finally:
        maker.close()
    return file_settings


def _file_bucket_count(file_settings: dict[str, Any]) -> int:
    with sqlite3.connect(file_settings["NAME"]) as reader:
        ((total,),) = reader.execute(
            f"SELECT SUM(count) FROM {RateLimitBucket._meta.db_table}"  # noqa: S608
        ).fetchall()
    return int(total)


# Threads see only committed rows. serialized_rollback, like every transactional test here: a
# plain flush re-creates content types, which the next serialized test would then meet twice.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_hits_are_all_counted(limiter: str, tmp_path: Path) -> None:
    """Hits racing from many threads: exactly ``limit`` of them get through, every hit counted."""
    file_settings = None
    if limiter == "database" and connection.vendor == "sqlite":
        file_settings = _sqlite_file_settings(tmp_path)
    results: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def hit_five_times() -> None:
        if file_settings is not None:
            # Only this thread's connection: the test's own stays on the test database.
            connections[DEFAULT_DB_ALIAS] = _wrapper(file_settings)
        try:
            start.wait(timeout=30)  # all ten start together, so the hits really race
            for _ in range(5):
                allowed = ratelimit_hit(key="burst", limit=30, window=timedelta(hours=1))
                with lock:
                    results.append(allowed)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=hit_five_times) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)  # a guard against a hang only; a run takes well under a second
    assert not any(thread.is_alive() for thread in threads)
    assert len(results) == 50
    assert results.count(True) == 30
    if file_settings is not None:
        assert _file_bucket_count(file_settings) == 50
    elif limiter == "database":
        assert sum(RateLimitBucket.objects.values_list("count", flat=True)) == 50


@pytest.mark.django_db
def test_a_redis_outage_falls_back_to_the_database(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens on the port: signups keep their limits, counted in the database."""
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    window = timedelta(hours=1)
    with caplog.at_level(logging.WARNING, logger="newsdesk.newsletter.subscriptions.ratelimit"):
        allowed = [ratelimit_hit(key="outage", limit=2, window=window) for _ in range(3)]
    assert allowed == [True, True, False]
    assert RateLimitBucket.objects.get().count == 3
    assert "Redis unavailable" in caplog.text
