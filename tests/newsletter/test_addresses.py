"""Address validation (newsdesk.newsletter.subscriptions.addresses)."""

from __future__ import annotations

import pytest

from newsdesk.newsletter.subscriptions.addresses import InvalidAddress, address_parse


def test_address_is_kept_as_given_and_keyed_case_folded() -> None:
    address = address_parse("  Ann.Lee@Example.ORG ")
    assert address.email == "Ann.Lee@example.org"  # the domain is normalised, the local part kept
    assert address.key == "ann.lee@example.org"


def test_no_dns_lookup_is_made() -> None:
    # A domain with no mail server: deliverability checking would refuse it (and ask DNS).
    address = "reader@no-such-host.newsdesk-test.org"
    assert address_parse(address).key == address


@pytest.mark.parametrize(
    "raw",
    [
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nBcc: victim@example.org",
        "reader@example.org\r",
        "reader\x00@example.org",
        "",
        "   ",
        "no-at-sign",
        "two@@example.org",
        "reader@",
        "@example.org",
        "reader@example",  # no top-level domain
        "a" * 245 + "@example.org",
        "reader@" + "a" * 250 + ".org",
        "<reader@example.org>",
        "Reader <reader@example.org>",
    ],
)
def test_unusable_addresses_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAddress):
        address_parse(raw)


def test_254_characters_is_the_limit() -> None:
    local = "a" * 64
    domain = ".".join(["b" * 60] * 3) + "." + "c" * (254 - 64 - 1 - 182 - 1)
    at_limit = f"{local}@{domain}"
    assert len(at_limit) == 254
    assert address_parse(at_limit).email == at_limit
    with pytest.raises(InvalidAddress):
        address_parse(at_limit + "x")
