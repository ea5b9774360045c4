"""Limits on guessing the password of a private page or document collection.

Wagtail checks these shared passwords in its own views (``PasswordViewRestrictionForm``), not
through ``authenticate``, so django-axes never sees them. These views stand in front of
Wagtail's at the same addresses and count each submitted password with the project's rate
limiter (in Redis when REDIS_URL is set, else in the database): per client address, and per
restriction (the password itself, whichever page below it the form was posted for). A guess over
either limit is refused before Wagtail's view runs, so it is never compared.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from wagtail import views as wagtail_views
from wagtail.documents.views import serve as wagtail_documents

from newsdesk.newsletter.subscriptions.ratelimit import client_ip, ip_limit_key, ratelimit_hit

WINDOW = timedelta(hours=1)


def _window_end(now: datetime) -> datetime:
    """The end of the limiter's current window: its windows start at whole multiples of their
    length since the epoch (newsdesk.newsletter.subscriptions.ratelimit)."""
    seconds = int(WINDOW.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds + seconds, tz=now.tzinfo)


def password_guess_allowed(request: HttpRequest, *, restriction: str) -> bool:
    """Count one guess at ``restriction`` (e.g. ``page:3``) from this client; False when it is
    over a limit and must not be checked.

    The address is counted first and a refused address does not count against the restriction,
    so one guesser over their own limit does not also use up everyone's allowance for the page.
    """
    address = ip_limit_key(client_ip(request))
    if not ratelimit_hit(
        key=f"password-guess:{address}",
        limit=settings.NEWSDESK_PAGE_PASSWORD_LIMIT_PER_IP,
        window=WINDOW,
    ):
        return False
    return ratelimit_hit(
        key=f"password-guess:{restriction}",
        limit=settings.NEWSDESK_PAGE_PASSWORD_LIMIT_PER_PAGE,
        window=WINDOW,
    )


def _limited(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    until = _window_end(now)
    seconds = max(1, math.ceil((until - now).total_seconds()))
    context = {"until": until, "minutes": math.ceil(seconds / 60)}
    response = render(request, "accounts/password_limited.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response


def page_password(
    request: HttpRequest, page_view_restriction_id: int, page_id: int
) -> HttpResponse:
    """Wagtail's ``authenticate_with_password`` for private pages, behind the limits."""
    if request.method == "POST" and not password_guess_allowed(
        request, restriction=f"page:{page_view_restriction_id}"
    ):
        return _limited(request)
    return wagtail_views.authenticate_with_password(request, page_view_restriction_id, page_id)


def document_password(request: HttpRequest, restriction_id: int) -> HttpResponse:
    """Wagtail's ``authenticate_with_password`` for private document collections, likewise."""
    if request.method == "POST" and not password_guess_allowed(
        request, restriction=f"collection:{restriction_id}"
    ):
        return _limited(request)
    return wagtail_documents.authenticate_with_password(request, restriction_id)
