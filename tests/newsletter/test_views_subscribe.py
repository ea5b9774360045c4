"""The signup form (on every page) and /subscribe/: no enumeration, abuse limits, bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from newsdesk.newsletter.models import Consent, RateLimitBucket, Subscriber
from newsdesk.newsletter.subscriptions.forms import HEADLINE, consent_text
from newsdesk.newsletter.subscriptions.services import subscriber_confirm
from newsdesk.newsletter.subscriptions.tokens import token_make
from tests.helpers import parse_html
from tests.newsletter.conftest import Mailbox, signup, subscriber, wait_for

pytestmark = pytest.mark.django_db
COLD_QUERIES = 7  # rebuilding the topic nav, Recent Articles and footer fragments, and the Site


@pytest.fixture(autouse=True)
def _site(home: Any) -> None:
    """A publication, so the pages around the forms render as readers see them."""


def _normalised(body: bytes) -> str:
    # The CSRF token differs per response; nothing else may.
    import re

    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", body).decode()


def test_the_form_is_on_every_public_page(client: Client, make_article: Any) -> None:
    article = make_article("Council votes on the harbour wall")
    for url in ["/", article.url, "/search/?q=harbour", "/no-such-page/"]:
        document = parse_html(client.get(url).content)
        forms = [
            form for form in document.find_all("form") if form.attrs.get("action") == "/subscribe/"
        ]
        assert forms, url
        for form in forms:
            assert form.attrs["method"] == "post"
            assert form.find("input", name="email").attrs["type"] == "email"
            assert form.find("button").clean_text == "Subscribe"
            # No CSRF token: the pages stay cacheable (the view checks the origin instead).
            assert not form.find_all("input", name="csrfmiddlewaretoken")
        headings = [h.clean_text for h in document.find_all("h2")]
        assert HEADLINE in headings, url
    # The article shows it twice (sidebar and end of article) with distinct element ids.
    ids = [
        el.attrs["id"]
        for el in parse_html(client.get(article.url).content).iter()
        if "id" in el.attrs
    ]
    assert len(ids) == len(set(ids))


def test_subscribe_page(client: Client) -> None:
    response = client.get("/subscribe/")
    assert response.status_code == 200
    document = parse_html(response.content)
    assert document.find("h1").clean_text == HEADLINE
    assert consent_text() in document.find("main").clean_text
    assert document.find("label", for_="subscribe-email").clean_text == "Email address"


def test_signup_redirects_to_the_same_thank_you_page(client: Client, mailbox: Mailbox) -> None:
    response = signup(client, "ann@example.org")
    assert (response.status_code, response["Location"]) == (302, "/subscribe/thanks/")
    assert client.get("/subscribe/thanks/").status_code == 200
    consent = subscriber("ann@example.org").consents.get()
    assert consent.text == consent_text()
    assert consent.ip == "127.0.0.1"


def test_no_enumeration_new_pending_confirmed_suppressed(client: Client, mailbox: Mailbox) -> None:
    signup(client, "pending@example.org")
    signup(client, "confirmed@example.org")
    subscriber_confirm(subscriber=subscriber("confirmed@example.org"))
    Subscriber.objects.create(email="b@example.org", email_key="b@example.org", status="bounced")
    responses = [
        signup(client, address, follow=True)
        for address in [
            "new@example.org",
            "pending@example.org",
            "confirmed@example.org",
            "b@example.org",
        ]
    ]
    assert {r.status_code for r in responses} == {200}
    assert {r.redirect_chain[-1][0] for r in responses} == {"/subscribe/thanks/"}
    assert len({_normalised(r.content) for r in responses}) == 1
    assert len({tuple(sorted(k for k in r.headers if k != "Set-Cookie")) for r in responses}) == 1


def test_honeypot_gets_thanks_and_nothing_happens(client: Client, mailbox: Mailbox) -> None:
    response = signup(client, "bot@example.org", data={"website": "http://spam.example"})
    assert (response.status_code, response["Location"]) == (302, "/subscribe/thanks/")
    assert not Subscriber.objects.exists() and not Consent.objects.exists()
    assert mailbox.received == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address"}, "not a valid email address"),
        ({"email": ""}, "This field is required"),
        ({}, "This field is required"),
        ({"email": "ann@example.org\r\nBcc: victim@example.org"}, "line breaks"),
        ({"email": "a" * 300 + "@example.org"}, "at most 254 characters"),
        ({"email": "ann@example.org", "frequency": "hourly"}, "Select a valid choice"),
    ],
)
def test_malformed_or_missing_fields(
    client: Client, mailbox: Mailbox, data: dict[str, str], message: str
) -> None:
    response = client.post("/subscribe/", data)
    assert response.status_code == 400
    document = parse_html(response.content)
    assert message in document.find("main").clean_text
    assert document.find("input", id="subscribe-email").attrs.get("aria-invalid") in ("true", None)
    assert not Subscriber.objects.exists()
    assert mailbox.received == []


@pytest.mark.parametrize(
    "data",
    [
        {"email": "a" * 5000 + "@example.org"},
        {"email": "ann@example.org", "website": "x" * 2000},
        {"email": "ann@example.org", "frequency": "d" * 2000},
        {"email": "ann@example.org", "padding": "p" * 20_000},
    ],
)
def test_oversized_fields_get_a_clear_400(
    client: Client, mailbox: Mailbox, data: dict[str, str]
) -> None:
    response = client.post("/subscribe/", data)
    assert response.status_code == 400
    assert "The form could not be read" in parse_html(response.content).find("h1").clean_text
    assert not Subscriber.objects.exists()
    assert mailbox.received == []


def test_per_ip_limit_answers_429(
    client: Client, mailbox: Mailbox, settings: Any, limiter: str
) -> None:
    settings.NEWSDESK_SIGNUP_LIMIT_PER_IP = 3
    for n in range(3):
        assert signup(client, f"reader{n}@example.org").status_code == 302
    response = signup(client, "reader9@example.org")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Too many requests" in parse_html(response.content).find("h1").clean_text
    assert not Subscriber.objects.filter(email_key="reader9@example.org").exists()
    # Another client is not affected; nor are honeypot hits exempt from the count.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert signup(other, "reader9@example.org").status_code == 302


def test_per_ip_limit_follows_trusted_proxies(
    client: Client, mailbox: Mailbox, settings: Any
) -> None:
    settings.NEWSDESK_SIGNUP_LIMIT_PER_IP = 2
    settings.NEWSDESK_TRUSTED_PROXIES = 1
    settings.NEWSDESK_PROXY_ADDRESSES = ("10.0.0.0/8",)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(2):
        # The client forges a new left-hand entry each time; only the proxy's entry counts.
        forwarded = f"6.6.6.{n}, 198.51.100.1"
        assert (
            signup(client, f"r{n}@example.org", HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code
            == 302
        )
    blocked = signup(
        client, "r5@example.org", HTTP_X_FORWARDED_FOR="6.6.6.9, 198.51.100.1", **proxy
    )
    assert blocked.status_code == 429
    # A different client behind the same proxy still gets through.
    other = signup(client, "r6@example.org", HTTP_X_FORWARDED_FOR="198.51.100.2", **proxy)
    assert other.status_code == 302
    assert Consent.objects.filter(ip="198.51.100.1").count() == 2


def test_per_address_limit(client: Client, mailbox: Mailbox, settings: Any) -> None:
    settings.NEWSDESK_SIGNUP_LIMIT_PER_ADDRESS = 2
    statuses = [
        signup(
            Client(REMOTE_ADDR=f"198.51.100.{n}"),
            "Ann@Example.org".swapcase() if n % 2 else "ann@example.org",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [302, 302, 429]
    assert len(wait_for(mailbox, 1)) == 1


def test_limiter_rows_hold_no_addresses(client: Client, mailbox: Mailbox) -> None:
    signup(client, "ann@example.org")
    keys = list(RateLimitBucket.objects.values_list("key", flat=True))
    # Per IP, per address (hourly) and per inbox (daily emails): three hashed keys.
    assert len(keys) == 3 and all("ann" not in key and "127.0.0.1" not in key for key in keys)


def test_signup_needs_no_csrf_cookie_but_refuses_another_sites_form(mailbox: Mailbox) -> None:
    """Django's CSRF check on, no cookie: the origin decides (tests/newsletter/
    test_signup_origins.py has every header)."""
    strict = Client(enforce_csrf_checks=True)
    forged = strict.post(
        "/subscribe/", {"email": "ann@example.org"}, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert not Subscriber.objects.exists()
    own = strict.post(
        "/subscribe/",
        {"email": "ann@example.org", "website": ""},
        headers={"Origin": settings.SITE_URL.rstrip("/"), "Sec-Fetch-Site": "same-origin"},
    )
    assert own.status_code == 302
    assert Subscriber.objects.filter(email_key="ann@example.org").exists()


def test_get_and_head_store_nothing(client: Client, mailbox: Mailbox) -> None:
    client.get("/subscribe/", {"email": "ann@example.org"})
    client.head("/subscribe/?email=ann@example.org")
    client.get("/subscribe/thanks/", {"email": "ann@example.org"})
    assert not Subscriber.objects.exists()
    assert client.put("/subscribe/").status_code == 405


@pytest.mark.parametrize("articles", [1, 30])
def test_subscribe_page_query_count(
    client: Client, django_assert_num_queries: Any, make_article: Any, articles: int
) -> None:
    from django.core.cache import cache

    for n in range(articles):
        make_article(f"Story {n} for the sidebar")
    cache.clear()
    # Cold: the sidebar's fragments (topics, Recent Articles) are built; the count does not
    # depend on the size of the archive.
    with django_assert_num_queries(COLD_QUERIES):
        assert client.get("/subscribe/").status_code == 200
    # Warm: everything around the form comes from the fragment cache; the form needs nothing.
    with django_assert_num_queries(0):
        assert client.get("/subscribe/").status_code == 200


def test_forwarded_headers_from_a_direct_client_are_ignored(
    client: Client, mailbox: Mailbox, settings: Any
) -> None:
    """With a proxy configured but the port reachable directly, a client rotating
    X-Forwarded-For got every signup through; only the proxies' addresses are believed now."""
    settings.NEWSDESK_SIGNUP_LIMIT_PER_IP = 3
    settings.NEWSDESK_TRUSTED_PROXIES = 1
    settings.NEWSDESK_PROXY_ADDRESSES = ("127.0.0.0/8",)
    direct = {"REMOTE_ADDR": "203.0.113.77"}
    codes = [
        signup(
            client, f"r{n}@example.org", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", **direct
        ).status_code
        for n in range(30)
    ]
    assert codes.count(302) == 3 and codes.count(429) == 27
    consents = set(Consent.objects.values_list("ip", flat=True))
    assert consents == {"203.0.113.77"}


