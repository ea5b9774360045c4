"""The PBKDF2 hasher computes one hash at a time per process, lets one more wait, refuses the
rest at once, and reads and writes exactly Django's PBKDF2 hashes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import hashers as django_hashers
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from newsdesk.accounts.hashers import (
    LOCK_FILE_NAME,
    PasswordCheckBusy,
    SerialPBKDF2PasswordHasher,
    password_hash_slot,
)


class QuickSerialHasher(SerialPBKDF2PasswordHasher):
    """The gated hasher with few rounds, so tests spend no seconds hashing (the gate is the
    module's, shared with the real hasher)."""

    iterations = 1_000


class Overlap:
    """Wraps Django's pbkdf2 function: records how many computations ran at once."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.running = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()
        self.real = django_hashers.pbkdf2

    def __call__(self, *args: Any, **kwargs: Any) -> bytes:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.hold)  # long enough for the threads to overlap if they could
            return self.real(*args, **kwargs)
        finally:
            with self.lock:
                self.running -= 1


@pytest.fixture
def overlap(monkeypatch: pytest.MonkeyPatch) -> Overlap:
    spy = Overlap(hold=0.05)
    monkeypatch.setattr(django_hashers, "pbkdf2", spy)
    return spy


def _in_threads(count: int, work: Any) -> list[Any]:
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        try:
            results[index] = work(index)
        except PasswordCheckBusy as busy:
            results[index] = busy

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_threads_hash_one_after_the_other(overlap: Overlap) -> None:
    hasher = QuickSerialHasher()
    results = _in_threads(2, lambda n: hasher.encode(f"password-{n}", f"salt{n}"))
    assert overlap.calls == 2 and overlap.most == 1
    for n, encoded in enumerate(results):
        assert hasher.verify(f"password-{n}", encoded)


def test_the_same_hashes_as_djangos_pbkdf2() -> None:
    ours, django_s = QuickSerialHasher(), PBKDF2PasswordHasher()
    assert ours.algorithm == django_s.algorithm == "pbkdf2_sha256"
    encoded = ours.encode("secret", "saltsalt", 1_000)
    assert encoded == django_s.encode("secret", "saltsalt", 1_000)
    assert django_s.verify("secret", encoded)
    assert ours.verify("secret", django_s.encode("secret", "othersalt", 1_000))


@contextmanager
def _slot_held_by_threads(count: int) -> Iterator[None]:
    """``count`` other threads in the gate: the first holds the slot, the next waits for it."""
    release = threading.Event()
    entered = threading.Semaphore(0)

    def hold() -> None:
        with password_hash_slot():
            entered.release()
            release.wait(timeout=30)

    threads = [threading.Thread(target=hold) for _ in range(count)]
    threads[0].start()
    assert entered.acquire(timeout=10)
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.1)  # the waiter is now blocked on the slot
    try:
        yield
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=30)


def test_with_one_hashing_and_one_waiting_a_third_is_refused_at_once() -> None:
    hasher = QuickSerialHasher()
    with _slot_held_by_threads(2):
        started = time.monotonic()
        with pytest.raises(PasswordCheckBusy):
            hasher.encode("password", "saltsalt")
        assert time.monotonic() - started < 0.05
    # Once they are done, hashing works again.
    assert hasher.verify("password", hasher.encode("password", "saltsalt"))


def test_one_waiter_gets_its_turn(overlap: Overlap) -> None:
    hasher = QuickSerialHasher()
    done: list[str] = []
    with _slot_held_by_threads(1):
        waiter = threading.Thread(target=lambda: done.append(hasher.encode("pw", "saltsalt")))
        waiter.start()
        time.sleep(0.1)
        assert not done  # waiting for the slot, not refused
    waiter.join(timeout=10)
    assert len(done) == 1 and hasher.verify("pw", done[0])


HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("holding", flush=True)
sys.stdin.readline()
"""


def test_while_another_process_hashes_this_one_refuses_at_once(settings: Any) -> None:
    """Two `newsdesk serve` workers take turns too: a worker with one thread that waited would
    have no thread left for readers, so it refuses instead."""
    lock_file = Path(settings.DATA_DIR) / LOCK_FILE_NAME
    hasher = QuickSerialHasher()
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as other:
        assert other.stdout is not None and other.stdin is not None
        assert other.stdout.readline() == "holding\n"
        started = time.monotonic()
        with pytest.raises(PasswordCheckBusy):
            hasher.encode("password", "saltsalt")
        assert time.monotonic() - started < 0.05
        other.stdin.write("done\n")
        other.stdin.flush()
    # The other process has ended (and with it its lock): this one hashes again.
    assert hasher.verify("password", hasher.encode("password", "saltsalt"))
