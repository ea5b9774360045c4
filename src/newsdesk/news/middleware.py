"""The Wagtail Site of each request, from the publication-version cache; old addresses with a
query string (``/?p=123``) redirected."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect


class CachedSiteMiddleware:
    """Resolve the Wagtail Site of a request from a cache instead of a query per request.

    Wagtail looks the Site up on every page view (``Site.find_for_request``) and keeps it on the
    request; setting it here first means the lookup runs once per host and publication version.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from wagtail.models import Site

        from newsdesk.core.health import HEALTH_PATH
        from newsdesk.news.versioning import cached

        if request.path_info == HEALTH_PATH:
            # The health check needs no site, and must answer itself when the database
            # does not (this lookup would raise first).
            return self.get_response(request)

        # Django's private _get_raw_host, on purpose: it is what Wagtail itself matches on.
        host = request._get_raw_host()  # type: ignore[attr-defined]
        site = cached(f"site:{host}:{request.get_port()}", lambda: Site._find_for_request(request))
        if site is not None:
            # Where Site.find_for_request looks first; HttpRequest's stubs do not know it.
            request._wagtail_site = site  # type: ignore[attr-defined]
        return self.get_response(request)


class QueryRedirectMiddleware:
    """``/?p=123`` and ``/?page_id=7``, WordPress's own addresses of post 123 and page 7,
    answer 301 to the article or page imported from them.

    Wagtail's RedirectMiddleware only looks for a redirect when the answer is a 404, and the
    home page answers ``/?p=123`` with itself (200). Only that shape is looked up, so no other
    request pays a query; other parameters (``utm_source``) do not prevent the match.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/" and request.method in {"GET", "HEAD"}:
            for parameter in _ID_PARAMETERS:
                post_id = request.GET.get(parameter, "")
                # Bounded: a post id is at most 20 digits (a 64-bit number), and no request
                # should make the lookup work harder than that.
                if len(post_id) <= 20 and post_id.isascii() and post_id.isdigit():
                    from wagtail.contrib.redirects.middleware import get_redirect

                    redirect = get_redirect(request, f"/?{parameter}={post_id}")
                    link = redirect.link if redirect is not None else None
                    if link:
                        return HttpResponsePermanentRedirect(link)
        return self.get_response(request)


# WordPress's addresses of a post (``/?p=123``) and of a page (``/?page_id=7``).
_ID_PARAMETERS = ("p", "page_id")
