"""Fixtures for the public site's tests: a clock the tests can move, a fresh related index."""

from __future__ import annotations

from collections.abc import Iterator
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


@pytest.fixture
def fresh_related_index() -> Iterator[None]:
    """For tests that run the refreshes queued on commit: the related-stories index is a
    per-process global, and one built in another test holds articles rolled back since."""
    from newsdesk.related import registry

    registry.forget()
    yield
    registry.forget()
