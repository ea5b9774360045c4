from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, str]:
    """The publication's name and absolute base URL, for templates and meta tags."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL}
