"""The default cache (core/caches.py): sized in memory, or Redis when REDIS_URL is set, and a
Redis that does not answer is a cache that holds nothing, not a failing page."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.test import Client, override_settings

from newsdesk.core.caches import DEFAULT_MAX_ENTRIES, cache_setting
from newsdesk.core.redis_cache import ForgivingRedisCache
from tests.core.commands import newsdesk_run
from tests.newsletter.conftest import free_port, redis_url  # noqa: F401 (a fixture)

_PRINT_CACHES = "import json; from django.conf import settings; print(json.dumps(settings.CACHES))"


def _made(setting: dict[str, dict[str, object]]) -> BaseCache:
    """A new backend instance made from ``setting`` as Django makes the default cache."""
    with override_settings(CACHES=setting):
        return caches.create_connection("default")


def test_the_memory_cache_keeps_at_most_its_size() -> None:
    cache = _made(cache_setting(redis_url="", max_entries=200))
    for n in range(1_000):
        cache.set(f"entry-{n}", n)
    kept = [n for n in range(1_000) if cache.get(f"entry-{n}") is not None]
    assert 0 < len(kept) <= 200
    assert kept[-1] == 999  # the newest survive, the oldest were culled


def test_the_default_size_is_far_above_djangos_300() -> None:
    cache = _made(cache_setting(redis_url="", max_entries=DEFAULT_MAX_ENTRIES))
    for n in range(1_000):
        cache.set(f"entry-{n}", n)
    assert all(cache.get(f"entry-{n}") == n for n in range(1_000))


def test_the_environment_picks_size_and_backend(tmp_path: Path) -> None:
    sized = newsdesk_run(
        tmp_path, "shell", "--no-imports", "-c", _PRINT_CACHES, NEWSDESK_CACHE_ENTRIES="1234"
    )
    assert sized.returncode == 0, sized.stderr
    default = json.loads(sized.stdout)["default"]
    assert default["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert default["OPTIONS"] == {"MAX_ENTRIES": 1234}
    shared = newsdesk_run(
        tmp_path, "shell", "--no-imports", "-c", _PRINT_CACHES, REDIS_URL="redis://127.0.0.1:6379/3"
    )
    assert shared.returncode == 0, shared.stderr
    default = json.loads(shared.stdout)["default"]
    assert default["BACKEND"] == "newsdesk.core.redis_cache.ForgivingRedisCache"
    assert default["LOCATION"] == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize("raw", ["lots", "10", "-5"])
def test_a_malformed_size_stops_the_start(tmp_path: Path, raw: str) -> None:
    result = newsdesk_run(tmp_path, "check", NEWSDESK_CACHE_ENTRIES=raw)
    assert result.returncode == 2
    assert "NEWSDESK_CACHE_ENTRIES: " in result.stderr


@pytest.fixture
def redis_cache(redis_url: str) -> Iterator[tuple[dict[str, dict[str, Any]], redis.Redis]]:  # noqa: F811
    """The Redis cache setting under a prefix of this test's own, and a raw client to look with.

    The prefix's keys are deleted afterwards; the cache is never cleared, since a clear is a
    FLUSHDB that would also wipe whatever else uses the test Redis database.
    """
    setting = cache_setting(redis_url=redis_url, max_entries=DEFAULT_MAX_ENTRIES)
    prefix = f"newsdesk-test-{uuid.uuid4().hex[:12]}"
    setting["default"]["KEY_PREFIX"] = prefix
    client = redis.Redis.from_url(redis_url)
    yield setting, client
    for name in client.scan_iter(f"{prefix}:*"):
        client.delete(name)
    client.close()


def _names(client: redis.Redis, setting: dict[str, dict[str, Any]]) -> list[str]:
    prefix = setting["default"]["KEY_PREFIX"]
    return [name.decode() for name in client.scan_iter(f"{prefix}:*")]


def test_values_are_kept_in_redis(redis_cache: tuple[dict[str, Any], redis.Redis]) -> None:
    setting, client = redis_cache
    cache = _made(setting)
    assert isinstance(cache, ForgivingRedisCache)
    cache.set("greeting", {"text": "hello"}, 60)
    assert _made(setting).get("greeting") == {"text": "hello"}  # another process's view
    (name,) = _names(client, setting)
    assert name.endswith(":greeting")
    assert 0 < client.ttl(name) <= 60


@pytest.mark.django_db
def test_pages_fill_the_redis_cache(
    redis_cache: tuple[dict[str, Any], redis.Redis],
    client: Client,
    make_article: Callable[..., Any],
) -> None:
    article = make_article("Harbour wall repaired")
    setting, redis_client = redis_cache
    with override_settings(CACHES=setting):
        assert client.get("/").status_code == 200
        assert client.get(article.url).status_code == 200
    names = _names(redis_client, setting)
    assert any(":newsdesk:v" in name and ":site:" in name for name in names), names
    assert any(":wagtail_site_root_paths" in name for name in names), names
    assert any(re.search(rf":newsdesk:v\d+:article:{article.pk}:", name) for name in names), names
    assert any("template.cache.topic_nav" in name for name in names), names


def test_a_redis_that_does_not_answer_is_an_empty_cache(caplog: pytest.LogCaptureFixture) -> None:
    cache = _made(cache_setting(redis_url=f"redis://127.0.0.1:{free_port()}/0", max_entries=1))
    with caplog.at_level(logging.WARNING, logger="newsdesk.core.redis_cache"):
        cache.set("a", 1)
        assert cache.get("a") is None
        assert cache.get("a", "fallback") == "fallback"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.add("a", 1) is False
        assert cache.delete("a") is False
        assert cache.get_or_set("a", 5) == 5  # computed, as on any miss
    assert "Redis unavailable for the cache (get)" in caplog.text


@pytest.mark.django_db
def test_pages_render_while_redis_is_down(client: Client, home: Any) -> None:
    down = cache_setting(redis_url=f"redis://127.0.0.1:{free_port()}/0", max_entries=1)
    with override_settings(CACHES=down):
        response = client.get("/")
    assert response.status_code == 200
    assert "</main>" in response.content.decode()
