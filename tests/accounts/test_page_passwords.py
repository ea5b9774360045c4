"""Guessing a private page's or document collection's password: limited per address and per
password, and a refused guess is never compared."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from wagtail import forms as wagtail_forms
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from newsdesk.news.models import ArticlePage
from tests.helpers import parse_html

pytestmark = pytest.mark.django_db
SECRET = "members-only-2026"
PER_IP = 10  # NEWSDESK_PAGE_PASSWORD_LIMIT_PER_IP's default


@pytest.fixture
def private(make_article: Callable[..., ArticlePage]) -> tuple[ArticlePage, PageViewRestriction]:
    article = make_article("Members' briefing")
    restriction = PageViewRestriction.objects.create(
        page=article, restriction_type=PageViewRestriction.PASSWORD, password=SECRET
    )
    return article, restriction


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords Wagtail's form compared, in order (a spy on its comparison)."""
    seen: list[str] = []
    real = wagtail_forms.constant_time_compare

    def spy(given: str, expected: str) -> bool:
        seen.append(given)
        return real(given, expected)

    monkeypatch.setattr(wagtail_forms, "constant_time_compare", spy)
    return seen


def _action(article: ArticlePage, restriction: PageViewRestriction) -> str:
    return f"/_util/authenticate_with_password/{restriction.pk}/{article.pk}/"


def _try(
    client: Client,
    article: ArticlePage,
    restriction: PageViewRestriction,
    password: str,
    ip: str = "203.0.113.5",
    **extra: str,
) -> int:
    response = client.post(
        _action(article, restriction),
        {"password": password, "return_url": article.url},
        REMOTE_ADDR=ip,
        **extra,
    )
    return response.status_code


def test_the_form_on_the_page_posts_to_the_limited_view(
    client: Client, private: tuple[ArticlePage, PageViewRestriction]
) -> None:
    article, restriction = private
    page = parse_html(client.get(article.url).content)
    assert page.find("form").attrs["action"] == _action(article, restriction)
    assert _try(client, article, restriction, SECRET) == 302
    assert client.get(article.url).status_code == 200


def test_guesses_over_the_limit_are_refused_without_comparing_until_the_hour_ends(
    client: Client,
    private: tuple[ArticlePage, PageViewRestriction],
    compared: list[str],
    clock: time_machine.Traveller,
) -> None:
    article, restriction = private
    clock.shift(timedelta(minutes=20))
    assert [_try(client, article, restriction, f"guess-{n}") for n in range(PER_IP)] == [200] * 10
    assert len(compared) == PER_IP
    # The right password, one guess too many: refused, and never compared.
    refused = client.post(
        _action(article, restriction),
        {"password": SECRET, "return_url": article.url},
        REMOTE_ADDR="203.0.113.5",
    )
    assert refused.status_code == 429
    assert len(compared) == PER_IP
    assert refused["Retry-After"] == str(40 * 60)
    text = parse_html(refused.content).find("main").clean_text
    assert "Too many password attempts" in text and "try again at 11:00" in text
    assert client.get(article.url).status_code == 200  # the password form, not the article
    assert SECRET.encode() not in client.get(article.url).content
    clock.shift(timedelta(minutes=40))
    assert _try(client, article, restriction, SECRET) == 302


def test_rotating_forwarded_for_from_an_untrusted_peer_does_not_help(
    client: Client, private: tuple[ArticlePage, PageViewRestriction], clock: time_machine.Traveller
) -> None:
    article, restriction = private
    statuses = [
        _try(client, article, restriction, f"g{n}", HTTP_X_FORWARDED_FOR=f"10.0.{n}.1")
        for n in range(PER_IP + 1)
    ]
    assert statuses[-1] == 429


def test_a_password_is_limited_across_addresses(
    client: Client,
    private: tuple[ArticlePage, PageViewRestriction],
    settings: object,
    make_article: Callable[..., ArticlePage],
    compared: list[str],
    clock: time_machine.Traveller,
) -> None:
    settings.NEWSDESK_PAGE_PASSWORD_LIMIT_PER_PAGE = 3  # type: ignore[attr-defined]
    article, restriction = private
    assert [_try(client, article, restriction, "x", ip=f"198.51.100.{n}") for n in range(3)] == [
        200,
        200,
        200,
    ]
    assert _try(client, article, restriction, SECRET, ip="192.0.2.1") == 429
    # Posting the form for another page (any page id) under the same restriction is a guess at
    # the same password.
    other = make_article("Another private page")
    assert _try(client, other, restriction, SECRET, ip="192.0.2.2") == 429
    assert len(compared) == 3
    # Another page's password is counted on its own.
    other_restriction = PageViewRestriction.objects.create(
        page=other, restriction_type=PageViewRestriction.PASSWORD, password="other-secret"
    )
    assert _try(client, other, other_restriction, "other-secret", ip="192.0.2.1") == 302


def test_document_collection_passwords_are_limited_too(
    client: Client, db: None, compared: list[str], clock: time_machine.Traveller
) -> None:
    collection = Collection.get_first_root_node().add_child(name="Board papers")
    restriction = CollectionViewRestriction.objects.create(
        collection=collection,
        restriction_type=CollectionViewRestriction.PASSWORD,
        password=SECRET,
    )
    url = f"/documents/authenticate_with_password/{restriction.pk}/"
    statuses = [
        client.post(url, {"password": f"g{n}", "return_url": "/"}).status_code
        for n in range(PER_IP + 1)
    ]
    assert statuses == [200] * PER_IP + [429]
    assert len(compared) == PER_IP
