"""The transactional newsletter emails: confirmation, "already subscribed" and welcome.

Each is a plain-text body with an HTML alternative, From with the site's display name, and
Reply-To when one is configured. Django refuses CR/LF in any header (BadHeaderError), and
addresses are validated before they are stored, so no input can add headers.
"""

from __future__ import annotations

from email.utils import make_msgid, parseaddr
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.tokens import Purpose, token_make


def absolute_url(*, subscriber: Subscriber, purpose: Purpose) -> str:
    token = token_make(subscriber=subscriber, purpose=purpose)
    return settings.SITE_URL + reverse(f"newsletter:{purpose}", args=[token])


def list_unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 List-Unsubscribe (https and mailto) and RFC 8058 one-click."""
    https = absolute_url(subscriber=subscriber, purpose="unsubscribe")
    mailbox = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    token = token_make(subscriber=subscriber, purpose="unsubscribe")
    mailto = f"mailto:{mailbox}?subject={quote('unsubscribe ' + token)}"
    return {
        "List-Unsubscribe": f"<{https}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _message(
    *,
    subscriber: Subscriber,
    template: str,
    subject: str,
    context: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    context = {
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "subscriber": subscriber,
        **context,
    }
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"newsletter/email/{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        reply_to=[settings.NEWSDESK_REPLY_TO] if settings.NEWSDESK_REPLY_TO else None,
        # An explicit domain: Django's default asks the resolver for this machine's FQDN.
        headers={"Message-ID": make_msgid(domain=domain), **(headers or {})},
    )
    message.attach_alternative(
        render_to_string(f"newsletter/email/{template}.html", context), "text/html"
    )
    return message


def confirmation_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    return _message(
        subscriber=subscriber,
        template="confirm",
        subject=f"Confirm your subscription to {settings.SITE_NAME}",
        context={"confirm_url": absolute_url(subscriber=subscriber, purpose="confirm")},
    )


def already_subscribed_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    return _message(
        subscriber=subscriber,
        template="already",
        subject=f"You are already subscribed to {settings.SITE_NAME}",
        context={"preferences_url": absolute_url(subscriber=subscriber, purpose="preferences")},
    )


def welcome_email(subscriber: Subscriber) -> EmailMultiAlternatives:
    return _message(
        subscriber=subscriber,
        template="welcome",
        subject=f"Welcome to {settings.SITE_NAME}",
        context={
            "preferences_url": absolute_url(subscriber=subscriber, purpose="preferences"),
            "unsubscribe_url": absolute_url(subscriber=subscriber, purpose="unsubscribe"),
        },
        headers=list_unsubscribe_headers(subscriber),
    )
