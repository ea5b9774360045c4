"""When a digest run stops early: the mail system failing, or refusing everything alike.

Shared by the sender's connection threads, under one lock.
"""

from __future__ import annotations

import threading

# Failures of the mail system in a row (no successes between, over all connections) after which
# the run stops: with the server down, trying each reader in turn would keep the worker busy
# for hours and tell nobody.
UNAVAILABLE_LIMIT = 5
# Permanent refusals with one reply, before any message went through, that mean the setup is
# wrong rather than every reader's address (see _Circuit.refused).
REFUSAL_LIMIT = 20


class Circuit:
    """Consecutive failures of the mail system, shared by the connection threads: any success
    resets the count, UNAVAILABLE_LIMIT of them in a row stop the run."""

    def __init__(self, limit: int = UNAVAILABLE_LIMIT) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._failures = 0
        self._last = ""
        self._sent_any = False
        self._refusal_reply = ""
        self._refusals: list[int] = []
        self.reason = ""
        self.open = threading.Event()

    def success(self) -> None:
        with self._lock:
            self._failures = 0

    def unresolved(self) -> str:
        """The last failure, if no message went through after it: what the admin should see
        even when the run was too short to reach the limit."""
        with self._lock:
            return f"the mail system failed: {self._last}" if self._failures else ""

    def failure(self, reason: str) -> None:
        with self._lock:
            self._failures += 1
            self._last = reason
            if self._failures >= self._limit and not self.open.is_set():
                self.reason = f"the mail system failed {self._failures} times in a row: {reason}"
                self.open.set()

    def sent(self) -> None:
        with self._lock:
            self._sent_any = True
            self._refusals = []

    def refused(self, delivery_id: int, reply: str) -> list[int]:
        """A permanent refusal. Before anything went through in this run, REFUSAL_LIMIT in a row
        with the same reply are the setup's fault, not the readers' (relaying denied, a sender
        address the ESP does not accept): the run stops, and the deliveries of that streak are
        returned to be made pending again."""
        with self._lock:
            if self._sent_any:
                return []
            if reply != self._refusal_reply:
                self._refusal_reply, self._refusals = reply, []
            self._refusals.append(delivery_id)
            if len(self._refusals) < REFUSAL_LIMIT or self.open.is_set():
                return []
            self.reason = (
                f"the first {len(self._refusals)} messages were all refused alike: {reply}"
            )
            self.open.set()
            return list(self._refusals)
