"""Forms for the public newsletter pages. They parse input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import HttpRequest

from newsdesk.news.models import Topic
from newsdesk.news.selectors import public_topics
from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.addresses import (
    MAX_ADDRESS_LENGTH,
    Address,
    InvalidAddress,
    address_parse,
)

HEADLINE = "Get the daily news directly in your inbox"
HONEYPOT = "website"
# Any single field longer than this, or a body larger than MAX_BODY, is refused outright with
# a 400 page: no legitimate use of these forms comes near it.
MAX_FIELD_CHARS = 1024
MAX_BODY_BYTES = 16 * 1024


def consent_text() -> str:
    """The words next to the signup button, recorded verbatim with each consent."""
    return (
        f"Send me {settings.SITE_NAME}'s news by email. I can change how often or unsubscribe "
        "at any time with the link in every email."
    )


def oversized(request: HttpRequest) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return True
    if length > MAX_BODY_BYTES:
        return True
    return any(
        len(value) > MAX_FIELD_CHARS for values in request.POST.lists() for value in values[1]
    )


class SignupForm(forms.Form):
    email = forms.CharField(label="Email address", max_length=MAX_ADDRESS_LENGTH, strip=True)
    frequency = forms.ChoiceField(
        choices=Subscriber.Frequency.choices, required=False, widget=forms.RadioSelect
    )
    # Invisible to people (the wrapper is ``hidden``); bots that fill every field fill this too.
    website = forms.CharField(required=False, label="Leave this field empty")

    def clean_email(self) -> str:
        try:
            self.address: Address = address_parse(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None
        return self.address.email


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(
        label="How often", choices=Subscriber.Frequency.choices, widget=forms.RadioSelect
    )
    topics = forms.ModelMultipleChoiceField(
        label="Topics (none chosen means all of them)",
        queryset=Topic.objects.none(),  # set per form: the public topics change over time
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    paused = forms.BooleanField(label="Pause emails for now", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only topics with a published article: every subscriber may open this page, so listing
        # all topics would name those known only from drafts and scheduled stories.
        cast(forms.ModelMultipleChoiceField, self.fields["topics"]).queryset = public_topics()
