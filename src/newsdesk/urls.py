from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from newsdesk.core.health import HEALTH_PATH, healthz
from newsdesk.core.media import media_serve

urlpatterns = [
    # First: a load balancer's check every few seconds should pass nothing else on the way.
    path(HEALTH_PATH.lstrip("/"), healthz, name="healthz"),
    # Page and document passwords behind guess limits, ahead of Wagtail's views at these paths.
    path("", include("newsdesk.accounts.urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("", include("newsdesk.news.urls")),
    path("", include("newsdesk.newsletter.urls")),
    path("webhooks/anymail/", include("newsdesk.newsletter.feedback.webhooks")),
    # Uploaded images, with ranges and caching headers like static files (core/media.py);
    # behind nginx, serve MEDIA_ROOT from there.
    re_path(r"^media/(?P<path>.*)$", media_serve),
    # Wagtail's page tree (home and articles) last: it matches every other path.
    path("", include(wagtail_urls)),
]

# Django's own admin is not needed (Wagtail's admin manages everything); it is one more sign-in
# form to guess at, so it is served only when an operator asks for it.
if settings.NEWSDESK_DJANGO_ADMIN:
    urlpatterns.insert(0, path("django-admin/", admin.site.urls))
