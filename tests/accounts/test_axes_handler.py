"""What counts, what is forgotten and what an administrator can lift (the axes handler)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from tests.accounts.conftest import PASSWORD, sign_in, signed_in

pytestmark = pytest.mark.django_db
LIMIT = 5
FIRST = timedelta(minutes=5)


def _lock(client: Client, username: str = "editor", ip: str = "203.0.113.5") -> None:
    for n in range(LIMIT):
        sign_in(client, username, f"wrong-{n}", ip=ip)


def test_knocking_while_locked_does_not_lengthen_the_lock(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    _lock(client)
    clock.shift(timedelta(minutes=1))
    for n in range(20):
        assert sign_in(client, "editor", f"again-{n}", ip=f"198.51.100.{n}").status_code == 429
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == LIMIT
    clock.shift(FIRST)
    assert signed_in(sign_in(client, "editor", PASSWORD))


def test_a_sign_in_forgets_its_own_mistakes(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(LIMIT - 1):
        assert sign_in(client, "editor", f"typo-{n}").status_code == 200
    assert signed_in(sign_in(client, "editor", PASSWORD))
    client.logout()
    # The four typos are forgotten: four more, and the right password still works.
    for n in range(LIMIT - 1):
        assert sign_in(client, "editor", f"typo-{n}").status_code == 200
    assert signed_in(sign_in(client, "editor", PASSWORD))


def test_a_sign_in_does_not_forget_a_guessers_failures(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    for n in range(LIMIT - 1):
        sign_in(client, "editor", f"guess-{n}", ip="198.51.100.66")
    assert signed_in(sign_in(client, "editor", PASSWORD, ip="192.0.2.10"))
    client.logout()
    # Otherwise the guesser would get fresh guesses whenever the real editor signs in.
    assert sign_in(client, "editor", "guess-4", ip="198.51.100.66").status_code == 429


def test_a_short_lock_elsewhere_does_not_end_a_long_one(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    """axes' own clean-up deletes rows older than the current request's cool-off; with locks of
    different lengths that would free the long-locked guesser early."""
    _lock(client)
    for n in range(4):  # a lock of 80 minutes: four failures past the limit, each after a lock
        clock.shift(FIRST * 2**n + timedelta(seconds=1))
        assert sign_in(client, "editor", f"more-{n}").status_code == 429
    clock.shift(timedelta(minutes=30))
    sign_in(client, "newcomer", "typo", ip="192.0.2.99")  # a sign-in with a 5-minute horizon
    assert sign_in(client, "editor", PASSWORD, ip="192.0.2.50").status_code == 429


def test_failures_are_forgotten_a_day_after_the_last(
    client: Client, editor: User, clock: time_machine.Traveller
) -> None:
    _lock(client)
    clock.shift(timedelta(hours=24, seconds=1))
    sign_in(client, "someone", "typo", ip="192.0.2.99")  # any failure cleans up old rows
    assert not AccessAttempt.objects.filter(username="editor").exists()


@pytest.mark.parametrize(
    "command",
    [
        ("axes_reset_username", "editor"),
        ("axes_reset_ip", "203.0.113.5"),
        ("axes_reset",),
    ],
)
def test_an_administrator_can_lift_a_lock(
    client: Client, editor: User, clock: time_machine.Traveller, command: tuple[str, ...]
) -> None:
    _lock(client)
    assert sign_in(client, "editor", PASSWORD).status_code == 429
    call_command(*command, verbosity=0)
    assert signed_in(sign_in(client, "editor", PASSWORD))
