from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.decorators.http import require_safe
from django.views.static import serve as serve_file
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    # Page and document passwords behind guess limits, ahead of Wagtail's views at these paths.
    path("", include("newsdesk.accounts.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("newsdesk.news.urls")),
    path("", include("newsdesk.newsletter.urls")),
    path("webhooks/anymail/", include("newsdesk.newsletter.feedback.webhooks")),
    # Uploaded images for a single-machine install; behind nginx, serve MEDIA_ROOT from there.
    # Read-only like every public page: Django's serve() answers any method, TRACE included.
    re_path(
        r"^media/(?P<path>.*)$", require_safe(serve_file), {"document_root": settings.MEDIA_ROOT}
    ),
    # Wagtail's page tree (home and articles) last: it matches every other path.
    path("", include(wagtail_urls)),
]

# Django's own admin is not needed (Wagtail's admin manages everything); it is one more sign-in
# form to guess at, so it is served only when an operator asks for it.
if settings.NEWSDESK_DJANGO_ADMIN:
    urlpatterns.insert(0, path("django-admin/", admin.site.urls))
