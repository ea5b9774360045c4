"""Caching what every page shows, keyed by the publication version.

The home page's article count, the topic navigation, Recent Articles and the list of restricted
subtrees are the same for every reader until something is published, unpublished, moved, deleted
or restricted. They are kept in Django's cache (this process's memory, or Redis when configured)
under keys that carry the current publication version. Each thread re-reads the version at most
every ``check_seconds()`` (it is kept per thread, so no lock is needed), so a change made by
another thread or process shows within that time; the thread that made it sees it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

T = TypeVar("T")


def check_seconds() -> float:
    """How stale another process's change may be seen here (``NEWSDESK_VERSION_CHECK_SECONDS``)."""
    return float(settings.NEWSDESK_VERSION_CHECK_SECONDS)


# Entries also expire by age, so a live article whose date arrives later is not missed for long.
ENTRY_SECONDS = 60

_state = threading.local()


def current_version() -> int:
    from newsdesk.news.models import PublicationVersion

    now = time.monotonic()
    if getattr(_state, "value", None) is None or now - _state.checked > check_seconds():
        _state.value = (
            PublicationVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0
        )
        _state.checked = now
    return _state.value


def publication_changed() -> None:
    """Retire every cached fragment (here at once, elsewhere within check_seconds())."""
    from newsdesk.news.models import PublicationVersion

    if not PublicationVersion.objects.filter(pk=1).update(value=F("value") + 1):
        PublicationVersion.objects.get_or_create(pk=1, defaults={"value": 1})
    forget()


def forget() -> None:
    _state.value = None


def cached(name: str, compute: Callable[[], T]) -> T:
    key = f"newsdesk:v{current_version()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, ENTRY_SECONDS)
    return value
