"""Signup attacks a security review tried, each reproduced here.

- A look-alike address (``ſam@``, long s, which Unicode case folding turns into ``sam@``) took
  over a pending victim's row, and the welcome went to the attacker's variant.
- ``victim+1@`` … ``victim+20@`` got 20 confirmation emails into one inbox in an hour.
- A third party's signup turned an unsubscribed reader back to pending and erased the time of
  the unsubscribe; a confirmation link sent before an unsubscribe must not resubscribe.
- Bytes that are not UTF-8 (``%ff%fe@``) were accepted as an address.
- With a slow mail relay, the answer's timing told suppressed addresses from others, because
  the email was sent inside the request; every outcome now leaves it to the background.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from newsdesk.newsletter.models import Subscriber
from newsdesk.newsletter.subscriptions.services import subscriber_unsubscribe
from tests.newsletter.conftest import (
    Mailbox,
    signup,
    smtp_server_running,
    use_smtp_server,
    wait_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _site(home: Any) -> None:
    """A publication, so the pages around the forms render."""


def _confirm_link(mailbox: Mailbox, address: str) -> str:
    [mail] = mailbox.to(address)
    [link] = [url for url in mail.links() if "/newsletter/confirm/" in url]
    return link.removeprefix("http://testserver")


def _from(ip: str) -> dict[str, str]:
    return {"REMOTE_ADDR": ip}


def test_a_look_alike_address_cannot_take_over_a_pending_signup(
    client: Client, mailbox: Mailbox
) -> None:
    signup(client, "sam.victim@example.org", **_from("203.0.113.1"))
    signup(client, "ſam.victim@example.org", **_from("198.51.100.7"))  # U+017F, long s
    signup(client, "sam.victim@\u212aelvin.example", **_from("198.51.100.8"))  # Kelvin sign

    victim = Subscriber.objects.get(email="sam.victim@example.org")
    assert victim.email_key == "sam.victim@example.org"
    assert Subscriber.objects.count() == 3
    wait_for(mailbox, 3)
    # The victim confirms from their own mailbox; the welcome goes to that mailbox only.
    link = _confirm_link(mailbox, "sam.victim@example.org")
    mailbox.clear()
    assert client.post(link).status_code == 200
    [welcome] = wait_for(mailbox, 1)
    assert welcome.rcpt_tos == ["sam.victim@example.org"]
    victim.refresh_from_db()
    assert (victim.status, victim.email) == ("confirmed", "sam.victim@example.org")
    assert Subscriber.objects.get(email="ſam.victim@example.org").status == "pending"


def test_ascii_case_is_still_one_mailbox(client: Client, mailbox: Mailbox) -> None:
    signup(client, "Ann.Lee@Example.org")
    signup(client, "ann.lee@EXAMPLE.ORG", **_from("203.0.113.2"))
    ann = Subscriber.objects.get()
    # The address first typed is the one mail goes to; a later signup does not rewrite it.
    assert (ann.email, ann.email_key) == ("Ann.Lee@example.org", "ann.lee@example.org")
    assert [mail.rcpt_tos for mail in wait_for(mailbox, 1)] == [["Ann.Lee@example.org"]]


def test_plus_tags_do_not_multiply_the_emails_one_inbox_gets(
    client: Client, mailbox: Mailbox, settings: Any
) -> None:
    settings.NEWSDESK_SIGNUP_LIMIT_PER_IP = 1000
    # Each from its own address, as a botnet would: only the per-inbox counts can stop it.
    statuses = [
        signup(client, f"victim+{n}@example.org", **_from(f"198.51.100.{n}")).status_code
        for n in range(1, 21)
    ]
    assert statuses.count(302) == settings.NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS
    assert statuses.count(429) == 20 - settings.NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS
    # Of the signups let through, at most three a day send an email into that inbox.
    assert len(wait_for(mailbox, 3)) == 3
    # Gmail ignores dots as well as tags.
    for n, variant in enumerate(["v.ictim@gmail.com", "vi.ctim@gmail.com", "victim+x@gmail.com"]):
        signup(client, variant, **_from(f"192.0.2.{n + 1}"))
    signup(client, "vic.tim@gmail.com", **_from("192.0.2.9"))
    assert len(mailbox.received) == 3 + 3


def test_a_third_partys_signup_does_not_undo_an_unsubscribe(
    client: Client, mailbox: Mailbox
) -> None:
    signup(client, "ann@example.org")
    old_link = _confirm_link(mailbox, "ann@example.org")
    client.post(old_link)
    ann = Subscriber.objects.get()
    subscriber_unsubscribe(subscriber=ann)
    unsubscribed_at = ann.unsubscribed_at
    Subscriber.objects.update(confirmation_sent_at=None)  # a day later
    mailbox.clear()

    signup(client, "ann@example.org", **_from("198.51.100.9"))

    ann.refresh_from_db()
    assert (ann.status, ann.unsubscribed_at) == ("unsubscribed", unsubscribed_at)
    # The confirmation link from before she unsubscribed no longer works...
    response = client.post(old_link)
    assert response.status_code == 400
    ann.refresh_from_db()
    assert ann.status == "unsubscribed"
    # ...the new one, in her own mailbox, does.
    assert client.post(_confirm_link(mailbox, "ann@example.org")).status_code == 200
    ann.refresh_from_db()
    assert ann.status == "confirmed"
    history = list(ann.consents.order_by("pk").values_list("action", "ip"))
    assert history == [
        ("signup", "127.0.0.1"),
        ("confirm", "127.0.0.1"),
        ("unsub", None),
        ("signup", "198.51.100.9"),
        ("confirm", "127.0.0.1"),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("email=%ff%fe%40example.org", "could not be read"),
        ("email=ann%25relay.example%40example.org", "cannot contain “%”"),
        ("email=%ee%80%80ann%40example.org", "not allowed"),  # U+E000, private use
    ],
)
def test_unreadable_and_routing_addresses_are_refused(
    client: Client, mailbox: Mailbox, body: str, message: str
) -> None:
    response = client.post(
        "/subscribe/", body + "&website=", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Subscriber.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_outcome_of_a_signup_waits_on_the_mail_server(client: Client, settings: Any) -> None:
    """With the default task backend nothing is sent inside the request, for a new, a
    confirmed or a suppressed address alike, so the answer's timing tells nothing; the
    worker then sends the emails that are owed."""
    settings.NEWSDESK_TASKS = "database"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    sessions: list[str] = []

    class CountingMailbox(Mailbox):
        async def handle_EHLO(
            self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> list[str]:
            sessions.append(hostname)
            session.host_name = hostname
            return responses

    box = CountingMailbox()
    with smtp_server_running(box) as port:
        use_smtp_server(settings, port)
        Subscriber.objects.create(
            email="bounced@example.org", email_key="bounced@example.org", status="bounced"
        )
        Subscriber.objects.create(
            email="reader@example.org", email_key="reader@example.org", status="confirmed"
        )
        for address in ["new@example.org", "reader@example.org", "bounced@example.org"]:
            assert signup(client, address).status_code == 302
        assert sessions == []  # no request opened a connection to the mail server

        call_command("worker", "--once")

        received = wait_for(box, 2)
        assert sorted(rcpt for mail in received for rcpt in mail.rcpt_tos) == [
            "new@example.org",
            "reader@example.org",
        ]
    assert re.search("already subscribed", received[0].text() + received[1].text())
