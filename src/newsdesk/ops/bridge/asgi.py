"""The ASGI application ``newsdesk serve`` has granian run: newsdesk's WSGI app behind the bridge.

The limits come from the settings (NEWSDESK_MAX_REQUEST_BYTES, NEWSDESK_BODY_TIMEOUT,
NEWSDESK_BODY_MIN_RATE, NEWSDESK_BODY_WAITING_MAX), the thread count from ``newsdesk serve
--threads`` through the environment, since granian starts the worker processes.
"""

from __future__ import annotations

from django.conf import settings

from newsdesk.env import env_int
from newsdesk.ops.bridge.app import THREADS_VARIABLE, Bridge
from newsdesk.ops.bridge.body import BodyLimits
from newsdesk.wsgi import application as wsgi_application

application = Bridge(
    wsgi_application,
    limits=BodyLimits(
        max_bytes=settings.NEWSDESK_MAX_REQUEST_BYTES,
        pause_seconds=settings.NEWSDESK_BODY_TIMEOUT,
        min_rate=settings.NEWSDESK_BODY_MIN_RATE,
        waiting_max=settings.NEWSDESK_BODY_WAITING_MAX,
    ),
    threads=env_int(THREADS_VARIABLE, 1, minimum=1, maximum=64),
)
