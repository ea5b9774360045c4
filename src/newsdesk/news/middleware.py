"""The Wagtail Site of each request, from the publication-version cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class CachedSiteMiddleware:
    """Resolve the Wagtail Site of a request from a cache instead of a query per request.

    Wagtail looks the Site up on every page view (``Site.find_for_request``) and keeps it on the
    request; setting it here first means the lookup runs once per host and publication version.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from wagtail.models import Site

        from newsdesk.news.versioning import cached

        # Django's private _get_raw_host, on purpose: it is what Wagtail itself matches on.
        host = request._get_raw_host()  # type: ignore[attr-defined]
        site = cached(f"site:{host}:{request.get_port()}", lambda: Site._find_for_request(request))
        if site is not None:
            # Where Site.find_for_request looks first; HttpRequest's stubs do not know it.
            request._wagtail_site = site  # type: ignore[attr-defined]
        return self.get_response(request)
