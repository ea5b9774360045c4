"""Render a frozen digest once per story selection, with markers for each reader's values.

Readers who chose topics get only those topics' stories, so there is one rendering per distinct
topic choice (usually a handful), not one per reader.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from newsdesk.mail.mime import MessageTemplate, marker
from newsdesk.newsletter.digests.services import digest_subject
from newsdesk.newsletter.models import Digest, DigestItem

# Media queries (dark mode, small screens) cannot be inlined; keep_at_rules leaves them in a
# <style> element for the clients that honour it. Nothing is fetched from the network.
_INLINER = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
# Only the first stories a reader sees show their picture: a picture per story would make a
# 30-story email long to scroll and heavy to load on a phone.
LEAD_IMAGES = 3


def digest_web_url(digest: Digest) -> str:
    name = (
        "newsletter:digest-weekly"
        if digest.edition == Digest.Edition.WEEKLY
        else "newsletter:digest"
    )
    return settings.SITE_URL + reverse(name, args=[digest.date])


def list_id(edition: str = Digest.Edition.DAILY) -> str:
    """RFC 2919: a stable identifier for each list (the daily and the weekly edition are two
    lists, so mail clients can filter and unsubscribe them apart), under the site's domain."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    name = " ".join(settings.SITE_NAME.replace('"', "").split())
    if edition == Digest.Edition.WEEKLY:
        return f'"{name} (weekly)" <weekly.{host}>'
    return f'"{name}" <daily.{host}>'


def items_for_topics(items: list[DigestItem], topic_ids: frozenset[int] | None) -> list[DigestItem]:
    """The stories for a reader who chose ``topic_ids`` (None: every topic).

    Editor's picks are for everyone: the editors chose them above any topic.
    """
    if topic_ids is None:
        return items
    return [item for item in items if item.picked or topic_ids.intersection(item.topic_ids)]


# What a preview shows where each reader's own links go (the text preview, in a terminal).
SAMPLE_LINKS = {
    "unsubscribe_url": "[each reader's own unsubscribe link]",
    "preferences_url": "[each reader's own preferences link]",
}


def _context(
    digest: Digest, items: list[DigestItem], personal: bool, *, inert: str = "#"
) -> dict[str, object]:
    return {
        "digest": digest,
        "items": items,
        "picked_count": sum(1 for item in items if item.picked),
        "lead_images": LEAD_IMAGES,
        "subject": digest.subject,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "web_url": digest_web_url(digest),
        "unsubscribe_url": marker("unsubscribe_url") if personal else inert,
        "preferences_url": marker("preferences_url") if personal else inert,
    }


def digest_html(digest: Digest, items: list[DigestItem], *, personal: bool = True) -> str:
    html = render_to_string("newsletter/email/digest.html", _context(digest, items, personal))
    return _INLINER.inline(html)


def digest_text(digest: Digest, items: list[DigestItem], *, personal: bool = True) -> str:
    """The plain-text part; ``personal=False`` (a preview) says where each reader's links go."""
    if personal:
        context = _context(digest, items, True)
    else:
        context = {**_context(digest, items, False), **SAMPLE_LINKS}
    return render_to_string("newsletter/email/digest.txt", context)


def digest_message_template(
    digest: Digest, items: list[DigestItem], *, every_story: bool = True
) -> MessageTemplate:
    """The message for readers who get ``items``: the frozen subject when that is every story,
    else a subject made from the stories this reader gets (a reader of one topic must not be
    promised "… and 4 more")."""
    return MessageTemplate(
        subject=digest.subject if every_story else digest_subject(digest, items),
        from_email=settings.DEFAULT_FROM_EMAIL,
        reply_to=settings.NEWSDESK_REPLY_TO,
        list_id=list_id(digest.edition),
        text=digest_text(digest, items),
        html=digest_html(digest, items),
    )


def unsubscribe_mailbox() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
