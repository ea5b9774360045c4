"""The mailto: half of List-Unsubscribe, through the ESP's inbound webhook (anymail).

Mail clients that do not POST to the https link send an email to the list's address with the
subject "unsubscribe <token>". Route that address's inbound mail to
``/webhooks/anymail/<esp>/inbound/``; the signed token names the reader, exactly as in the link,
so a message without a valid unsubscribe token changes nothing. Other mail is ignored here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from anymail.signals import inbound
from django.dispatch import receiver

from newsdesk.newsletter.models import Consent
from newsdesk.newsletter.subscriptions.services import subscriber_unsubscribe
from newsdesk.newsletter.subscriptions.tokens import MAX_TOKEN_LENGTH, subscriber_for_token

logger = logging.getLogger(__name__)

_UNSUBSCRIBE = re.compile(
    rf"\bunsubscribe\s+([A-Za-z0-9_:\-]{{1,{MAX_TOKEN_LENGTH}}})\s*$", re.IGNORECASE
)


def unsubscribe_token(subject: str) -> str | None:
    """The token of an "unsubscribe <token>" subject; reply prefixes ("Re:") may precede it."""
    match = _UNSUBSCRIBE.search(" ".join(subject.split())[: MAX_TOKEN_LENGTH + 100])
    return match.group(1) if match else None


@receiver(inbound, dispatch_uid="newsdesk.newsletter.feedback.inbound")
def handle_inbound(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    subject = str(event.message.subject or "") if event.message is not None else ""
    token = unsubscribe_token(subject)
    if token is None:
        return
    subscriber = subscriber_for_token(token=token, purpose="unsubscribe")
    if subscriber is None:
        logger.info("inbound unsubscribe from %s with an invalid token ignored", esp_name)
        return
    subscriber_unsubscribe(subscriber=subscriber, method=Consent.Method.PROVIDER)
