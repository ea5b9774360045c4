"""Subscriber lists from another platform: who arrives confirmed, who does not, what is kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newsdesk.newsletter.models import Consent, Subscriber
from newsdesk.newsletter.subscriptions.member_imports import (
    ImportedMember,
    MemberState,
    member_address,
    members_import,
)
from tests.newsletter.conftest import Mailbox, wait_for

pytestmark = pytest.mark.django_db
SINCE = datetime(2023, 4, 5, 6, 7, tzinfo=UTC)


def member(
    email: str, state: MemberState = MemberState.SUBSCRIBED, **extra: object
) -> ImportedMember:
    return ImportedMember(address=member_address(email), state=state, **extra)  # type: ignore[arg-type]


def test_subscribed_members_arrive_confirmed_with_their_history_and_no_email(
    mailbox: Mailbox,
) -> None:
    report = members_import(
        members=[
            member("Ann@Example.org", name="Ann Lee", created_at=SINCE, note="labels: vip"),
            member("bob@example.org", MemberState.UNSUBSCRIBED),
            member("cat@example.org", MemberState.BOUNCED),
        ],
        platform="Ghost",
    )
    assert (report.confirmed, report.not_subscribed, report.already_present) == (1, 2, 0)
    ann = Subscriber.objects.get(email_key="ann@example.org")
    assert (ann.status, ann.name, ann.note, ann.created_at) == (
        Subscriber.Status.CONFIRMED,
        "Ann Lee",
        "labels: vip",
        SINCE,
    )
    assert ann.confirmed_at is not None
    consent = ann.consents.get()
    assert consent.method == Consent.Method.IMPORT
    assert consent.text.startswith("Subscribed on Ghost since 2023-04-05; imported from Ghost on")
    assert Subscriber.objects.get(email_key="bob@example.org").status == "unsubscribed"
    assert Subscriber.objects.get(email_key="cat@example.org").status == "bounced"
    assert mailbox.received == []


def test_a_second_import_leaves_everyone_alone_even_a_reader_who_unsubscribed_here() -> None:
    members_import(members=[member("ann@example.org")], platform="Ghost")
    Subscriber.objects.filter(email_key="ann@example.org").update(status="unsubscribed")
    again = members_import(
        members=[member("ann@example.org"), member("ANN@example.org")], platform="Ghost"
    )
    assert (again.created, again.already_present) == (0, 2)
    assert Subscriber.objects.get().status == "unsubscribed"
    assert Consent.objects.count() == 1


def test_reconfirm_sends_the_confirmation_email_and_keeps_the_reader_pending(
    mailbox: Mailbox,
) -> None:
    report = members_import(
        members=[
            member("dee@example.org", name="Dee"),
            member("eve@example.org", MemberState.UNSUBSCRIBED),
        ],
        platform="Substack",
        reconfirm=True,
    )
    assert (report.reconfirming, report.not_subscribed) == (1, 1)
    dee = Subscriber.objects.get(email_key="dee@example.org")
    assert (dee.status, dee.name) == (Subscriber.Status.PENDING, "Dee")
    assert "Asked to confirm again" in dee.consents.get().text
    (received,) = wait_for(mailbox, 1)
    assert received.rcpt_tos == ["dee@example.org"]


def test_a_large_list_is_written_in_batches() -> None:
    members = [member(f"reader{i}@example.org") for i in range(1_200)]
    assert members_import(members=members, platform="Ghost").confirmed == 1_200
    assert Consent.objects.filter(method=Consent.Method.IMPORT).count() == 1_200
