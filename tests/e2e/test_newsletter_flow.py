"""A new reader's whole newsletter path on the demo, in Chromium against ``newsdesk serve``.

Subscribe at the end of an article, confirm from the email in the admin's outbox, get the next
digest (sent by a real ``newsdesk worker`` beside the server), change preferences from the
email's link, and unsubscribe with an RFC 8058 one-click POST to its List-Unsubscribe URL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import axe_violations, blocking, describe
from tests.e2e.conftest import NEWSDESK, DemoServer

pytestmark = pytest.mark.e2e

SIGNUP_HEADLINE = "Get the daily news directly in your inbox"
MAIL_WAIT_SECONDS = 30.0

# The headlines listed under "Editor's picks", in order, in a digest email or web page.
PICKED_HEADLINES = """root => {
    const picked = [];
    let inPicks = false;
    for (const heading of root.querySelectorAll("h2, h3")) {
        if (heading.tagName === "H2") inPicks = heading.textContent.includes("Editor’s picks");
        else if (inPicks) picked.push(heading.textContent.trim());
    }
    return picked;
}"""


@pytest.fixture
def demo_worker(demo_server: DemoServer) -> Iterator[subprocess.Popen[bytes]]:
    """``newsdesk worker`` against the demo's data directory, as ``newsdesk demo`` runs it."""
    log = demo_server.data_dir / "worker.log"
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            [str(NEWSDESK), "worker", "--interval", "1"],
            env=demo_server.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is then raised as an HTTPError instead of being followed


def _one_click_unsubscribe(url: str) -> tuple[int, str]:
    """What a mail client does for RFC 8058: a POST without cookies, redirects not followed."""
    request = urllib.request.Request(
        url,
        data=b"List-Unsubscribe=One-Click",
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _admin_login(page: Any, demo_server: DemoServer) -> None:
    # `newsdesk demo` prints this login and keeps the password in the data directory.
    password = (demo_server.data_dir / "demo-admin-password").read_text().strip()
    page.goto(demo_server.url + "/admin/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main menu")).to_be_visible()


