"""Digests in the Wagtail admin: plan an edition, preview it, send a test, send it now.

An editor creates the edition for a coming date, writes an intro and picks stories; the
scheduler freezes it at NEWSDESK_DIGEST_TIME. "Send now" freezes it at once and leaves the
sending to the worker (``newsdesk worker``), so no admin request ever waits on a mail server.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.views.snippets import SnippetViewSet

from newsdesk.mail.outbox_admin import links_in_new_tab
from newsdesk.mail.transports import Job, Outcome, transport_make
from newsdesk.newsletter.digests.render import digest_html, digest_message_template
from newsdesk.newsletter.digests.selectors import digest_counts
from newsdesk.newsletter.digests.services import digest_contents, digest_freeze
from newsdesk.newsletter.models import Delivery, Digest, DigestItem
from newsdesk.newsletter.subscriptions.addresses import InvalidAddress, address_parse

EDIT = "newsletter.change_digest"


def _items(digest: Digest) -> list[DigestItem]:
    """The stories, with ``digest.subject`` set for a draft as if it were frozen now."""
    items, digest.subject = digest_contents(digest)
    return items


@require_safe
def digest_report(request: HttpRequest, pk: int) -> HttpResponse:
    digest = get_object_or_404(Digest, pk=pk)
    items = _items(digest)
    context = {
        "digest": digest,
        "items": items,
        "counts": digest_counts(digest) if digest.status != Digest.Status.DRAFT else None,
        # The email exactly as readers get it, shown in a sandboxed frame (no scripts, no
        # same-origin access), with inert links in place of a reader's own.
        "preview_html": links_in_new_tab(digest_html(digest, items, personal=False))
        if items
        else "",
        "can_edit": request.user.has_perm(EDIT),
    }
    return render(request, "newsletter/admin/digest_report.html", context)


@require_POST
def digest_send_test(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(EDIT):
        raise PermissionDenied
    digest = get_object_or_404(Digest, pk=pk)
    report_url = reverse("newsletter_digest:report", args=[digest.pk])
    try:
        address = address_parse(request.POST.get("email", "")[:320])
    except InvalidAddress as error:
        messages.error(request, f"Test not sent: {error}")
        return redirect(report_url)
    items = _items(digest)
    if not items:
        messages.error(request, "Test not sent: this edition has no stories yet.")
        return redirect(report_url)
    template = digest_message_template(digest, items)
    inert = request.build_absolute_uri(reverse("newsletter:archive"))
    values = {
        "to": address.email,
        "message_id": f"digest-{digest.pk}.test.{request.user.pk}@newsdesk.invalid",
        "unsubscribe_url": inert,
        "preferences_url": inert,
        "unsubscribe_mailto": "mailto:test@newsdesk.invalid",
    }
    transport = transport_make()
    try:
        result = transport.send(Job(0, address.email, template, values))
    finally:
        transport.close()
    if result.outcome is Outcome.SENT:
        messages.success(request, f"Test sent to {address.email}.")
    else:
        messages.error(request, f"Test not sent: {result.detail}")
    return redirect(report_url)


@require_POST
def digest_send_now(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm(EDIT):
        raise PermissionDenied
    digest = digest_freeze(get_object_or_404(Digest, pk=pk))
    if digest.status == Digest.Status.SKIPPED:
        messages.warning(request, "No stories for this edition: nothing will be sent.")
    else:
        messages.success(
            request, "The edition is frozen; the worker is sending it to every reader."
        )
    return redirect(reverse("newsletter_digest:report", args=[digest.pk]))


class DigestViewSet(SnippetViewSet):
    model = Digest
    icon = "mail"
    menu_label = "Digests"
    menu_order = 310
    add_to_admin_menu = True
    url_namespace = "newsletter_digest"
    url_prefix = "newsletter/digests"
    list_display = [
        "date",
        "edition",
        "status",
        "subject",
        Column("sent_count", label="Sent"),
        Column("failed_count", label="Failed"),
    ]
    list_filter = ["edition", "status"]
    copy_view_enabled = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Digest]:
        # Two counts for the whole page in the one listing query.
        return Digest.objects.annotate(
            sent_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
            failed_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        ).order_by("-date", "edition")

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("report/<int:pk>/", digest_report, name="report"),
            path("report/<int:pk>/test/", digest_send_test, name="send_test"),
            path("report/<int:pk>/send/", digest_send_now, name="send_now"),
        ]


@hooks.register("register_snippet_listing_buttons")
def digest_report_button(snippet: Any, user: Any, next_url: str | None = None) -> list[Any]:
    if not isinstance(snippet, Digest):
        return []
    return [
        ListingButton(
            "Preview, test and counts",
            reverse("newsletter_digest:report", args=[snippet.pk]),
            icon_name="view",
            priority=5,
        )
    ]
