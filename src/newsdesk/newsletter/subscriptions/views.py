"""Public newsletter pages: signup, confirm, preferences, unsubscribe.

Every link in an email leads to a page that shows what will happen; only a POST acts, so mail
scanners that follow links change nothing. Two views go without Django's CSRF cookie: the
unsubscribe URL, which RFC 8058 mail clients POST to without cookies (the signed token in the
URL authorises that request), and the signup, whose form is on every cacheable page (its
origin is checked instead: ``origins``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from newsdesk.news.selectors import public_topics
from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions import services
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress
from newsdesk.newsletter.subscriptions.forms import (
    HEADLINE,
    HONEYPOT,
    PreferencesForm,
    SignupForm,
    consent_text,
    oversized,
)
from newsdesk.newsletter.subscriptions.origins import cross_site_reason
from newsdesk.newsletter.subscriptions.ratelimit import client_ip, ip_limit_key, ratelimit_hit
from newsdesk.newsletter.subscriptions.tokens import Purpose, subscriber_for_token

logger = logging.getLogger(__name__)
LIMIT_WINDOW = timedelta(hours=1)
View = Callable[..., HttpResponse]


def _private(view: View) -> View:
    """Token pages: never cached, never indexed, and the token never leaves in a Referer."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        # Not "no-referrer": with it browsers send "Origin: null" on the page's own form POST,
        # which Django's CSRF check refuses (403). "same-origin" still keeps the token from
        # leaving this site in a Referer.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex"
        return response

    return wrapper


def _bad_request(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/bad_request.html", status=400)


def _rate_limited(request: HttpRequest) -> HttpResponse:
    response = render(request, "newsletter/rate_limited.html", status=429)
    response["Retry-After"] = str(int(LIMIT_WINDOW.total_seconds()))
    return response


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/invalid_link.html", status=400)


def _subscriber(token: str, purpose: Purpose) -> Subscriber | None:
    return subscriber_for_token(token=token, purpose=purpose)


# No CSRF cookie: the signup box is on every public page, which must stay cacheable; the
# request's origin is checked instead (origins.py says why that is enough for this form).
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "newsletter/subscribe.html", _signup_context(SignupForm()))
    refused = cross_site_reason(request)
    if refused:
        logger.warning("Signup refused as cross-site: %s", refused)
        return render(request, "newsletter/cross_site.html", status=403)
    if oversized(request):
        return _bad_request(request)
    ip = client_ip(request)
    limit = settings.NEWSDESK_SIGNUP_LIMIT_PER_IP
    if not ratelimit_hit(key=ip_limit_key(ip), limit=limit, window=LIMIT_WINDOW):
        return _rate_limited(request)
    if request.POST.get(HONEYPOT):
        # The same page a person sees, so the bot learns nothing; nothing stored, nothing sent.
        return redirect("newsletter:thanks")
    form = SignupForm(request.POST)
    if not form.is_valid():
        return render(request, "newsletter/subscribe.html", _signup_context(form), status=400)
    limit = settings.NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS
    # Counted per inbox: "ann+1@", "ann+2@", … are one reader's mailbox.
    if not ratelimit_hit(key=f"address:{form.address.family}", limit=limit, window=LIMIT_WINDOW):
        return _rate_limited(request)
    try:
        services.subscriber_signup(
            email=form.cleaned_data["email"],
            ip=ip,
            consent_text=consent_text(),
            frequency=Subscriber.Frequency(chosen)
            if (chosen := form.cleaned_data["frequency"])
            else None,
        )
    except InvalidAddress:  # the form already checked; only a changed validator gets here
        return render(request, "newsletter/subscribe.html", _signup_context(form), status=400)
    # Post/redirect/get: reloading the thank-you page does not submit again.
    return redirect("newsletter:thanks")


def _signup_context(form: SignupForm) -> dict[str, Any]:
    return {"form": form, "headline": HEADLINE, "consent_text": consent_text()}


@require_safe
def thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/thanks.html")


@_private
@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(token, "confirm")
    if subscriber is None:
        return _invalid_link(request)
    if request.method != "POST":
        return render(request, "newsletter/confirm.html", {"subscriber": subscriber})
    result = services.subscriber_confirm(subscriber=subscriber, ip=client_ip(request))
    return render(
        request, "newsletter/confirmed.html", {"subscriber": subscriber, "result": result.value}
    )


@_private
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(token, "preferences")
    if subscriber is None:
        return _invalid_link(request)
    context: dict[str, Any] = {"subscriber": subscriber, "token": token}
    if request.method != "POST":
        context["form"] = PreferencesForm(initial=_current(subscriber))
        return render(request, "newsletter/preferences.html", context)
    if oversized(request):
        return _bad_request(request)
    if "unsubscribe" in request.POST:
        services.subscriber_unsubscribe(subscriber=subscriber, ip=client_ip(request))
        return render(request, "newsletter/unsubscribed.html", context)
    form = PreferencesForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "newsletter/preferences.html", context, status=400)
    # Topics the form cannot offer (none of their articles is public just now) stay chosen:
    # a reader must not lose a choice, or fall back to "every topic", by saving the form.
    unseen = subscriber.topics.exclude(pk__in=public_topics().values("pk"))
    services.subscriber_preferences_update(
        subscriber=subscriber,
        frequency=Subscriber.Frequency(form.cleaned_data["frequency"]),
        topics=[*form.cleaned_data["topics"], *unseen],
        paused=form.cleaned_data["paused"],
    )
    context["saved"] = True
    context["form"] = PreferencesForm(initial=_current(subscriber))
    return render(request, "newsletter/preferences.html", context)


def _current(subscriber: Subscriber) -> dict[str, Any]:
    return {
        "frequency": subscriber.frequency,
        "topics": list(subscriber.topics.all()),
        "paused": subscriber.paused,
    }


@_private
@csrf_exempt  # RFC 8058: mail clients POST here without cookies; the signed token authorises it
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(token, "unsubscribe")
    if subscriber is None:
        return _invalid_link(request)
    if request.method != "POST":
        return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
    # Any POST with a valid token unsubscribes (the one-click body is
    # "List-Unsubscribe=One-Click"); the answer is always a 200 page, never a redirect.
    services.subscriber_unsubscribe(subscriber=subscriber, ip=client_ip(request))
    return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