def test_a_direct_client_cannot_claim_https(client: Client, settings: Any) -> None:
    from django.http import HttpRequest, HttpResponse

    from newsdesk.core.proxies import UntrustedForwardingMiddleware

    settings.NEWSDESK_TRUSTED_PROXIES = 1
    settings.NEWSDESK_PROXY_ADDRESSES = ("127.0.0.0/8",)
    seen: list[bool] = []

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request.is_secure())
        return HttpResponse()

    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    middleware = UntrustedForwardingMiddleware(view)
    for remote in ["203.0.113.77", "127.0.0.1"]:
        request = HttpRequest()
        request.META = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_PROTO": "https"}
        middleware(request)
    assert seen == [False, True]


def test_a_reader_without_the_csrf_cookie_gets_a_page_that_says_what_to_do(home: Any) -> None:
    """A review found Django's bare "403 CSRF verification failed" page for a reader whose
    browser blocks cookies. The confirmation page's form still needs the cookie (the signup
    forms do not)."""
    reader = Subscriber.objects.create(email="ann@example.org", email_key="ann@example.org")
    strict = Client(enforce_csrf_checks=True)
    url = f"/newsletter/confirm/{token_make(subscriber=reader, purpose='confirm')}/"
    response = strict.post(url)
    assert response.status_code == 403
    page = response.content.decode()
    assert "The form could not be sent" in page and "allow them for" in page
    assert "CSRF verification failed" not in page
    assert "<footer" in page and "Follow by" in page  # the site's own design around it
    assert Subscriber.objects.get(pk=reader.pk).status == "pending"


def test_the_two_signup_forms_of_an_article_are_landmarks_with_names_of_their_own(
    client: Client, make_article: Any
) -> None:
    """axe's landmark-unique: the sidebar's and the article's signup sections had one name."""
    document = parse_html(client.get(make_article("Harbour news").url).content)
    names = []
    for section in document.find_all("section"):
        labels = section.attrs.get("aria-labelledby", "").split()
        if not labels or not labels[0].startswith("signup-"):
            continue
        names.append(
            " ".join(
                element.clean_text
                for label in labels
                for element in document.iter()
                if element.attrs.get("id") == label
            )
        )
    assert len(names) == 2 and len(set(names)) == 2, names
    assert all(name.startswith(HEADLINE) for name in names)
