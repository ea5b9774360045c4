"""Collect ids during a block of work, to act on them once when the outermost block ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


@contextmanager
def collecting(ids: ContextVar[set[int] | None]) -> Iterator[set[int] | None]:
    """Give ``ids`` a fresh set for the block and yield it; yield None inside an outer block.

    Callers add to ``ids.get()`` while it is a set. Only the outermost block gets the set, so
    only it acts on what was collected (nested blocks would otherwise act twice). A ContextVar,
    not a global, so that other threads and requests keep working one item at a time.
    """
    if ids.get() is not None:
        yield None
        return
    collected: set[int] = set()
    token = ids.set(collected)
    try:
        yield collected
    finally:
        ids.reset(token)
