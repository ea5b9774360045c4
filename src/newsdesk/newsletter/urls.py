import datetime as dt

from django.urls import path, register_converter

from newsdesk.newsletter.digests import views as digest_views
from newsdesk.newsletter.subscriptions import views
from newsdesk.newsletter.subscriptions.tokens import MAX_TOKEN_LENGTH

app_name = "newsletter"


class TokenConverter:
    """The characters django.core.signing produces (URL-safe base64 and colons), bounded."""

    regex = rf"[A-Za-z0-9_:\-]{{1,{MAX_TOKEN_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class DateConverter:
    """YYYY-MM-DD; an impossible date such as 2026-02-30 is a 404, not an error."""

    regex = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def to_python(self, value: str) -> dt.date:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(value) from None

    def to_url(self, value: dt.date | str) -> str:
        return value.isoformat() if isinstance(value, dt.date) else value


register_converter(TokenConverter, "nltoken")
register_converter(DateConverter, "isodate")

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.thanks, name="thanks"),
    path("newsletter/confirm/<nltoken:token>/", views.confirm, name="confirm"),
    path("newsletter/preferences/<nltoken:token>/", views.preferences, name="preferences"),
    path("newsletter/unsubscribe/<nltoken:token>/", views.unsubscribe, name="unsubscribe"),
]

urlpatterns += [
    path("newsletter/", digest_views.digest_archive, name="archive"),
    path(
        "newsletter/<isodate:date>/", digest_views.digest_page, {"edition": "daily"}, name="digest"
    ),
    path(
        "newsletter/weekly/<isodate:date>/",
        digest_views.digest_page,
        {"edition": "weekly"},
        name="digest-weekly",
    ),
]
