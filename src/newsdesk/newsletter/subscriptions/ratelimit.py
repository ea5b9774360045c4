"""Rate limits (counted in Redis when REDIS_URL is set, else in the database), and the client IP
they are keyed on."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from newsdesk.core.proxies import peer_is_trusted_proxy
from newsdesk.newsletter.models import RateLimitBucket

# Buckets older than this are deleted as new ones are made; no limit uses a longer window.
RETENTION = timedelta(days=2)

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or with N trusted proxies in front (setting
    NEWSDESK_TRUSTED_PROXIES) and the request coming from one of them (NEWSDESK_PROXY_ADDRESSES),
    the Nth address from the right of X-Forwarded-For.

    Each proxy appends the address it received the request from, so only the rightmost N
    entries were written by machines we trust; anything left of them is whatever the client
    chose to send. A header shorter than N means the request did not come through every proxy,
    so it is not trusted at all; nor is any header from a peer that is not a proxy.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (a key, not a bind)
    proxies: int = settings.NEWSDESK_TRUSTED_PROXIES
    if not proxies or not peer_is_trusted_proxy(remote):
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    candidate = hops[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def ip_limit_key(ip: str) -> str:
    """IPv6 clients usually hold a whole /64, so they are limited per /64, not per address."""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return f"ip:{ip}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"ip:{parsed.ipv4_mapped}"
        return f"ip6:{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"ip:{parsed}"


def _window_start(now: datetime, window: timedelta) -> datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def _key_digest(key: str) -> str:
    # Keys hold addresses and IPs: only a keyed hash of them is stored, in either place.
    return hashlib.sha256(f"{settings.SECRET_KEY}:{key}".encode()).hexdigest()


def ratelimit_spent(*, key: str, limit: int, window: timedelta) -> bool:
    """Whether ``key`` has already used up ``limit`` in the current window, counting nothing.

    For limits on failures (wrong credentials): the failures are counted with
    ``ratelimit_hit``, and once they are spent a request is refused before its credentials are
    even compared, so guessing on cannot tell a right guess from a wrong one.
    """
    digest = _key_digest(key)
    start = _window_start(timezone.now(), window)
    if settings.REDIS_URL:
        from newsdesk.newsletter.subscriptions.ratelimit_redis import RedisError, redis_peek

        try:
            return (
                redis_peek(url=settings.REDIS_URL, key=digest, window_start=int(start.timestamp()))
                >= limit
            )
        except RedisError as exc:
            logger.warning("rate limit: Redis unavailable (%s); reading the database", exc)
    counts = RateLimitBucket.objects.filter(key=digest, window_start=start)
    return (counts.values_list("count", flat=True).first() or 0) >= limit


def ratelimit_hit(*, key: str, limit: int, window: timedelta) -> bool:
    """Count one hit for ``key`` in the current fixed window; True while within ``limit``.

    Counted in Redis when REDIS_URL is set; if Redis cannot answer, in the database, so that a
    Redis outage neither blocks signups nor lifts the limits.
    """
    digest = _key_digest(key)
    now = timezone.now()
    start = _window_start(now, window)
    if settings.REDIS_URL:
        # Imported only here: the client library costs a process several MB, which a site
        # without Redis (and every `newsdesk` command) need not pay.
        from newsdesk.newsletter.subscriptions.ratelimit_redis import RedisError, redis_count

        try:
            count = redis_count(
                url=settings.REDIS_URL,
                key=digest,
                window_start=int(start.timestamp()),
                window_seconds=int(window.total_seconds()),
            )
        except RedisError as exc:
            logger.warning("rate limit: Redis unavailable (%s); counting in the database", exc)
        else:
            return count <= limit
    return _database_count(digest, start, now) <= limit


def _database_count(digest: str, start: datetime, now: datetime) -> int:
    """The increment is a single UPDATE (``count = count + 1``), so concurrent hits never lose a
    count; two first hits racing to create the bucket meet the unique constraint, and the loser
    increments the winner's row."""
    buckets = RateLimitBucket.objects.filter(key=digest, window_start=start)
    with transaction.atomic():
        if not buckets.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitBucket.objects.create(key=digest, window_start=start, count=1)
            except IntegrityError:
                buckets.update(count=F("count") + 1)
            else:
                RateLimitBucket.objects.filter(window_start__lt=now - RETENTION).delete()
        return buckets.values_list("count", flat=True).get()
