"""Password guessing at Wagtail's sign-in: locks by username and by client address, growing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from newsdesk.accounts.lockouts import MAX_LOCKOUT, lockout_client_ip, lockout_duration
from tests.accounts.conftest import PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db
LIMIT = 5  # NEWSDESK_LOGIN_FAILURE_LIMIT's default
FIRST = timedelta(minutes=5)  # NEWSDESK_LOGIN_LOCKOUT_MINUTES's default
PROXY = "127.0.0.1"


def _guess(client: Client, times: int, **where: str) -> list[int]:
    return [sign_in(client, "editor", f"wrong-{n}", **where).status_code for n in range(times)]


def test_the_right_password_is_refused_while_locked_and_accepted_after_the_cool_off(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    # Four wrong passwords are just wrong; the fifth locks the username.
    assert _guess(client, LIMIT) == [200, 200, 200, 200, 429]
    refused = sign_in(client, "editor", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    clock.shift(FIRST - timedelta(seconds=1))
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    clock.shift(timedelta(seconds=2))
    assert signed_in(sign_in(client, "editor", PASSWORD))
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_each_failure_after_a_lock_doubles_the_next_lock(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    _guess(client, LIMIT)
    clock.shift(FIRST + timedelta(seconds=1))
    # One more guess is allowed (and checked), and locks for twice as long.
    assert sign_in(client, "editor", "wrong-again").status_code == 429
    clock.shift(2 * FIRST - timedelta(seconds=1))
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    clock.shift(timedelta(seconds=2))
    assert signed_in(sign_in(client, "editor", PASSWORD))


def test_lock_lengths_double_up_to_a_day() -> None:
    assert lockout_duration(LIMIT) == FIRST
    assert lockout_duration(LIMIT + 1) == 2 * FIRST
    assert lockout_duration(LIMIT + 3) == 8 * FIRST
    assert lockout_duration(LIMIT + 40) == MAX_LOCKOUT
    assert lockout_duration(10**9) == MAX_LOCKOUT


def test_a_username_is_locked_whatever_address_the_guesses_come_from(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(LIMIT):
        sign_in(client, "editor", f"wrong-{n}", ip=f"198.51.100.{n + 1}")
    # The real editor, at an address that never guessed, waits too.
    assert sign_in(client, "editor", PASSWORD, ip="192.0.2.77").status_code == 429


def test_an_address_is_locked_whatever_usernames_it_guesses(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(LIMIT):
        sign_in(client, f"someone{n}", "password1", ip="198.51.100.9")
    assert sign_in(client, "editor", PASSWORD, ip="198.51.100.9").status_code == 429
    # The editor's own username is not locked: from elsewhere it signs in.
    assert signed_in(sign_in(client, "editor", PASSWORD, ip="192.0.2.77"))


def test_forged_forwarded_for_from_an_untrusted_peer_does_not_rotate_the_address(
    client: Client, editor: User, settings: object, clock: time_machine.Traveller
) -> None:
    settings.NEWSDESK_TRUSTED_PROXIES = 0  # type: ignore[attr-defined]
    statuses = [
        sign_in(client, f"user{n}", "x", ip="198.51.100.9", forwarded=f"10.1.{n}.{n}").status_code
        for n in range(LIMIT)
    ]
    assert statuses[-1] == 429
    fresh = sign_in(client, "editor", PASSWORD, ip="198.51.100.9", forwarded="192.0.2.200")
    assert fresh.status_code == 429


def test_behind_a_trusted_proxy_only_the_address_it_saw_counts(
    client: Client, editor: User, settings: object, clock: time_machine.Traveller
) -> None:
    settings.NEWSDESK_TRUSTED_PROXIES = 1  # type: ignore[attr-defined]
    # The proxy (on this machine, where newsdesk expects it) appends the address it saw;
    # whatever the client wrote left of it is the client's invention and changes every time.
    for n in range(LIMIT):
        sign_in(client, f"user{n}", "x", ip=PROXY, forwarded=f"6.6.{n}.6, 198.51.100.9")
    locked = sign_in(client, "editor", PASSWORD, ip=PROXY, forwarded="7.7.7.7, 198.51.100.9")
    assert locked.status_code == 429
    # Another reader behind the same proxy is someone else.
    assert signed_in(sign_in(client, "editor", PASSWORD, ip=PROXY, forwarded="192.0.2.8"))


def test_ipv6_clients_are_locked_by_their_64(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(LIMIT):
        sign_in(client, f"user{n}", "x", ip=f"2001:db8:1:2::{n + 10:x}")
    assert sign_in(client, "editor", PASSWORD, ip="2001:db8:1:2:ffff::1").status_code == 429
    assert signed_in(sign_in(client, "editor", PASSWORD, ip="2001:db8:1:3::1"))


@pytest.mark.parametrize(
    ("remote", "recorded"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::"),
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("not an address", "0.0.0.0"),  # noqa: S104 (a key, not a bind)
    ],
)
def test_the_recorded_address(remote: str, recorded: str) -> None:
    from django.test import RequestFactory

    assert lockout_client_ip(RequestFactory().get("/", REMOTE_ADDR=remote)) == recorded
