from django.urls import path, register_converter

from newsdesk.newsletter import views
from newsdesk.newsletter.tokens import MAX_TOKEN_LENGTH

app_name = "newsletter"


class TokenConverter:
    """The characters django.core.signing produces (URL-safe base64 and colons), bounded."""

    regex = rf"[A-Za-z0-9_:\-]{{1,{MAX_TOKEN_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TokenConverter, "nltoken")

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/thanks/", views.thanks, name="thanks"),
    path("newsletter/confirm/<nltoken:token>/", views.confirm, name="confirm"),
    path("newsletter/preferences/<nltoken:token>/", views.preferences, name="preferences"),
    path("newsletter/unsubscribe/<nltoken:token>/", views.unsubscribe, name="unsubscribe"),
]
