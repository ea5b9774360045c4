"""newsdesk's limited password views at the addresses of Wagtail's own (included before them)."""

from django.urls import path

from newsdesk.accounts.page_passwords import document_password, page_password

# The same paths and names as Wagtail's: its templates and ``reverse`` keep working, and these
# patterns match first because newsdesk/urls.py includes them before Wagtail's.
urlpatterns = [
    path(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/",
        page_password,
        name="wagtailcore_authenticate_with_password",
    ),
    path(
        "documents/authenticate_with_password/<int:restriction_id>/",
        document_password,
        name="wagtaildocs_authenticate_with_password",
    ),
]
