"""``/healthz``: whether this process can serve, for a load balancer or an uptime check.

200 "ok" when the database answers a query and the cache keeps a value; else 503 with a
line per problem ("database: OperationalError"): the kind of failure, never its message, which
could name hosts or users. Never cached, no cookie, and it asks nothing of the pages' own
machinery (no session, no site lookup), so a check every few seconds costs two round trips.

The cache is tested by keeping a value and reading it back: the Redis cache treats an outage
as a miss (``core/redis_cache.py``), so only a round trip tells a Redis that is down from one
that is empty.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

HEALTH_PATH = "/healthz"
PROBE_KEY = "newsdesk:healthz"
PROBE_SECONDS = 30


def database_problem() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"database: {type(exc).__name__}"
    return None


def cache_problem() -> str | None:
    # A value of this request's own: another process's probe must not pass for this one's.
    token = uuid.uuid4().hex
    try:
        cache.set(PROBE_KEY, token, PROBE_SECONDS)
        kept = cache.get(PROBE_KEY)
    except Exception as exc:  # any backend's own failure is the answer here
        return f"cache: {type(exc).__name__}"
    # Another probe may have written between the two calls; any probe's value proves the
    # cache keeps values, so only nothing read back is a failure.
    if kept is None:
        return "cache: kept no value (is Redis running?)"
    return None


def health_problems() -> list[str]:
    return [problem for problem in (database_problem(), cache_problem()) if problem]


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    problems = health_problems()
    response = HttpResponse(
        "\n".join(problems or ["ok"]) + "\n",
        content_type="text/plain; charset=utf-8",
        status=503 if problems else 200,
    )
    response["Cache-Control"] = "no-store"
    return response
