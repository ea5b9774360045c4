"""Fixtures for the public site's tests: a clock the tests can move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.utils import timezone


@dataclass
class Clock:
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def advance(self, delta: timedelta) -> None:
        self.moment += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """``django.utils.timezone.now`` for everyone (newsdesk, Wagtail, Django) at a moment the
    test moves; nothing else of time changes, so cache entries still age by the real clock."""
    clock = Clock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock
