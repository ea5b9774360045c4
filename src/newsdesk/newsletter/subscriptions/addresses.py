"""Email address validation for subscribers, and the keys that say when two addresses are one.

Two keys, for two questions:

- ``key``: is this the same mailbox? Domains are case-insensitive (DNS), so the domain is
  compared in its ASCII (IDNA) form. Local parts are compared with only the ASCII letters
  lower-cased: every real mail system treats ``Ann@`` and ``ann@`` alike, but Unicode case
  folding also makes ``ſam`` (long s) equal to ``sam`` and the Kelvin sign equal to ``k``, which
  would let one mailbox take over another's subscription.
- ``family``: which addresses reach one person? ``ann+1@`` … ``ann+99@`` all land in ann's
  mailbox (as do dotted Gmail variants), so per-address signup limits count on this key, or
  rotating tags would get one inbox any number of confirmation emails.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit on a forward path, as Django's EmailField uses
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# Providers known to ignore dots in the local part.
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


class InvalidAddress(ValueError):
    """The address cannot be used; the message is safe to show to the reader."""


@dataclass(frozen=True)
class Address:
    email: str  # normalised by email-validator (domain lower-cased, NFC), for sending
    key: str  # one per mailbox, for uniqueness (see the module's docstring)
    family: str  # one per person's inbox (+tags dropped), for per-address limits


def address_key(*, local_part: str, ascii_domain: str) -> str:
    return f"{local_part.translate(_ASCII_LOWER)}@{ascii_domain.lower()}"


def _family(local_part: str, ascii_domain: str) -> str:
    local = local_part.translate(_ASCII_LOWER)
    base = local.split("+", 1)[0] or local
    if ascii_domain.lower() in _DOTLESS_DOMAINS:
        base = base.replace(".", "") or base
    return f"{base}@{ascii_domain.lower()}"


def _refuse_characters(value: str) -> None:
    if any(char in value for char in "\r\n\x00"):
        raise InvalidAddress("An email address cannot contain line breaks.")
    if "\ufffd" in value:
        # What a form decodes bytes that are not UTF-8 into: the address as typed is lost.
        raise InvalidAddress("That email address contains characters that could not be read.")
    if "%" in value:
        # RFC 5321's old "percent hack" routes mail through one server to another; no address
        # a reader uses needs it, and relays that honour it can be made to forward our mail.
        raise InvalidAddress("An email address cannot contain “%”.")
    if any(unicodedata.category(char) in {"Co", "Cn", "Cs"} for char in value):
        raise InvalidAddress("That email address contains characters that are not allowed.")


def address_parse(raw: str) -> Address:
    """Validate an address the way every entry point must (form, import, admin).

    CR and LF are refused before anything else: an address ends up in a To header, and a line
    break there would let the sender add headers of their own. Deliverability (a DNS lookup)
    is not checked: signup must not wait on DNS, and the confirmation email proves the rest.
    """
    _refuse_characters(raw)
    value = raw.strip()
    if not value:
        raise InvalidAddress("Enter your email address.")
    if len(value) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"An email address has at most {MAX_ADDRESS_LENGTH} characters.")
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidAddress(f"That is not a valid email address: {exc}") from None
    email = checked.normalized
    if len(email) > MAX_ADDRESS_LENGTH:
        raise InvalidAddress(f"An email address has at most {MAX_ADDRESS_LENGTH} characters.")
    local, domain = checked.local_part, checked.ascii_domain
    return Address(
        email=email,
        key=address_key(local_part=local, ascii_domain=domain),
        family=_family(local, domain),
    )


def address_key_of(raw: str) -> str | None:
    """The mailbox key of an address from elsewhere (an ESP's event, an import), or None when
    it is not an address newsdesk could have stored."""
    try:
        return address_parse(raw).key
    except InvalidAddress:
        return None
