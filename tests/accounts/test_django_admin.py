"""Django's own admin (newsdesk/urls.py): served only when NEWSDESK_DJANGO_ADMIN asks for it,
and then its sign-in is locked out like Wagtail's."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import clear_url_caches

import newsdesk.urls
from tests.accounts.conftest import PASSWORD, sign_in, signed_in
from tests.helpers import parse_html

pytestmark = pytest.mark.django_db
DJANGO_LOGIN = "/django-admin/login/"


def _reload_urls() -> None:
    importlib.reload(newsdesk.urls)
    clear_url_caches()


@pytest.fixture
def django_admin_on(settings: object) -> Iterator[None]:
    settings.NEWSDESK_DJANGO_ADMIN = True  # type: ignore[attr-defined]
    _reload_urls()
    yield
    settings.NEWSDESK_DJANGO_ADMIN = False  # type: ignore[attr-defined]
    _reload_urls()


def test_django_admin_is_not_served_by_default(client: Client, home: object) -> None:
    assert client.get(DJANGO_LOGIN).status_code == 404
    assert client.post(DJANGO_LOGIN, {"username": "a", "password": "b"}).status_code == 404


def test_when_switched_on_its_sign_in_is_locked_out_too(
    client: Client, editor: User, django_admin_on: None, clock: time_machine.Traveller
) -> None:
    assert client.get(DJANGO_LOGIN).status_code == 200
    statuses = [sign_in(client, "editor", f"w{n}", url=DJANGO_LOGIN).status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    refused = sign_in(client, "editor", PASSWORD, url=DJANGO_LOGIN)
    assert refused.status_code == 429
    # Django's admin look, with the way back to its own sign-in.
    assert b"admin/css/base.css" in refused.content
    text = parse_html(refused.content).find("main").clean_text
    assert "Too many failed sign-ins" in text and "try again at 10:05" in text
    # One lock for both admins: the username is locked at Wagtail's sign-in as well.
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    clock.shift(timedelta(minutes=5, seconds=1))
    assert signed_in(sign_in(client, "editor", PASSWORD, url=DJANGO_LOGIN))
