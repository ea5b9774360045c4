"""anymail's tracking webhooks, mounted behind our own guard (include this module's URLs).

anymail alone accepts every webhook from anyone when WEBHOOK_SECRET is unset (it only warns),
answers a malformed body with a 500 (which the ESP retries for days), and reads bodies up to
Django's general upload limit. Here:

- only the ESPs newsdesk supports are mounted (``email_url.WEBHOOK_ESPS``); others answer 404;
- no ANYMAIL_WEBHOOK_SECRET configured: every request is refused (403), for every ESP, even those
  that also sign their payloads; an ESP that signs its payloads is refused (403) until the key
  that checks its signature is configured, instead of failing each event with a 500;
- wrong or missing basic auth: 401 with a challenge (Amazon SNS and some others send the
  credentials only after one); anymail then checks them again itself, plus any ESP signature.
  After WRONG_CREDENTIALS_LIMIT wrong tries in an hour from one IP, that IP gets 429 without
  its credentials being compared, so the secret cannot be guessed at speed;
- a body over NEWSDESK_WEBHOOK_MAX_BYTES: 413, before it is read;
- a body anymail cannot parse (bad JSON, bad UTF-8, nesting too deep, the wrong shape): 400 and a
  log line, so a bad request is not retried and is not lost silently, while a failure in our
  own handler stays a 500 so that the ESP retries it;
- only the tracking and inbound webhooks are mounted; inbound mail is read only for the
  "unsubscribe <token>" messages of List-Unsubscribe's mailto: link (see inbound.py).

Importing this module also connects the bounce handler to anymail's ``tracking`` signal and the
unsubscribe handler to its ``inbound`` signal; the webhook views are reachable only through
these URLs, so the handlers are always connected before the first event arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from anymail import urls as anymail_urls
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from newsdesk.mail.email_url import (
    WEBHOOK_ESPS,
    WEBHOOK_SIGNATURE_REQUIRED,
    WEBHOOK_SIGNING_SETTINGS,
)
from newsdesk.newsletter.subscriptions.ratelimit import (
    client_ip,
    ip_limit_key,
    ratelimit_hit,
    ratelimit_spent,
)

View = Callable[..., HttpResponse]
logger = logging.getLogger(__name__)
WRONG_CREDENTIALS_LIMIT = 20
WRONG_CREDENTIALS_WINDOW = timedelta(hours=1)


class MalformedPayloadError(ValueError):
    """The ESP's payload could not be parsed into events."""


class _ParseErrorsAreBadRequests:
    """Mixed in before an anymail view: parse failures become 400, not 500."""

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            return super().parse_events(request)  # type: ignore[misc]
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            IndexError,
            RecursionError,  # JSON nested thousands deep
        ) as exc:
            raise MalformedPayloadError(f"{type(exc).__name__}: {exc}"[:200]) from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().post(request, *args, **kwargs)  # type: ignore[misc]
        except (MalformedPayloadError, RecursionError) as exc:
            # RecursionError here: an ESP (Mailgun) that parses the JSON to check a signature.
            logger.warning(
                "webhook %s: malformed payload of %s bytes refused (400): %s",
                request.path,
                request.META.get("CONTENT_LENGTH") or "?",
                exc,
            )
            return _plain("Malformed webhook payload.\n", status=400)


def _plain(text: str, *, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def _allowed_credentials() -> list[str]:
    secret = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secret, str):
        return [secret] if secret else []
    return [item for item in secret if item]


def _missing_signing_key(esp: str) -> str | None:
    """The variable to set before this ESP's signed events can be checked, if it is unset."""
    if esp not in WEBHOOK_SIGNATURE_REQUIRED:
        return None
    configured = settings.ANYMAIL
    names = [name for name, owner in WEBHOOK_SIGNING_SETTINGS.items() if owner == esp]
    if any(configured.get(name) for name in names):
        return None
    if esp == "mailgun" and configured.get("MAILGUN_API_KEY"):
        return None  # anymail checks Mailgun's signatures with the API key when no key is set
    return f"ANYMAIL_{names[0]}"


def _guarded(view: View, esp: str) -> View:
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed = _allowed_credentials()
        if not allowed:
            return _plain(
                "Webhooks are switched off: ANYMAIL_WEBHOOK_SECRET is not configured.\n",
                status=403,
            )
        missing = _missing_signing_key(esp)
        if missing:
            return _plain(
                f"{esp} signs its webhooks: set {missing} to the key from {esp}'s settings.\n",
                status=403,
            )
        if request.method == "POST":
            guesses = f"webhook-auth:{ip_limit_key(client_ip(request))}"
            if ratelimit_spent(
                key=guesses, limit=WRONG_CREDENTIALS_LIMIT, window=WRONG_CREDENTIALS_WINDOW
            ):
                response = _plain("Too many wrong webhook credentials.\n", status=429)
                response["Retry-After"] = str(int(WRONG_CREDENTIALS_WINDOW.total_seconds()))
                return response
            given = get_request_basic_auth(request) or ""
            # any() may stop early: that reveals how many secrets exist, not their contents.
            if not any(constant_time_compare(given, secret) for secret in allowed):
                ratelimit_hit(
                    key=guesses, limit=WRONG_CREDENTIALS_LIMIT, window=WRONG_CREDENTIALS_WINDOW
                )
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
        esp = str(view_class.esp_name).lower()
        if esp not in WEBHOOK_ESPS:
            continue
        strict = type(view_class.__name__, (_ParseErrorsAreBadRequests, view_class), {})
        view = strict.as_view(**pattern.callback.view_initkwargs)  # type: ignore[attr-defined]
        patterns.append(URLPattern(pattern.pattern, _guarded(view, esp), name=pattern.name))
    return patterns


app_name = "anymail"
urlpatterns = _webhook_patterns()
