"""anymail's tracking webhooks, mounted behind our own guard (include this module's URLs).

anymail alone accepts every webhook from anyone when WEBHOOK_SECRET is unset (it only warns),
answers a malformed body with a 500 (which the ESP retries for days), and reads bodies up to
Django's general upload limit. Here:

- no ANYMAIL_WEBHOOK_SECRET configured: every request is refused (403), for every ESP, even those
  that also sign their payloads;
- wrong or missing basic auth: 401 with a challenge (Amazon SNS and some others send the
  credentials only after one); anymail then checks them again itself, plus any ESP signature;
- a body over NEWSDESK_WEBHOOK_MAX_BYTES: 413, before it is read;
- a body anymail cannot parse (bad JSON, bad UTF-8, the wrong shape): 400, so a bad request
  is not retried, while a failure in our own handler stays a 500 so that the ESP retries it;
- only the tracking and inbound webhooks are mounted; inbound mail is read only for the
  "unsubscribe <token>" messages of List-Unsubscribe's mailto: link (see inbound.py).

Importing this module also connects the bounce handler to anymail's ``tracking`` signal and the
unsubscribe handler to its ``inbound`` signal; the webhook views are reachable only through
these URLs, so the handlers are always connected before the first event arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from newsdesk.newsletter import bounces, inbound  # noqa: F401 (connect the signal receivers)

View = Callable[..., HttpResponse]


class MalformedPayloadError(ValueError):
    """The ESP's payload could not be parsed into events."""


class _ParseErrorsAreBadRequests:
    """Mixed in before an anymail view: parse failures become 400, not 500."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            return super().parse_events(request)  # type: ignore[misc]
        except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
            raise MalformedPayloadError(str(exc)) from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)  # type: ignore[misc]
        except MalformedPayloadError:
            return _plain("Malformed webhook payload.\n", status=400)


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _allowed_credentials() -> list[str]:
    secret = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secret, str):
        return [secret] if secret else []
    return [item for item in secret if item]


def _guarded(view: View) -> View:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = _allowed_credentials()
        if not allowed:
            return _plain(
                "Webhooks are switched off: ANYMAIL_WEBHOOK_SECRET is not configured.\n",
                status=403,
            )
        if request.method == "POST":
            given = get_request_basic_auth(request) or ""
            # any() may stop early: that reveals how many secrets exist, not their contents.
            if not any(constant_time_compare(given, secret) for secret in allowed):
                response = _plain("Missing or wrong webhook credentials.\n", status=401)
                response["WWW-Authenticate"] = 'Basic realm="newsdesk webhooks"'
                return response
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return _plain("Bad Content-Length.\n", status=400)
            if length > settings.NEWSDESK_WEBHOOK_MAX_BYTES:
                return _plain("Webhook payload too large.\n", status=413)
        return view(request, *args, **kwargs)

    return csrf_exempt(guarded)


def _webhook_patterns() -> list[URLPattern]:
    patterns = []
    for pattern in anymail_urls.urlpatterns:
        if not isinstance(pattern, URLPattern):
            continue
        name = pattern.name or ""
        if "tracking" not in name and "inbound" not in name:
            continue
        view_class = pattern.callback.view_class  # type: ignore[attr-defined]
        strict = type(view_class.__name__, (_ParseErrorsAreBadRequests, view_class), {})
        view = strict.as_view(**pattern.callback.view_initkwargs)  # type: ignore[attr-defined]
        patterns.append(URLPattern(pattern.pattern, _guarded(view), name=pattern.name))
    return patterns


app_name = "anymail"
urlpatterns = _webhook_patterns()
