"""The outbox in the admin: read what the site sent when no mail server is configured.

Shown only while mail goes to the outbox (EMAIL_URL unset or file://), which is how the demo
runs: a new user can open their confirmation email and the digest right here.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_safe
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from newsdesk.mail.outbox import OUTBOX_BACKEND, outbox_entries, outbox_entry

READ = "newsletter.view_subscriber"
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)
_NEW_TAB = '<base target="_blank">'


def links_in_new_tab(html: str) -> str:
    """For an email shown in a sandboxed frame: the site refuses to be framed (X-Frame-Options:
    DENY), so a link followed inside the frame shows an error; the sandbox lets popups out, so
    links open in a new tab instead."""
    head = _HEAD.search(html)
    at = head.end() if head else 0
    return html[:at] + _NEW_TAB + html[at:]


def _outbox_in_use() -> bool:
    return settings.EMAIL_BACKEND == OUTBOX_BACKEND


def _check(request: HttpRequest) -> None:
    # Emails hold readers' addresses and their personal links: subscriber-level access only.
    if not _outbox_in_use() or not request.user.has_perm(READ):
        raise Http404


@require_safe
def outbox_list(request: HttpRequest) -> HttpResponse:
    _check(request)
    return render(request, "newsletter/admin/outbox.html", {"entries": outbox_entries()})


@require_safe
def outbox_message(request: HttpRequest, name: str) -> HttpResponse:
    _check(request)
    entry = outbox_entry(name)
    if entry is None:
        raise Http404
    html = entry.html()
    if html:
        html = links_in_new_tab(html)
    return render(request, "newsletter/admin/outbox_message.html", {"entry": entry, "html": html})


@hooks.register("register_admin_urls")
def outbox_urls() -> list[Any]:
    return [
        path("outbox/", outbox_list, name="newsletter_outbox"),
        path("outbox/<str:name>/", outbox_message, name="newsletter_outbox_message"),
    ]


class OutboxMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return _outbox_in_use() and request.user.has_perm(READ)


@hooks.register("register_admin_menu_item")
def outbox_menu_item() -> MenuItem:
    return OutboxMenuItem("Outbox", reverse("newsletter_outbox"), icon_name="mail", order=320)
