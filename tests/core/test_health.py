"""``/healthz``: ok when the database and the cache answer, 503 naming what does not; never
cached, no cookie, read-only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.newsletter.conftest import free_port

pytestmark = pytest.mark.django_db


def test_a_healthy_process_answers_ok_uncached_and_without_cookies(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert not response.cookies
    assert "Cookie" not in response.get("Vary", "")


def test_head_answers_and_other_methods_are_refused(client: Client) -> None:
    head = client.head("/healthz")
    assert head.status_code == 200 and head.content == b""
    for method in ("post", "put", "delete", "patch"):
        refused = getattr(client, method)("/healthz", data="x" * 10_000, content_type="text/plain")
        assert refused.status_code == 405, method
        assert "GET" in refused["Allow"]


@pytest.mark.parametrize("query", ["?<script>=1", "?" + "a=b&" * 2000, "?db=drop%00"])
def test_a_query_string_changes_nothing(client: Client, query: str) -> None:
    response = client.get("/healthz" + query)
    assert response.status_code == 200 and response.content == b"ok\n"


def test_a_redis_that_does_not_answer_is_reported(client: Client, settings: Any) -> None:
    """A real Redis cache pointed at a port where nothing listens: it answers every read with
    a miss (so pages keep working), and the check tells the outage apart from an empty cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "newsdesk.core.redis_cache.ForgivingRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"cache: kept no value (is Redis running?)\n"
    assert response["Cache-Control"] == "no-store"


PROBE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/healthz", HTTP_HOST="127.0.0.1")
print(json.dumps([response.status_code, response.content.decode()]))
"""


def test_a_database_that_does_not_answer_is_reported_without_its_details(tmp_path: Path) -> None:
    """A process whose PostgreSQL is not there (nothing listens on its port) answers 503 with
    the kind of failure only: no host, port or user in the body."""
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NEWSDESK_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="newsdesk.settings",
        NEWSDESK_DATA_DIR=str(tmp_path),
        DATABASE_URL=f"postgresql://secret-user@127.0.0.1:{port}/newsdesk?connect_timeout=2",
        DEBUG="false",
        SITE_URL="http://127.0.0.1",
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    status, body = json.loads(result.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body == "database: OperationalError\n"
    assert "secret-user" not in body and str(port) not in body
