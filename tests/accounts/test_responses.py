"""What a refused sign-in shows: what happened, when to try again, in the admin's own look."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.accounts.hashers import password_hash_slot
from tests.accounts.conftest import PASSWORD, sign_in
from tests.helpers import parse_html

pytestmark = pytest.mark.django_db


def test_the_locked_out_page_says_why_and_until_when(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(5):
        response = sign_in(client, "editor", f"wrong-{n}")
    assert response.status_code == 429
    assert response["Retry-After"] == "300"
    page = parse_html(response.content)
    text = page.find("main").clean_text
    assert "Too many failed sign-ins" in text
    assert "try again at 10:05 (UTC), in about 5 minutes" in text
    assert "Your password was not checked" in text
    # Wagtail's look: its stylesheet, and a way back to its sign-in form.
    assert b"wagtailadmin/css/core.css" in response.content
    assert page.find("a", class_="button").attrs["href"] == "/admin/login/"


def test_the_locked_out_page_follows_the_time_zone(
    client: Client, editor: User, settings: object, clock: time_machine.Traveller
) -> None:
    settings.TIME_ZONE = "Europe/Berlin"  # type: ignore[attr-defined]
    for n in range(5):
        response = sign_in(client, "editor", f"wrong-{n}")
    assert "try again at 11:05 (CET)" in parse_html(response.content).find("main").clean_text


@pytest.fixture
def gated_editor(settings: object, db: None) -> User:
    """An editor whose password hash is checked by the gated hasher (with few rounds)."""
    settings.PASSWORD_HASHERS = ["tests.accounts.test_hashers.QuickSerialHasher"]  # type: ignore[attr-defined]
    return User.objects.create_superuser("gated", "gated@example.org", PASSWORD)


@pytest.fixture
def hashing_elsewhere() -> Iterator[None]:
    """Two other sign-ins in this process: one computing a hash, one waiting for it."""
    release = threading.Event()
    entered = threading.Semaphore(0)

    def hold() -> None:
        with password_hash_slot():
            entered.release()
            release.wait(timeout=30)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    threads[0].start()
    assert entered.acquire(timeout=10)
    threads[1].start()
    time.sleep(0.1)
    yield
    release.set()
    for thread in threads:
        thread.join(timeout=30)


@pytest.mark.parametrize("username", ["gated", "nobody-by-this-name"])
def test_a_sign_in_while_the_process_is_busy_hashing_is_told_to_retry(
    client: Client, gated_editor: User, hashing_elsewhere: None, username: str
) -> None:
    # An unknown username costs a hash too (Django hashes anyway, so timing tells nothing).
    response = sign_in(client, username, PASSWORD)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    text = parse_html(response.content).find("main").clean_text
    assert "Sign-in is busy" in text and "try again in a few seconds" in text
    assert "_auth_user_id" not in client.session
    # A refused check is no failed guess.
    assert not AccessAttempt.objects.exists()


def test_after_the_busy_moment_the_same_sign_in_works(client: Client, gated_editor: User) -> None:
    assert sign_in(client, "gated", PASSWORD).status_code == 302
