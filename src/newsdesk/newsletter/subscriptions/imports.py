"""Importing subscribers from a checked CSV file (see subscribers_csv.parse_import).

An imported list is no proof that anyone asked for the newsletter, so every new address goes
through the signup path: it is stored as PENDING with an IMPORT consent record naming where the
list came from, and gets the confirmation email; only a reader who confirms receives digests.
Addresses already on the list, whatever their status, are left alone: a confirmed reader needs
nothing, and an unsubscribed or suppressed one must not be signed up again by an import.

The emails go out from a background task run by the worker (inline only with the immediate
backend of tests and development), so a long list never holds up the upload.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django_tasks import task

from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.subscriptions.addresses import address_key_of
from newsdesk.newsletter.subscriptions.services import subscriber_signup
from newsdesk.newsletter.subscriptions.subscribers_csv import ImportRow

_CHUNK = 500


@dataclass(frozen=True)
class SubscriberImportReport:
    created: int
    already_present: int
    invalid: int


def _existing_keys(keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        found.update(
            Subscriber.objects.filter(email_key__in=chunk).values_list("email_key", flat=True)
        )
    return found


def import_consent_text(*, source: str, username: str) -> str:
    when = timezone.now().strftime("%Y-%m-%d %H:%M %Z")
    return f"Imported from a CSV file by {username} on {when}. Where the list came from: {source}"


def subscribers_import(
    *, rows: list[ImportRow], consent_text: str, invalid: int = 0, duplicates: int = 0
) -> SubscriberImportReport:
    """Sign up the file's new addresses (pending, confirmation email); count the rest."""
    existing = _existing_keys([row.key for row in rows])
    new = [row for row in rows if row.key not in existing]
    if new:
        import_confirmations_send.enqueue(
            entries=[[row.email, row.frequency or ""] for row in new],
            consent_text=consent_text,
        )
    return SubscriberImportReport(
        created=len(new), already_present=len(rows) - len(new) + duplicates, invalid=invalid
    )


@task()
def import_confirmations_send(*, entries: list[list[str]], consent_text: str) -> int:
    """Sign up each imported address; returns how many were signed up."""
    done = 0
    for email, frequency in entries:
        # Someone may have signed up on the site since the import was checked: leave them be.
        key = address_key_of(email)
        if key is None or Subscriber.objects.filter(email_key=key).exists():
            continue
        subscriber_signup(
            email=email,
            ip=None,
            consent_text=consent_text,
            method=Consent.Method.IMPORT,
            frequency=Subscriber.Frequency(frequency) if frequency else None,
        )
        done += 1
    return done
