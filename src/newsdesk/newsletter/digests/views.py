"""Public digest pages: the archive of past editions and each edition as a web page."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from newsdesk.newsletter.digests import selectors as digest_selectors
from newsdesk.newsletter.digests.render import LEAD_IMAGES


@require_safe
def digest_archive(request: HttpRequest) -> HttpResponse:
    page = digest_selectors.digest_archive_page(request.GET.get("page"))
    return render(request, "newsletter/archive.html", {"digests": page})


@require_safe
def digest_page(request: HttpRequest, date: dt.date, edition: str) -> HttpResponse:
    digest = digest_selectors.digest_public(edition, date)
    if digest is None:
        raise Http404("No digest for that date.")
    items = digest_selectors.digest_items_public(digest)
    return render(
        request,
        "newsletter/digest.html",
        {
            "digest": digest,
            "items": items,
            "picked_count": sum(1 for item in items if item.picked),
            "lead_images": LEAD_IMAGES,
        },
    )
