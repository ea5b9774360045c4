"""The pages a refused sign-in gets: locked out (429) or the server busy checking others (503).

Each says what happened and when to try again, in the look of the admin the person was signing
in to (Wagtail's, or Django's at ``/django-admin/`` when that is switched on), with a
Retry-After header for programs.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from newsdesk.accounts.lockouts import lockout_duration, request_lockout

# A refused check waits for at most one other hash (about half a second): a short retry is fine.
BUSY_RETRY_SECONDS = 5


def _admin_look(request: HttpRequest) -> str:
    """The notice template matching the admin the request came from."""
    match = request.resolver_match
    if match is not None and match.namespace == "admin":
        return "accounts/django_admin_notice.html"
    return "accounts/wagtail_admin_notice.html"


def _notice(
    request: HttpRequest, *, status: int, retry_seconds: int, context: dict[str, Any]
) -> HttpResponse:
    response = render(request, _admin_look(request), context, status=status)
    response["Retry-After"] = str(retry_seconds)
    return response


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page for a sign-in refused because of a lock."""
    now = timezone.now()
    lock = request_lockout(request, credentials)
    # axes only calls this for a locked request; a lock that ended a moment ago still gets the
    # page (with the shortest wait) rather than a confusing "wrong password".
    until = lock.until if lock is not None else now + timedelta(seconds=1)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return _notice(
        request,
        status=429,
        retry_seconds=seconds,
        context={
            "title": "Too many failed sign-ins",
            "reason": (
                "There have been too many failed sign-ins for this username or from your "
                "network, so sign-ins are paused. Your password was not checked."
            ),
            "until": until,
            "minutes": math.ceil(seconds / 60),
            "first_lock_minutes": math.ceil(lockout_duration(0).total_seconds() / 60),
            "locked": True,
        },
    )


def busy_response(request: HttpRequest) -> HttpResponse:
    """The page for a sign-in refused because this process is busy checking other passwords."""
    return _notice(
        request,
        status=503,
        retry_seconds=BUSY_RETRY_SECONDS,
        context={
            "title": "Sign-in is busy",
            "reason": (
                "The server is checking other sign-ins at this moment, so your password was "
                "not checked. Please try again in a few seconds."
            ),
            "seconds": BUSY_RETRY_SECONDS,
            "locked": False,
        },
    )
