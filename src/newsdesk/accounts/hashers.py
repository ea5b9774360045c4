"""Django's PBKDF2 password hasher, at most one computation at a time per process.

One PBKDF2-SHA256 check costs about 0.3-0.5 s of CPU here (a million rounds; hashlib releases
the GIL while it runs), so eight sign-ins at once fill two cores and reader pages wait behind
them. Here a process computes one hash at a time, lets one more sign-in wait for it, and refuses
the rest at once with ``PasswordCheckBusy`` (answered "try again in a moment" by
``newsdesk.accounts.middleware``) instead of holding a thread that a reader page could use.

The processes of one machine (``newsdesk serve --workers N``) also take turns, through a lock
file in the data directory; a process whose turn it is not refuses at once rather than wait:
with one thread per worker (``--threads 1``), a waiting worker is a worker no reader can use.
Each hash still runs at full speed: the guesses an attacker can afford are bounded by the
lockouts (``newsdesk.accounts.lockouts``), the CPU they can take by this gate.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

LOCK_FILE_NAME = ".password-hash.lock"
# One sign-in hashes while one waits for it; a waiter is held at most one hash's time.
WAITING_ALLOWED = 1

# Shared by the threads of a web process on purpose, and safe to share: a semaphore and a lock
# are made once at import and never replaced, and all their state changes are atomic.
_admitted = threading.BoundedSemaphore(1 + WAITING_ALLOWED)
_computing = threading.Lock()


class PasswordCheckBusy(Exception):
    """The process is already computing one password hash and another is waiting."""


@contextmanager
def _machine_turn() -> Iterator[None]:
    """This machine's one hashing turn, shared by its processes: an exclusive ``flock`` on a
    file in the data directory, taken without waiting. The kernel drops it if the process
    dies, so a killed worker never leaves it held."""
    if sys.platform == "win32":  # no flock; each process still hashes one at a time
        yield
        return
    from newsdesk.core.file_locks import FileLockHeld, file_lock_held

    try:
        with file_lock_held(Path(settings.DATA_DIR) / LOCK_FILE_NAME):
            yield
    except FileLockHeld:
        raise PasswordCheckBusy from None


@contextmanager
def password_hash_slot() -> Iterator[None]:
    """Hold the one hashing slot for the block: the process's, waiting behind at most one
    other thread, then the machine's; raise ``PasswordCheckBusy`` at once when the waiting
    place is taken or another process is hashing."""
    if not _admitted.acquire(blocking=False):
        raise PasswordCheckBusy
    try:
        with _computing, _machine_turn():
            yield
    finally:
        _admitted.release()


class SerialPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """PBKDF2-SHA256 exactly as Django computes it (same ``algorithm`` name, so every stored
    hash still verifies and new ones stay readable by a plain Django), one at a time.

    ``verify``, ``harden_runtime`` and ``make_password`` (which Django's ModelBackend also runs
    for an unknown username, so a guess at a made-up name costs the same) all go through
    ``encode``, so gating it gates every hash this hasher computes.
    """

    def encode(self, password: str, salt: str, iterations: int | None = None) -> str:
        with password_hash_slot():
            return super().encode(password, salt, iterations)
