"""One sender per digest at a time, with a lock that dies with the process holding it.

A lease with a timeout would make a restarted sender wait for the lease of the one that was
killed. Instead the lock belongs to the holder's session: a PostgreSQL advisory lock ends with
its connection, and a ``flock`` on SQLite's machine ends with the process. So a sender that was
killed frees the digest at once, and two live senders never work on one digest together.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from newsdesk.core.file_locks import FileLockHeld, file_lock_held

# Namespaces the advisory lock keys, so they cannot collide with another application's locks.
_ADVISORY_NAMESPACE = 0x6E640000
# The worker's scheduled publishing: one key of its own, below the digests' namespace.
PUBLISHING_KEY = 0x6E63FFFF


class SenderBusy(Exception):
    """Another process holds the lock (sending this digest, or publishing)."""


@contextmanager
def sender_lock(digest_id: int) -> Iterator[None]:
    with process_lock(key=_ADVISORY_NAMESPACE + digest_id, name=f"digest-{digest_id}"):
        yield


@contextmanager
def process_lock(*, key: int, name: str) -> Iterator[None]:
    """One holder at a time across processes (and machines, on PostgreSQL); raises
    ``SenderBusy`` at once when another holds it."""
    if connection.vendor == "postgresql":
        with _advisory_lock(key):
            yield
    else:
        with _file_lock(name):
            yield


@contextmanager
def _advisory_lock(key: int) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        (acquired,) = cursor.fetchone()
    if not acquired:
        raise SenderBusy
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _file_lock(name: str) -> Iterator[None]:
    directory = settings.DATA_DIR / "locks"
    directory.mkdir(exist_ok=True)
    # Keyed by the database file too, so test databases next to a real one do not share locks.
    database = str(settings.DATABASES["default"]["NAME"]).replace(os.sep, "_")[-80:]
    try:
        with file_lock_held(directory / f"{name}-{database}.lock"):
            yield
    except FileLockHeld:
        raise SenderBusy from None
