"""An exclusive lock on a file, taken without waiting, that dies with the process holding it.

The kernel drops an ``flock`` when its process ends, however it ends, so a killed holder never
leaves a lock behind and nobody waits for a lease to run out.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class FileLockHeld(Exception):
    """Another process (or another open of the file in this one) holds the lock."""


@contextmanager
def file_lock_held(path: Path) -> Iterator[None]:
    """Hold the lock on ``path`` (created if missing) for the block; raise ``FileLockHeld``
    at once when it is taken."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FileLockHeld from None
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
