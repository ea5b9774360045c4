"""How long a sign-in lockout lasts, and whether one is in force (reads only).

django-axes records each failed sign-in (``axes.models.AccessAttempt``: one row per username,
client address and user agent, with its failure count and the time of its latest failure).
newsdesk locks by username across addresses AND by address across usernames, so neither
rotating addresses nor rotating usernames buys more guesses. A lock starts at
``NEWSDESK_LOGIN_FAILURE_LIMIT`` failures and lasts ``NEWSDESK_LOGIN_LOCKOUT_MINUTES`` after the
latest one; every further failure doubles that, up to a day. Failures are forgotten a day after
the latest one, so a person who mistyped is not held back for long, while a guesser gets about
ten guesses a day per username or address after the first few.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from newsdesk.newsletter.subscriptions.ratelimit import client_ip

# The longest lock, and how long failures are remembered after the latest one.
MAX_LOCKOUT = timedelta(hours=24)


@dataclass(frozen=True)
class Lockout:
    """A lock in force: how many failures caused it and when it ends."""

    failures: int
    until: datetime


def lockout_client_ip(request: HttpRequest) -> str:
    """The client address axes records (``AXES_CLIENT_IP_CALLABLE``).

    It comes from newsdesk's trusted-proxy rule (``NEWSDESK_TRUSTED_PROXIES``), so a forged
    X-Forwarded-For cannot rotate it. An IPv6 client usually holds a whole /64, so it is recorded
    as its /64's first address (still a valid address for axes' field), and an IPv4-mapped
    address as the IPv4 address.
    """
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return "0.0.0.0"  # noqa: S104 (a key: clients without a usable address share one lock)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def lockout_duration(failures: int) -> timedelta:
    """The lock after ``failures`` failures: the first lock's length, doubled for each failure
    past the limit, at most ``MAX_LOCKOUT``."""
    first = timedelta(minutes=settings.NEWSDESK_LOGIN_LOCKOUT_MINUTES)
    doublings = min(max(0, failures - settings.NEWSDESK_LOGIN_FAILURE_LIMIT), 32)
    return min(first * 2**doublings, MAX_LOCKOUT)


def lockout_for(*, username: str | None, ip_address: str | None, now: datetime) -> Lockout | None:
    """The lock in force at ``now`` for this username or this client address, whichever ends
    later; None when neither is locked."""
    found: Lockout | None = None
    for field, value in (("username", username), ("ip_address", ip_address)):
        if not value:
            continue
        totals = AccessAttempt.objects.filter(
            **{field: value}, attempt_time__gte=now - MAX_LOCKOUT
        ).aggregate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
        failures = totals["failures"] or 0
        if failures < settings.NEWSDESK_LOGIN_FAILURE_LIMIT:
            continue
        until = totals["latest"] + lockout_duration(failures)
        if until > now and (found is None or until > found.until):
            found = Lockout(failures=failures, until=until)
    return found


def request_lockout(request: HttpRequest, credentials: dict[str, object] | None) -> Lockout | None:
    """``lockout_for`` the username and client address of a sign-in request."""
    ip_address = getattr(request, "axes_ip_address", None) or lockout_client_ip(request)
    return lockout_for(
        username=get_client_username(request, credentials),
        ip_address=ip_address,
        now=timezone.now(),
    )


def cool_off(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: the length of the lock a request is under (the first lock's
    length when it is under none), for any part of axes that asks."""
    if request is not None:
        lock = request_lockout(request, getattr(request, "axes_credentials", None))
        if lock is not None:
            return lockout_duration(lock.failures)
    return lockout_duration(0)
