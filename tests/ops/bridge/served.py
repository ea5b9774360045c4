"""A WSGI app behind the bridge, for granian to serve in test_granian.py (not a test module).

``/stream`` streams 16 MB from a generator (not a file: it must go through the thread chunk by
chunk); ``/produced`` says how many chunks the last stream made before it ended or was
stopped; ``/small`` answers at once. One thread, so a held thread shows as a page that waits.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

from newsdesk.ops.bridge.app import Bridge
from newsdesk.ops.bridge.body import BodyLimits

CHUNK = bytes(range(256)) * 256  # 64 KB
# 16 MB: far more than the kernel and granian buffer for a connection (6 MB was, under load,
# sometimes all made before the disconnect was noticed).
CHUNKS = 256


_lock = threading.Lock()
_produced = [0]  # chunks made by the last /stream; read and written under _lock


def _stream() -> Iterator[bytes]:
    with _lock:
        _produced[0] = 0
    for _ in range(CHUNKS):
        with _lock:
            _produced[0] += 1
        yield CHUNK


def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", [("Content-Length", str(len(CHUNK) * CHUNKS))])
        return _stream()
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ["PATH_INFO"] == "/produced":
        with _lock:
            return iter([str(_produced[0]).encode()])
    return iter([b"small"])


application = Bridge(
    wsgi,
    limits=BodyLimits(max_bytes=100_000, pause_seconds=1, min_rate=1000, waiting_max=4),
    threads=1,
)
