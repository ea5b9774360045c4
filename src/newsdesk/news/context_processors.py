from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from newsdesk.news.versioning import current_version


def site(request: HttpRequest) -> dict[str, object]:
    """The publication's name and base URL, and the publication version that keys the cached
    page fragments (see ``newsdesk.news.versioning``)."""
    return {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "publication_version": SimpleLazyObject(current_version),
    }
