"""The rate-limit counter in Redis, used when REDIS_URL is set.

Every process and machine behind the site counts in the same place, and a signup costs no write
to the site's database. Windows are the same fixed windows as the database counter's, so the two
agree on what a limit means.
"""

from __future__ import annotations

from functools import cache

import redis
from redis import RedisError

__all__ = ["RedisError", "redis_client", "redis_count", "redis_peek"]

# Short timeouts: a limiter that waits on a sick Redis would make the signup form hang; the
# caller falls back to the database instead.
TIMEOUT_SECONDS = 0.5
# A key outlives its window a little so that a clock a few seconds apart cannot restart a count.
EXPIRY_MARGIN_SECONDS = 60


@cache
def redis_client(url: str) -> redis.Redis:
    """One client (and its thread-safe connection pool) per URL for the process."""
    return redis.Redis.from_url(
        url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
    )


def _name(key: str, window_start: int) -> str:
    return f"newsdesk:ratelimit:{key}:{window_start}"


def redis_peek(*, url: str, key: str, window_start: int) -> int:
    """The count of ``key``'s window so far, adding nothing."""
    value = redis_client(url).get(_name(key, window_start))
    return int(value) if value is not None else 0  # type: ignore[arg-type]


def redis_count(*, url: str, key: str, window_start: int, window_seconds: int) -> int:
    """Add one hit to ``key``'s window starting at ``window_start`` (epoch seconds); the count.

    INCR and EXPIRE go in one MULTI/EXEC transaction, so a key never lives on without an expiry
    and concurrent hits never lose a count. Raises redis.RedisError when Redis cannot answer.
    """
    name = _name(key, window_start)
    pipeline = redis_client(url).pipeline(transaction=True)
    pipeline.incr(name)
    pipeline.expire(name, window_seconds + EXPIRY_MARGIN_SECONDS)
    count, _ = pipeline.execute()
    return int(count)
