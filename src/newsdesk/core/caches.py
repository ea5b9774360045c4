"""The default cache: Redis when REDIS_URL is set, else a sized cache in each process's memory.

What is cached (core/middleware.py's Site, news/versioning.py's fragments, the templates'
``{% cache %}`` blocks, Wagtail's site root paths) is keyed by the publication version or
retired by Wagtail itself, so a cache shared by every process is as correct as one per process,
and it is filled once for all of them instead of once per worker.
"""

from __future__ import annotations

# Entries a process keeps in memory before it drops a third of them (Django's default is 300).
# Each article a reader opens adds two or three (its furniture, its Recent Articles block), so
# 300 meant a crawler walking the archive evicted the home page's entries every few seconds.
# Measured: 1.3 KB for an article's furniture, 3 KB for a listing fragment of eight articles,
# so 5,000 entries hold some 5 to 20 MB per process.
DEFAULT_MAX_ENTRIES = 5_000
# Django's cache keys start with this, so the cache's keys and the rate limiter's
# ("newsdesk:ratelimit:…") can share one Redis database without meeting.
REDIS_KEY_PREFIX = "newsdesk-cache"
# A cache that waits on a sick Redis would make every page wait: fail fast and read the
# database instead (core/redis_cache.py).
REDIS_TIMEOUT_SECONDS = 0.5


def cache_setting(*, redis_url: str, max_entries: int) -> dict[str, dict[str, object]]:
    """Django's CACHES for this install. ``max_entries`` bounds the memory cache only: Redis
    bounds itself by its own ``maxmemory`` policy."""
    if redis_url:
        return {
            "default": {
                "BACKEND": "newsdesk.core.redis_cache.ForgivingRedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": REDIS_KEY_PREFIX,
                "OPTIONS": {
                    "socket_timeout": REDIS_TIMEOUT_SECONDS,
                    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                },
            }
        }
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": max_entries},
        }
    }
