"""Sign-in fixtures: an editor with a known password, a frozen clock, and a login helper."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client

PASSWORD = "correct horse battery staple"
WAGTAIL_LOGIN = "/admin/login/"
# A Monday morning, on the hour: the page-password limiter's hourly window starts here.
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def editor(db: None) -> User:
    return User.objects.create_superuser("editor", "editor@example.org", PASSWORD)


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """Time stands still at START until a test moves it (``clock.shift(timedelta(...))``);
    every clock the code reads moves with it, axes' and the database rows' alike."""
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def sign_in(
    client: Client,
    username: str,
    password: str,
    *,
    ip: str = "203.0.113.5",
    forwarded: str | None = None,
    url: str = WAGTAIL_LOGIN,
) -> HttpResponse:
    """POST the sign-in form as a browser at ``ip`` would (through a proxy when ``forwarded``)."""
    extra = {"REMOTE_ADDR": ip}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(url, {"username": username, "password": password}, **extra)  # type: ignore[return-value]


def signed_in(response: HttpResponse) -> bool:
    """Wagtail and Django both answer a successful sign-in with a redirect."""
    return response.status_code == 302