def _admin_menu(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_attached()


def _outbox_open(page: Any, to: str, subject: str | re.Pattern[str]) -> None:
    """Open the newest outbox message to ``to`` with that subject."""
    row = page.get_by_role("row").filter(has_text=to)
    row.get_by_role("link", name=subject).first.click()
    expect(page.get_by_role("heading", level=1, name=subject)).to_be_visible()


def _wait_in_outbox(
    page: Any, to: str, subject: str | re.Pattern[str], worker: subprocess.Popen[bytes]
) -> None:
    """Reload the outbox until the message is there (the worker may be the one to send it)."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    row = page.get_by_role("row").filter(has_text=to).filter(has_text=subject)
    while not row.count():
        assert worker.poll() is None, f"newsdesk worker exited with {worker.returncode}"
        assert time.monotonic() < deadline, f"no {subject!r} to {to} after {MAIL_WAIT_SECONDS} s"
        time.sleep(0.5)
        page.reload()


def _follow_to_new_tab(page: Any, link: Any) -> Any:
    """Click a link in an email shown in the admin's sandboxed frame; return the tab it opens.

    The trial click first waits until the link can be clicked (scrolled into view inside the
    frame, no longer moving while the email's images load), so that the wait for the new tab
    covers only the click itself and not a slow layout.
    """
    link.click(trial=True)
    with page.context.expect_page(timeout=15_000) as opened:
        link.click()
    return opened.value


def _wait_until(condition: Callable[[], bool], failure: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, failure
        time.sleep(0.2)


def _outbox_eml(demo_server: DemoServer, page: Any) -> EmailMessage:
    """The message the admin shows, read from the outbox directory on disk."""
    name = urlsplit(page.url).path.rstrip("/").rsplit("/", 1)[-1]
    raw = (demo_server.data_dir / "outbox" / name).read_bytes()
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


@pytest.mark.e2e
def test_reader_subscribes_confirms_gets_digest_changes_preferences_and_unsubscribes(
    demo_server: DemoServer, demo_worker: subprocess.Popen[bytes], page: Any
) -> None:
    base = demo_server.url
    email = f"reader-{uuid.uuid4().hex[:10]}@example.com"

    # A reader signs up with the form at the end of an article.
    page.goto(base + "/")
    page.locator("main .card__title a").first.click()
    signup = page.get_by_role("main").get_by_role("region", name=SIGNUP_HEADLINE)
    signup.get_by_label("Email address").fill(email)
    signup.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    assert urlsplit(page.url).path == "/subscribe/thanks/"

    # The demo's admin reads the confirmation email in the outbox and follows its link, which
    # opens the site in a new tab.
    _admin_login(page, demo_server)
    _admin_menu(page, "Outbox")
    confirmation = re.compile("^Confirm your subscription")
    _wait_in_outbox(page, email, confirmation, demo_worker)
    _outbox_open(page, email, confirmation)
    html_part = page.get_by_title("The email's HTML part").content_frame
    confirm = _follow_to_new_tab(
        page, html_part.get_by_role("link", name="Confirm my subscription")
    )
    expect(confirm.get_by_role("heading", level=1)).to_have_text("Confirm your subscription")
    expect(confirm.get_by_role("main")).to_contain_text(email)
    # Opening the link confirms nothing (mail scanners follow links): the button does.
    confirm.get_by_role("button", name="Confirm my subscription").click()
    expect(confirm.get_by_role("heading", level=1)).to_have_text("You are subscribed")
    expect(confirm.get_by_role("main")).to_contain_text(email)
    confirm.close()

    # The drafted edition with the editor's picks, sent at once.
    _admin_menu(page, "Digests")
    draft = page.get_by_role("row").filter(has_text="Draft")
    expect(draft).to_have_count(1)
    draft.get_by_role("link", name="Preview, test and counts").click()
    preview = page.get_by_title("Email preview").content_frame
    picks = preview.locator("body").evaluate(PICKED_HEADLINES)
    assert len(picks) == 3, picks
    page.get_by_role("button", name="Send to all readers now").click()
    expect(page.get_by_role("status")).to_contain_text("the worker is sending it")
    expect(page.get_by_role("heading", name=re.compile("^Status: "))).not_to_have_text(
        re.compile("Draft")
    )
    subject_line = page.get_by_role("main").locator("p").filter(has_text=re.compile("^Subject:"))
    subject = subject_line.inner_text().removeprefix("Subject:").strip()
    assert picks[0] in subject
    web_page = str(page.get_by_role("link", name="Web page").get_attribute("href"))
    assert re.fullmatch(r"/newsletter/\d{4}-\d{2}-\d{2}/", web_page), web_page

    # The worker sends it; it lands in the outbox beside the welcome email.
    _admin_menu(page, "Outbox")
    _wait_in_outbox(page, email, subject, demo_worker)
    _wait_in_outbox(page, email, "Welcome to", demo_worker)
    _outbox_open(page, email, subject)
    html_part = page.get_by_title("The email's HTML part").content_frame
    assert html_part.locator("body").evaluate(PICKED_HEADLINES) == picks
    # The picks lead with their pictures, described for readers who cannot see them, and
    # loaded from the site by their absolute addresses.
    pictures = html_part.locator("img")
    expect(pictures).to_have_count(3)
    alts = pictures.evaluate_all("(images) => images.map((image) => image.alt)")
    assert all(alt.startswith("Illustration: ") for alt in alts), alts
    _wait_until(
        lambda: pictures.evaluate_all(
            "(images) => images.every((image) => image.complete && image.naturalWidth > 0)"
        ),
        "the digest's pictures did not load",
    )
    plain_text = page.get_by_role("main").locator("pre")
    for headline in picks:
        expect(plain_text).to_contain_text(headline)

    message = _outbox_eml(demo_server, page)
    assert message["To"] == email
    assert message["Subject"] == subject
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_urls = re.findall(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]))
    assert len(unsubscribe_urls) == 1, message["List-Unsubscribe"]
    unsubscribe_url = unsubscribe_urls[0]
    assert unsubscribe_url.startswith(base + "/newsletter/unsubscribe/")

    # The email's link to the preferences: switch to the weekly edition.
    reader = _follow_to_new_tab(page, html_part.get_by_role("link", name="Change how often"))
    expect(reader.get_by_role("heading", level=1)).to_have_text("Your newsletter preferences")
    expect(reader.get_by_role("main")).to_contain_text(email)
    preferences_url = reader.url
    assert preferences_url.startswith(base + "/newsletter/preferences/")
    how_often = reader.get_by_role("group", name="How often")
    expect(how_often.get_by_label("Daily")).to_be_checked()
    how_often.get_by_label("Weekly").check()
    reader.get_by_role("button", name="Save preferences").click()
    expect(reader.get_by_role("status")).to_have_text("Your preferences are saved.")
    reader.goto(preferences_url)
    expect(reader.get_by_role("group", name="How often").get_by_label("Weekly")).to_be_checked()

    # RFC 8058 one-click: a cookieless POST to the List-Unsubscribe URL, answered 200 in place.
    status, body = _one_click_unsubscribe(unsubscribe_url)
    assert status == 200, body[:500]
    assert "You are unsubscribed" in body

    reader.goto(preferences_url)
    expect(reader.get_by_role("main")).to_contain_text("You are unsubscribed")
    expect(reader.get_by_role("button", name="Save preferences")).to_have_count(0)
    reader.goto(unsubscribe_url)
    expect(reader.get_by_role("main")).to_contain_text(f"{email} receives no emails")
    expect(reader.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    reader.close()

    # The edition's public web page lists the same picks and passes axe.
    page.goto(base + web_page)
    expect(page.get_by_role("heading", name="Editor’s picks")).to_be_visible()
    assert page.get_by_role("main").evaluate(PICKED_HEADLINES) == picks
    for headline in picks:
        expect(page.get_by_role("region", name=headline)).to_be_visible()
    violations = axe_violations(page)
    if violations:
        print(f"axe on {web_page}:\n{describe(violations)}")
    assert not blocking(violations), describe(blocking(violations))
