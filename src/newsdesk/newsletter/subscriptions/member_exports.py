"""The subscriber list on its way out (``newsdesk export``): each reader as another platform
takes them, and the admin's CSV. The counterpart of ``member_imports``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.member_imports import MemberState
from newsdesk.newsletter.subscriptions.subscribers_csv import export_lines

_CHUNK = 500
# A complaint ("this is spam") is a reader never to be mailed again, like a bounce.
_NOT_MAILED = {
    Subscriber.Status.UNSUBSCRIBED: MemberState.UNSUBSCRIBED,
    Subscriber.Status.BOUNCED: MemberState.BOUNCED,
    Subscriber.Status.COMPLAINED: MemberState.BOUNCED,
}


@dataclass(frozen=True)
class ExportedMember:
    pk: int
    email: str
    name: str
    note: str
    created_at: datetime
    # None for a reader who never confirmed: not theirs to take elsewhere as a subscriber.
    state: MemberState | None


def subscriber_count() -> int:
    return Subscriber.objects.count()


def exported_members() -> Iterator[ExportedMember]:
    """Every subscriber, oldest first, read in chunks."""
    for subscriber in Subscriber.objects.order_by("pk").iterator(chunk_size=_CHUNK):
        if subscriber.status == Subscriber.Status.CONFIRMED:
            state: MemberState | None = MemberState.SUBSCRIBED
        else:
            state = _NOT_MAILED.get(Subscriber.Status(subscriber.status))
        yield ExportedMember(
            pk=subscriber.pk,
            email=subscriber.email,
            name=subscriber.name,
            note=subscriber.note,
            created_at=subscriber.created_at,
            state=state,
        )


def subscriber_csv_lines() -> Iterator[str]:
    """The admin's CSV export of every subscriber: the header, then one line each."""
    subscribers = Subscriber.objects.order_by("pk").prefetch_related("topics")
    return export_lines(subscribers.iterator(chunk_size=_CHUNK))
