"""Client IP behind trusted proxies, and the database-backed limiter."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.test import RequestFactory
from django.utils import timezone

from newsdesk.newsletter.models import RateLimitBucket
from newsdesk.newsletter.ratelimit import client_ip, ip_limit_key, ratelimit_hit


def _ip(settings: object, proxies: int, remote: str, forwarded: str | None) -> str:
    settings.NEWSDESK_TRUSTED_PROXIES = proxies  # type: ignore[attr-defined]
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
def test_limit_counts_per_key_and_window() -> None:
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
