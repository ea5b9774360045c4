"""Whether a signup POST was sent by a page of this site: the signup form's CSRF check without
a cookie.

The signup box is on every public page. With Django's CSRF token, each page set a
``csrftoken`` cookie and varied on cookies, so no proxy or CDN could store any of them. The
signup is a low-risk form (a forged one can at most send a confirmation email, which the
double opt-in makes harmless, and the rate limits bound), so its forgery check is the one
browsers make possible without state (the OWASP "verifying origin with standard headers"
defence, as Django 5's own check does first):

1. ``Sec-Fetch-Site``, which every current browser sends and no page can forge: only
   ``same-origin`` passes;
2. else ``Origin`` (older browsers send it on every POST): it must be this site's;
3. else ``Referer``, when there is one: its origin must be this site's;
4. else the request names nowhere (no browser form sends such a POST today): it passes, and
   the honeypot and the rate limits still apply, as to any client that is not a browser.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def site_origins(request: HttpRequest) -> frozenset[str]:
    """This site's origins: SITE_URL's, the request's own (the host it was asked under, which
    ALLOWED_HOSTS has already checked), and CSRF_TRUSTED_ORIGINS."""
    origins = {_origin_of(settings.SITE_URL), _origin_of(request.build_absolute_uri("/"))}
    origins.update(origin.lower() for origin in settings.CSRF_TRUSTED_ORIGINS)
    return frozenset(origin for origin in origins if origin)


def cross_site_reason(request: HttpRequest) -> str | None:
    """None when the POST came from this site's own page, else why it is refused (for logs)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return None if fetch_site == "same-origin" else f"Sec-Fetch-Site is {fetch_site[:20]!r}"
    origin = request.headers.get("Origin")
    if origin is not None:
        return None if origin.lower() in site_origins(request) else "Origin is another site's"
    referer = request.headers.get("Referer")
    if referer:
        if _origin_of(referer) not in site_origins(request):
            return "Referer is another site's"
    return None
