from __future__ import annotations

from typing import Any

from django import template

from newsdesk.newsletter.subscriptions.forms import HEADLINE, consent_text

register = template.Library()
# Spoken after the heading, so two forms on one page are two landmarks with names of their own.
PLACE_NAMES = {"sidebar": "(beside the page)", "article": "(after the article)"}


@register.inclusion_tag("newsletter/includes/signup_form.html", takes_context=True)
def signup_form(context: template.Context, place: str) -> dict[str, Any]:
    """The small signup form shown on every public page; ``place`` keeps element ids unique
    when a page shows it twice (sidebar and end of article)."""
    return {
        "place": place,
        "place_name": PLACE_NAMES.get(place, ""),
        "headline": HEADLINE,
        "consent_text": consent_text(),
        "csrf_token": context.get("csrf_token"),
    }
