"""Subscriber admin views: the listing with CSV export, the import form, the inspect page.

The export is served by the subscriber listing itself (``?export=csv``), so it carries the
listing's search and filters and its permission (viewing subscribers). Importing needs the
"add subscriber" permission, checked on the user directly: the admin's own add form stays
switched off by the permission policy, since every subscriber comes through the signup path.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_POST
from django.views.generic import FormView
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import HeaderButton
from wagtail.snippets.views.snippets import IndexView, InspectView

from newsdesk.newsletter.models import BounceEvent, Consent, Subscriber
from newsdesk.newsletter.subscriptions.imports import import_consent_text, subscribers_import
from newsdesk.newsletter.subscriptions.ratelimit import client_ip
from newsdesk.newsletter.subscriptions.services import ACTIVE, subscriber_unsubscribe
from newsdesk.newsletter.subscriptions.subscribers_csv import (
    MAX_ERRORS_SHOWN,
    ImportFileError,
    export_lines,
    parse_import,
)

IMPORT_PERMISSION = "newsletter.add_subscriber"
LIST_URL_NAME = "wagtailsnippets_newsletter_subscriber:list"


def export_response(queryset: QuerySet[Subscriber]) -> StreamingHttpResponse:
    """Stream the CSV: rows are read in chunks (with their topics), so memory stays flat."""
    subscribers = queryset.prefetch_related("topics").iterator(chunk_size=500)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        export_lines(subscribers), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="subscribers-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


class SubscriberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, first line naming the columns: “email” (required) and “frequency” "
        "(daily or weekly, optional). Other columns are ignored.",
    )
    source = forms.CharField(
        label="Where the list comes from",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with each address as the record of how it was collected, e.g. "
        "“sign-up sheet at the harbour festival, June 2025”.",
    )
    skip_invalid = forms.BooleanField(
        label="Skip invalid rows",
        required=False,
        help_text="Import the valid rows and report the others. Off: one bad row refuses "
        "the whole file.",
    )


class SubscriberImportView(WagtailAdminTemplateMixin, FormView):
    form_class = SubscriberImportForm
    template_name = "newsletter/admin/import.html"
    page_title = "Import subscribers"
    header_icon = "upload"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(LIST_URL_NAME), "label": "Subscribers"},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            max_rows=settings.NEWSDESK_IMPORT_MAX_ROWS,
            max_kb=settings.NEWSDESK_IMPORT_MAX_BYTES // 1000,
            list_url=reverse(LIST_URL_NAME),
        )
        return context

    def form_valid(self, form: SubscriberImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        max_bytes = settings.NEWSDESK_IMPORT_MAX_BYTES
        try:
            if upload.size > max_bytes:
                raise ImportFileError(f"The file is larger than {max_bytes // 1000:,} kB.")
            parsed = parse_import(
                upload.read(max_bytes + 1),
                max_bytes=max_bytes,
                max_rows=settings.NEWSDESK_IMPORT_MAX_ROWS,
            )
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        if parsed.errors and not form.cleaned_data["skip_invalid"]:
            form.add_error(
                "file",
                f"Nothing was imported: {len(parsed.errors):,} "
                f"{'row is' if len(parsed.errors) == 1 else 'rows are'} not valid. Correct "
                "them, or tick “Skip invalid rows”.",
            )
            return self.render_to_response(
                self.get_context_data(
                    form=form,
                    row_errors=parsed.errors[:MAX_ERRORS_SHOWN],
                    more_errors=max(0, len(parsed.errors) - MAX_ERRORS_SHOWN),
                )
            )
        report = subscribers_import(
            rows=parsed.rows,
            consent_text=import_consent_text(
                source=form.cleaned_data["source"], username=self.request.user.get_username()
            ),
            invalid=len(parsed.errors),
            duplicates=parsed.duplicates,
        )
        summary = (
            f"Import done: {report.created:,} new (pending, sent a confirmation email), "
            f"{report.already_present:,} already on the list (left as they were), "
            f"{report.invalid:,} invalid."
        )
        if parsed.errors:
            shown = "; ".join(str(error) for error in parsed.errors[:10])
            summary += f" Skipped: {shown}" + ("; …" if len(parsed.errors) > 10 else "")
        messages.success(self.request, summary)
        return redirect(reverse(LIST_URL_NAME))


CHANGE_PERMISSION = "newsletter.change_subscriber"


@require_POST
def subscriber_unsubscribe_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The one status change the admin offers, through the same service as the reader's link
    (recorded in the consent history as done in the admin)."""
    if not request.user.has_perm(CHANGE_PERMISSION):
        raise PermissionDenied
    subscriber = get_object_or_404(Subscriber, pk=pk)
    subscriber_unsubscribe(
        subscriber=subscriber, method=Consent.Method.ADMIN, ip=client_ip(request)
    )
    messages.success(request, f"{subscriber.email} gets no more email from the newsletter.")
    return redirect(reverse("wagtailsnippets_newsletter_subscriber:inspect", args=[pk]))


@hooks.register("register_admin_urls")
def _import_urls() -> list[Any]:
    # Wagtail wraps these in its admin-access check; the views check their own permissions.
    return [
        path(
            "newsletter/subscribers/import/",
            SubscriberImportView.as_view(),
            name="newsletter_subscriber_import",
        ),
        path(
            "newsletter/subscribers/<int:pk>/unsubscribe/",
            subscriber_unsubscribe_view,
            name="newsletter_subscriber_unsubscribe",
        ),
    ]


class SubscriberIndexView(IndexView):
    """The listing, plus "Export CSV" (of what the listing shows) and "Import CSV" buttons."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.GET.get("export") == "csv":
            # Before the listing builds its page: the export must not load every row at once.
            return export_response(self.get_queryset())
        return super().get(request, *args, **kwargs)

    @cached_property
    def header_buttons(self) -> list[Any]:
        params = self.request.GET.copy()
        for name in (self.page_kwarg, "_w_filter_fragment", "export"):
            params.pop(name, None)
        params["export"] = "csv"
        buttons = [
            *super().header_buttons,
            HeaderButton(
                "Export CSV",
                url=f"{reverse(LIST_URL_NAME)}?{params.urlencode()}",
                icon_name="download",
            ),
        ]
        if self.request.user.has_perm(IMPORT_PERMISSION):
            buttons.append(
                HeaderButton(
                    "Import CSV",
                    url=reverse("newsletter_subscriber_import"),
                    icon_name="upload",
                )
            )
        return buttons


class SubscriberInspectView(InspectView):
    """The subscriber's fields, the email they are owed, their consent history, then the
    bounces and complaints the mail provider reported."""

    template_name = "newsletter/admin/subscriber_inspect.html"
    bounce_events_shown = 50
    consents_shown = 50

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        events = BounceEvent.objects.filter(subscriber=self.object).select_related(
            "delivery__digest"
        )
        context["bounce_events"] = list(events[: self.bounce_events_shown])
        context["consents"] = list(self.object.consents.all()[: self.consents_shown])
        context["can_unsubscribe"] = self.object.status in ACTIVE and self.request.user.has_perm(
            CHANGE_PERMISSION
        )
        return context
