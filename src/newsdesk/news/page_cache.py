"""Whole pages for anonymous readers, kept in Django's cache under the publication version.

A story that is shared brings a hundred readers a second to one address; each of them gets the
same bytes. The first anonymous GET of an address renders it; the next ones, until something
readers see changes, are answered from the cache (this process's memory, or Redis shared by
every process when ``REDIS_URL`` is set) without touching the page tree. The key carries the
publication version (``versioning``), which every publish, unpublish, move and delete raises,
so a change retires every stored page: here at once, in other processes within
``NEWSDESK_VERSION_CHECK_SECONDS``. Entries also expire after ``ENTRY_SECONDS``, so an article
whose scheduled date arrives shows within a minute without a publish, and an article with an
expiry time is never served from the cache past it.

Only what is the same for everyone is stored: a GET without a session cookie (editors and
signed-in users always get a fresh page), answered 200 without a cookie, not varying on
cookies, not marked private or no-store (token pages are). Each stored page has an ETag, and
a conditional GET for it is answered 304. The security headers are added outside this
middleware, on hits as on misses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import timezone
from django.utils.cache import patch_cache_control

from newsdesk.news.versioning import ENTRY_SECONDS, current_version

# Paths never stored: the admin, token pages, files with their own caching, the health check.
_NOT_PAGES = ("/admin/", "/django-admin/", "/newsletter/", "/documents/", "/media/", "/static/")
_NOT_PAGES_EXACT = frozenset({"/healthz"})
# A page larger than this is rendered each time rather than held (no page here comes close).
MAX_STORED_BYTES = 1024 * 1024
# Headers a stored page keeps; the rest (security headers) are added around every answer.
_KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Last-Modified",
    "Link",
    "X-Robots-Tag",
    "Allow",
)
HIT_HEADER = "X-Newsdesk-Cache"


# What a view sets on its response when the page stops being right at a known time: an
# article with an expiry time (``ArticlePage.serve``), which then answers 404.
UNTIL_ATTRIBUTE = "newsdesk_cache_until"


@dataclass(frozen=True)
class StoredPage:
    content: bytes
    headers: tuple[tuple[str, str], ...]
    etag: str
    until: datetime | None = None


def _cacheable_request(request: HttpRequest) -> bool:
    if request.method != "GET" or not settings.NEWSDESK_PAGE_CACHE:
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "Authorization" in request.headers:
        return False
    path = request.path_info
    return not path.startswith(_NOT_PAGES) and path not in _NOT_PAGES_EXACT


def _key(request: HttpRequest) -> str:
    # The host is part of the address: Wagtail may serve several sites, and pages hold
    # absolute links built from SITE_URL and the host.
    address = f"{request.get_host()}|{request.get_full_path()}"
    digest = hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()
    return f"newsdesk:v{current_version()}:page:{digest}"


def _storable(response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if "cookie" in response.get("Vary", "").lower():
        return False
    cache_control = response.get("Cache-Control", "").lower()
    if "private" in cache_control or "no-store" in cache_control:
        return False
    return len(response.content) <= MAX_STORED_BYTES


def _shared_cache_headers(response: HttpResponse) -> None:
    """What a CDN or proxy in front may do: keep the page briefly, and serve it a little
    longer while it fetches a fresh one; browsers check again each time (max-age=0)."""
    if "Cache-Control" not in response:
        patch_cache_control(
            response,
            public=True,
            max_age=0,
            s_maxage=settings.NEWSDESK_SHARED_CACHE_SECONDS,
            stale_while_revalidate=settings.NEWSDESK_SHARED_CACHE_STALE_SECONDS,
        )


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    wanted = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in wanted.split(",")) or (
        wanted.strip() == "*"
    )


def _answer(request: HttpRequest, page: StoredPage, hit: bool) -> HttpResponse:
    response: HttpResponse
    if _etag_matches(request, page.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(page.content)
        for name, value in page.headers:
            response[name] = value
    response["ETag"] = page.etag
    response[HIT_HEADER] = "hit" if hit else "miss"
    _shared_cache_headers(response)
    return response


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _key(request)
        page = cache.get(key)
        if isinstance(page, StoredPage) and (page.until is None or timezone.now() < page.until):
            return _answer(request, page, hit=True)
        response = self.get_response(request)
        if not _storable(response) or "ETag" in response:
            # A view with its own ETag (the feeds) answers its conditional requests itself.
            return response
        until: datetime | None = getattr(response, UNTIL_ATTRIBUTE, None)
        seconds = ENTRY_SECONDS
        if until is not None:
            seconds = min(seconds, int((until - timezone.now()).total_seconds()))
            if seconds <= 0:
                return response
        content = bytes(response.content)
        page = StoredPage(
            content=content,
            headers=tuple((name, response[name]) for name in _KEPT_HEADERS if name in response),
            etag='"' + hashlib.sha256(content).hexdigest()[:32] + '"',
            until=until,
        )
        cache.set(key, page, seconds)
        return _answer(request, page, hit=False)
