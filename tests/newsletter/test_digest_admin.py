"""Digests in the admin: plan, preview, test send, send now; and the outbox. (What their
listings cost in queries: test_admin_query_counts.py.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsdesk.mail.outbox import OUTBOX_BACKEND
from newsdesk.news.models import ArticlePage
from newsdesk.newsletter.digests.services import digest_ensure
from newsdesk.newsletter.models import Digest
from tests.newsletter.conftest import Mailbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client: Client) -> Client:
    client.force_login(User.objects.create_superuser("editor", "editor@example.org", "pw"))
    return client


@pytest.fixture
def draft(make_article: Callable[..., ArticlePage], settings: Any) -> Digest:
    soon = timezone.localtime() + dt.timedelta(minutes=5)
    settings.NEWSDESK_DIGEST_TIME = soon.time().replace(second=0, microsecond=0)
    make_article("Lifeboat crew rescues two", dek="Calm seas helped.")
    old = make_article("Archive piece on the pier", age=dt.timedelta(days=30))
    digest = digest_ensure(edition=Digest.Edition.DAILY, date=soon.date())
    digest.intro = "Hello <b>readers</b>"
    digest.picks.create(article=old, sort_order=0)
    digest.save()  # a cluster's child rows are written when the parent is saved
    return digest


def report_url(digest: Digest) -> str:
    return reverse("newsletter_digest:report", args=[digest.pk])


def test_report_previews_a_draft_in_a_sandboxed_frame(editor_client: Client, draft: Digest) -> None:
    response = editor_client.get(report_url(draft))
    assert response.status_code == 200
    page = response.content.decode()
    assert "<iframe" in page and 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "&lt;base target=&quot;_blank&quot;&gt;" in page  # inside the escaped srcdoc
    # The email's HTML sits escaped inside srcdoc; the intro's markup is escaped twice over.
    assert "Archive piece on the pier" in page and "Lifeboat crew rescues two" in page
    assert "&lt;b&gt;" not in page.split("srcdoc=")[0]
    assert "&amp;lt;b&amp;gt;readers" in page
    # A preview freezes nothing.
    draft.refresh_from_db()
    assert draft.status == Digest.Status.DRAFT and not draft.items.exists()


def test_test_send_goes_to_one_address_only(
    editor_client: Client, draft: Digest, mailbox: Mailbox
) -> None:
    response = editor_client.post(report_url(draft) + "test/", {"email": "me@example.org"})
    assert response.status_code == 302
    (received,) = mailbox.received
    assert received.rcpt_tos == ["me@example.org"]
    assert "Archive piece on the pier" in received.text()
    draft.refresh_from_db()
    assert draft.status == Digest.Status.DRAFT and not draft.deliveries.exists()


@pytest.mark.parametrize(
    "address", ["not an address", "a@b.org\r\nBcc: victim@example.org", "x" * 400 + "@b.org"]
)
def test_test_send_refuses_bad_addresses(
    editor_client: Client, draft: Digest, mailbox: Mailbox, address: str
) -> None:
    response = editor_client.post(report_url(draft) + "test/", {"email": address}, follow=True)
    assert response.status_code == 200
    assert "Test not sent" in response.content.decode()
    assert mailbox.received == []


def test_send_now_freezes_and_then_editing_is_refused(editor_client: Client, draft: Digest) -> None:
    response = editor_client.post(report_url(draft) + "send/")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Digest.Status.SENDING
    assert [item.title for item in draft.items.order_by("position")] == [
        "Archive piece on the pier",
        "Lifeboat crew rescues two",
    ]
    edit = editor_client.post(
        reverse("newsletter_digest:edit", args=[draft.pk]),
        {
            "edition": "daily",
            "date": draft.date.isoformat(),
            "intro": "Changed",
            "picks-TOTAL_FORMS": "0",
            "picks-INITIAL_FORMS": "0",
            "picks-MIN_NUM_FORMS": "0",
            "picks-MAX_NUM_FORMS": "1000",
        },
    )
    assert edit.status_code == 200  # the form again, with the error
    draft.refresh_from_db()
    assert draft.intro == "Hello <b>readers</b>"


def test_actions_need_a_login_and_permission(client: Client, draft: Digest) -> None:
    assert client.get(report_url(draft)).status_code == 302  # to the login page
    viewer = User.objects.create_user("viewer", "v@example.org", "pw")
    viewer.groups.add(Group.objects.get(name="Editors"))  # Wagtail's default group
    client.force_login(viewer)
    assert client.post(report_url(draft) + "send/").status_code in {302, 403}
    draft.refresh_from_db()
    assert draft.status == Digest.Status.DRAFT


def test_get_on_actions_changes_nothing(editor_client: Client, draft: Digest) -> None:
    assert editor_client.get(report_url(draft) + "send/").status_code == 405
    assert editor_client.get(report_url(draft) + "test/").status_code == 405
    draft.refresh_from_db()
    assert draft.status == Digest.Status.DRAFT


def test_outbox_lists_and_shows_messages(
    editor_client: Client, settings: Any, tmp_path: Any, draft: Digest
) -> None:
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path)
    editor_client.post(report_url(draft) + "test/", {"email": "me@example.org"})
    listing = editor_client.get(reverse("newsletter_outbox"))
    assert listing.status_code == 200
    (name,) = [path.name for path in tmp_path.glob("*.eml")]
    assert name in listing.content.decode()
    message = editor_client.get(reverse("newsletter_outbox_message", args=[name]))
    assert message.status_code == 200
    assert "Lifeboat crew rescues two" in message.content.decode()


@pytest.mark.parametrize("name", ["../secret.eml", ".hidden.eml", "x.txt", "%2e%2e%2fsecret.eml"])
def test_outbox_refuses_other_files(
    editor_client: Client, settings: Any, tmp_path: Any, name: str
) -> None:
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    (tmp_path / "secret.eml").write_text("Subject: secret\n\nno")
    response = editor_client.get(f"/admin/outbox/{name}/")
    assert response.status_code == 404


def test_outbox_is_hidden_when_mail_goes_to_a_server(editor_client: Client, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert editor_client.get(reverse("newsletter_outbox")).status_code == 404


def test_report_says_why_sending_stopped(editor_client: Client, draft: Digest) -> None:
    from newsdesk.newsletter.digests.services import digest_problem_record

    digest_problem_record(draft, "the mail system failed 5 times in a row: connection: <refused>")
    page = editor_client.get(report_url(draft)).content.decode()
    assert "Sending paused" in page
    assert "connection: &lt;refused&gt;" in page
    digest_problem_record(draft, "")
    assert "Sending paused" not in editor_client.get(report_url(draft)).content.decode()
