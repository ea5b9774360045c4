"""The admin's "Import content" page and its place in the Settings menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from newsdesk.importers.admin_views import PERMISSION, ImportJobView, SiteImportView


@hooks.register("register_admin_urls")
def import_urls() -> list[Any]:
    # Wagtail wraps these in its admin-access check; the views check their own permission.
    return [
        path("import/", SiteImportView.as_view(), name="importers"),
        path("import/<int:pk>/", ImportJobView.as_view(), name="importers_job"),
    ]


class ImportMenuItem(MenuItem):
    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)


@hooks.register("register_settings_menu_item")
def import_menu_item() -> MenuItem:
    return ImportMenuItem("Import content", reverse("importers"), icon_name="upload", order=900)
