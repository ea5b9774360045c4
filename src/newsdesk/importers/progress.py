"""Progress of a long import on the operator's terminal: counts, rate and time left.

On a terminal, one line redrawn in place at most a few times a second; anywhere else (a log, a
pipe, cron's mail), a plain line now and then, so a log of a long run shows it was moving
without a line per article.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO, cast

from django.core.management.base import OutputWrapper

# How often a terminal's line is redrawn, and a log's line written, at most.
TERMINAL_EVERY = 0.2
LOG_EVERY = 10.0
RATE_AFTER = 1.0
_BAR_WIDTH = 24


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


class Progress:
    """Call ``update(done)`` as items are written and ``finish()`` at the end."""

    def __init__(
        self,
        *,
        total: int,
        what: str,
        stream: TextIO,
        terminal: bool,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.what = what
        self.stream = stream
        self.terminal = terminal
        self.clock = clock
        self.started = clock()
        self.shown_at = -1e9
        self.done = 0

    def line(self) -> str:
        elapsed = max(self.clock() - self.started, 1e-9)
        rate = self.done / elapsed
        text = f"{self.done:,}/{self.total:,} {self.what}"
        if self.total:
            share = self.done / self.total
            filled = int(share * _BAR_WIDTH)
            text = f"[{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {share:4.0%} " + text
        # Midway, a rate needs a second behind it: the first update (one article after
        # 0.03 s) would read as thousands a second. At the end it is the run's true rate.
        if self.done and (elapsed >= RATE_AFTER or self.done >= self.total):
            text += f", {rate:,.1f}/s"
            if self.done < self.total:
                text += f", about {_duration((self.total - self.done) / rate)} left"
        return text

    def update(self, done: int) -> None:
        self.done = done
        now = self.clock()
        every = TERMINAL_EVERY if self.terminal else LOG_EVERY
        if now - self.shown_at < every:
            return
        self.shown_at = now
        self._show()

    def _show(self) -> None:
        if self.terminal:
            # \r and "erase to end of line": the line is redrawn in place.
            self.stream.write("\r" + self.line() + "\x1b[K")
        else:
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def finish(self) -> None:
        """The last state, and on a terminal the end of the redrawn line."""
        if not self.total:
            return
        self._show()
        if self.terminal:
            self.stream.write("\n")
            self.stream.flush()


class CommandProgress:
    """A ``Progress`` line on a management command's stderr, made on the first update (when
    the total is known); nothing at all when not ``shown`` (quiet, or every item is listed)."""

    def __init__(self, stderr: OutputWrapper, *, what: str, shown: bool) -> None:
        # The wrapped stream itself: Django's wrapper ends every write with a line break, and
        # a terminal's progress line is redrawn in place.
        self.stream = cast(TextIO, stderr._out)
        self.what = what
        self.shown = shown
        self.line: Progress | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.shown:
            return
        if self.line is None:
            self.line = Progress(
                total=total, what=self.what, stream=self.stream, terminal=self.stream.isatty()
            )
        self.line.update(done)
        if done >= total:
            # Ended here, so that a stage that follows (the articles after the pictures)
            # starts a line of its own.
            self.finish()

    def finish(self) -> None:
        """The final line, once: calling it again (from a ``finally``) adds nothing."""
        if self.line is not None:
            self.line.finish()
            self.line = None
