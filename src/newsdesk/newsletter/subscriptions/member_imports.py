"""Bringing a subscriber list across from another platform (Ghost members, Substack's list).

Unlike a CSV file of addresses (``imports.py``), these lists come from the platform the readers
subscribed on, with its own double opt-in behind them: a reader subscribed there arrives
confirmed, with a consent record saying where and when the list was imported, and gets no
email. ``reconfirm`` sends everyone the confirmation email instead, for a list whose origin the
newsroom is not sure of. A reader who had unsubscribed, or whose address bounced, arrives in
that state, so that a later signup form or import cannot quietly sign them up again.

Addresses already on the list are left alone, whatever their status: the import is run again
safely, and a reader who unsubscribed here is not re-subscribed by an old export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from django.utils import timezone

from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.subscriptions.addresses import Address, address_parse
from newsdesk.newsletter.subscriptions.services import subscriber_signup

_CHUNK = 500
MAX_NAME_CHARS = 200
MAX_NOTE_CHARS = 2000


class MemberState(Enum):
    SUBSCRIBED = "subscribed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


@dataclass(frozen=True)
class ImportedMember:
    """One reader of the other platform, with an address already checked by ``member_address``."""

    address: Address
    state: MemberState
    name: str = ""
    created_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class MemberImportReport:
    confirmed: int = 0  # arrived confirmed, no email
    reconfirming: int = 0  # arrived pending, with a confirmation email owed
    not_subscribed: int = 0  # arrived unsubscribed or bounced
    already_present: int = 0  # left alone

    @property
    def created(self) -> int:
        return self.confirmed + self.reconfirming + self.not_subscribed


def member_address(raw: str) -> Address:
    """The checked address of a member; raises ``InvalidAddress`` with a reader-safe reason."""
    return address_parse(raw)


def _existing_keys(keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(
            Subscriber.objects.filter(email_key__in=chunk).values_list("email_key", flat=True)
        )
    return found


def _consent_text(member: ImportedMember, platform: str, today: str) -> str:
    since = f" since {member.created_at:%Y-%m-%d}" if member.created_at else ""
    if member.state is MemberState.SUBSCRIBED:
        return f"Subscribed on {platform}{since}; imported from {platform} on {today}."
    return (
        f"Not subscribed on {platform} ({member.state.value}); imported from {platform} on {today}."
    )


def members_import(
    *, members: Sequence[ImportedMember], platform: str, reconfirm: bool = False
) -> MemberImportReport:
    """Add the members not yet on the list; run it inside the import's transaction.

    Rows are written in batches (a list of 50,000 members is 100 inserts, not 100,000), except
    with ``reconfirm``, where each goes through the signup path and its confirmation email.
    """
    now = timezone.now()
    today = f"{now:%Y-%m-%d}"
    unique: dict[str, ImportedMember] = {}
    for member in members:
        unique.setdefault(member.address.key, member)
    existing = _existing_keys(list(unique))
    new = [member for key, member in unique.items() if key not in existing]
    already = len(members) - len(new)
    confirmed = reconfirming = not_subscribed = 0
    for start in range(0, len(new), _CHUNK):
        batch = new[start : start + _CHUNK]
        if reconfirm:
            for member in batch:
                if member.state is MemberState.SUBSCRIBED:
                    subscriber_signup(
                        email=member.address.email,
                        ip=None,
                        consent_text=_consent_text(member, platform, today)
                        + " Asked to confirm again.",
                        method=Consent.Method.IMPORT,
                    )
                    Subscriber.objects.filter(email_key=member.address.key).update(
                        name=member.name[:MAX_NAME_CHARS], note=member.note[:MAX_NOTE_CHARS]
                    )
                    reconfirming += 1
            batch = [m for m in batch if m.state is not MemberState.SUBSCRIBED]
        rows = [_subscriber_row(member, now) for member in batch]
        Subscriber.objects.bulk_create(rows)
        # bulk_create sets primary keys on PostgreSQL and SQLite (RETURNING), which the
        # consent rows need.
        Consent.objects.bulk_create(
            Consent(
                subscriber=row,
                action=(
                    Consent.Action.SIGNUP
                    if member.state is MemberState.SUBSCRIBED
                    else Consent.Action.UNSUBSCRIBE
                    if member.state is MemberState.UNSUBSCRIBED
                    else Consent.Action.SUPPRESS
                ),
                method=Consent.Method.IMPORT,
                text=_consent_text(member, platform, today),
                email=row.email,
            )
            for member, row in zip(batch, rows, strict=True)
        )
        for member in batch:
            if member.state is MemberState.SUBSCRIBED:
                confirmed += 1
            else:
                not_subscribed += 1
    return MemberImportReport(
        confirmed=confirmed,
        reconfirming=reconfirming,
        not_subscribed=not_subscribed,
        already_present=already,
    )


def _subscriber_row(member: ImportedMember, now: datetime) -> Subscriber:
    status = {
        MemberState.SUBSCRIBED: Subscriber.Status.CONFIRMED,
        MemberState.UNSUBSCRIBED: Subscriber.Status.UNSUBSCRIBED,
        MemberState.BOUNCED: Subscriber.Status.BOUNCED,
    }[member.state]
    return Subscriber(
        email=member.address.email,
        email_key=member.address.key,
        status=status,
        name=member.name[:MAX_NAME_CHARS],
        note=member.note[:MAX_NOTE_CHARS],
        created_at=member.created_at or now,
        confirmed_at=now if status == Subscriber.Status.CONFIRMED else None,
        unsubscribed_at=now if status == Subscriber.Status.UNSUBSCRIBED else None,
    )
