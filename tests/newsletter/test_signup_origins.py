"""The signup form's forgery check without a cookie: a POST from another site's page is
refused (403, nothing stored, nothing sent), one from this site's pages goes through."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from newsdesk.newsletter.models import Subscriber

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL.rstrip("/")


def _post(client: Client, address: str, **headers: str) -> Any:
    return client.post(
        "/subscribe/", {"email": address, "frequency": "daily", "website": ""}, headers=headers
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a subdomain is another site's page too
        {"Sec-Fetch-Site": "none"},
        {"Sec-Fetch-Site": "cross-site", "Origin": SITE},  # the browser's word wins
        {"Origin": "https://elsewhere.example"},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Origin": SITE + ".elsewhere.example"},
        {"Origin": "x" * 10_000},
        {"Referer": "https://elsewhere.example/page"},
    ],
)
def test_a_post_from_another_sites_page_is_refused(
    client: Client, mailoutbox: list[Any], headers: dict[str, str]
) -> None:
    response = _post(client, "forged@example.org", **headers)
    assert response.status_code == 403
    assert "can only be sent from" in response.content.decode()
    assert not Subscriber.objects.exists()
    assert mailoutbox == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": SITE},
        {"Origin": SITE},
        {"Origin": SITE.upper()},
        {"Referer": f"{SITE}/2024/some-story/"},
        {},  # no browser: nothing to check (the honeypot and the limits still apply)
    ],
)
def test_a_post_from_this_sites_pages_goes_through(client: Client, headers: dict[str, str]) -> None:
    response = _post(client, "reader@example.org", **headers)
    assert response.status_code == 302, response.content[:300]
    assert Subscriber.objects.filter(email_key="reader@example.org").exists()


def test_the_host_the_request_came_under_is_this_site(client: Client) -> None:
    """Served under another allowed host name (127.0.0.1 beside SITE_URL's), a page's own
    form posts with that origin."""
    response = client.post(
        "/subscribe/",
        {"email": "local@example.org", "frequency": "daily", "website": ""},
        headers={"Origin": "http://localhost"},
        HTTP_HOST="localhost",
    )
    assert response.status_code == 302
