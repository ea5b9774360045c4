"""The admin's import page: upload an export, follow its progress, read its summary.

Staff with the "add import" permission only (superusers have it): an import creates pages and,
from a Ghost or Substack export, subscribers.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from newsdesk.importers.jobs import ImportOptions, import_job_create
from newsdesk.importers.models import ImportJob
from newsdesk.importers.runner import FORMAT_CHOICES
from newsdesk.importers.selectors import import_job_progress, recent_import_jobs

PERMISSION = "importers.add_importjob"
STATUS_KEEP, STATUS_DRAFT, STATUS_PUBLISH = "keep", "draft", "publish"


class SiteImportForm(forms.Form):
    file = forms.FileField(
        label="Export file",
        help_text="A WordPress export (.xml), a Ghost export (.json), a Substack export (.zip), "
        "or articles as JSON Lines, Markdown or plain text.",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[("", "Detect from the file"), *[(name, name) for name in sorted(FORMAT_CHOICES)]],
    )
    status = forms.ChoiceField(
        label="Status of what is imported",
        widget=forms.RadioSelect,
        initial=STATUS_KEEP,
        choices=[
            (
                STATUS_KEEP,
                "As in the export (published, scheduled, draft); drafts for files without a status",
            ),
            (STATUS_DRAFT, "Everything as drafts, for an editor to review"),
            (STATUS_PUBLISH, "Publish (plain text, Markdown and JSON Lines only)"),
        ],
    )
    include_private = forms.BooleanField(
        label="Include WordPress's private posts (as drafts)", required=False
    )
    reconfirm = forms.BooleanField(
        label="Ask imported subscribers to confirm again",
        required=False,
        help_text="Off: readers subscribed on the other platform arrive confirmed, with a "
        "consent record naming this import. On: each gets the confirmation email.",
    )
    dry_run = forms.BooleanField(
        label="Check only",
        required=False,
        help_text="Read and count everything, then write nothing.",
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.NEWSDESK_MAX_REQUEST_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {limit:,}. Import it with "
                "the newsdesk import command, or ask the site's operator to raise "
                "NEWSDESK_MAX_REQUEST_BYTES."
            )
        return upload

    def options(self) -> ImportOptions:
        data = self.cleaned_data
        return ImportOptions(
            draft=data["status"] == STATUS_DRAFT,
            publish=data["status"] == STATUS_PUBLISH,
            include_private=data["include_private"],
            reconfirm=data["reconfirm"],
            dry_run=data["dry_run"],
            format=FORMAT_CHOICES.get(data["format"] or ""),
        )


class _ImportPermissionMixin:
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class SiteImportView(_ImportPermissionMixin, WagtailAdminTemplateMixin, FormView):
    form_class = SiteImportForm
    template_name = "importers/admin/import.html"
    page_title = "Import content"
    header_icon = "upload"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            jobs=recent_import_jobs(),
            max_mb=settings.NEWSDESK_MAX_REQUEST_BYTES // 1_048_576,
        )
        return context

    def form_valid(self, form: SiteImportForm) -> HttpResponse:
        job = import_job_create(
            upload=form.cleaned_data["file"], options=form.options(), user=self.request.user
        )
        return redirect(reverse("importers_job", args=[job.pk]))


class ImportJobView(_ImportPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "importers/admin/job.html"
    page_title = "Import"
    header_icon = "upload"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        job = get_object_or_404(ImportJob, pk=kwargs["pk"])
        context.update(job=job, progress=import_job_progress(job), list_url=reverse("importers"))
        return context

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("importers"), "label": "Import content"},
            {"url": "", "label": self.page_title},
        ]
