"""Django's Redis cache, with Redis being down treated as a cache that holds nothing.

Everything newsdesk caches can be computed again from the database, so a miss is always a
right answer; an exception is not (it would turn every page into a 500 while Redis restarts).
The rate limiter makes the same choice (newsletter/subscriptions/ratelimit.py falls back to
the database).
A failed delete is only logged: newsdesk's own entries are keyed by the publication version and
go stale by themselves, and Wagtail's site root paths expire within the hour.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import RedisError

logger = logging.getLogger(__name__)

_Key = str | bytes | memoryview
_Expiry = int | timedelta


def _unavailable(operation: str, exc: RedisError) -> None:
    logger.warning("Redis unavailable for the cache (%s): %s", operation, exc)


class ForgivingRedisCacheClient(RedisCacheClient):
    def get(self, key: _Key, default: Any) -> Any:
        try:
            return super().get(key, default)
        except RedisError as exc:
            _unavailable("get", exc)
            return default

    def get_many(self, keys: Iterable[_Key]) -> dict[_Key, Any]:
        try:
            return super().get_many(keys)
        except RedisError as exc:
            _unavailable("get_many", exc)
            return {}

    def has_key(self, key: _Key) -> bool:
        try:
            return super().has_key(key)
        except RedisError as exc:
            _unavailable("has_key", exc)
            return False

    def add(self, key: _Key, value: Any, timeout: _Expiry | None) -> bool:
        try:
            return super().add(key, value, timeout)
        except RedisError as exc:
            _unavailable("add", exc)
            return False

    def set(self, key: _Key, value: Any, timeout: _Expiry | None) -> None:
        try:
            super().set(key, value, timeout)
        except RedisError as exc:
            _unavailable("set", exc)

    def set_many(self, data: Mapping[_Key, Any], timeout: _Expiry) -> None:
        try:
            super().set_many(data, timeout)
        except RedisError as exc:
            _unavailable("set_many", exc)

    def touch(self, key: _Key, timeout: _Expiry) -> bool:
        try:
            return super().touch(key, timeout)
        except RedisError as exc:
            _unavailable("touch", exc)
            return False

    def delete(self, key: _Key) -> bool:
        try:
            return super().delete(key)
        except RedisError as exc:
            _unavailable("delete", exc)
            return False

    def delete_many(self, keys: Iterable[_Key]) -> None:
        try:
            super().delete_many(keys)
        except RedisError as exc:
            _unavailable("delete_many", exc)


class ForgivingRedisCache(RedisCache):
    """``incr`` and ``clear`` still raise: a counter that silently stops counting, or a clear
    that did not happen, would be wrong rather than slow. newsdesk calls neither."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ForgivingRedisCacheClient
