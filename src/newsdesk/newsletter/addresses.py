"""Email address validation for subscribers."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

MAX_ADDRESS_LENGTH = 254  # RFC 5321's limit on a forward path, as Django's EmailField uses


class InvalidAddress(ValueError):
    """The address cannot be used; the message is safe to show to the reader."""


@dataclass(frozen=True)
class Address:
    email: str  # normalised by email-validator (domain lower-cased, IDNA), for sending
    key: str  # case-folded, for uniqueness


def address_parse(raw: str) -> Address:
    """Validate an address the way every entry point must (form, import, admin).

    CR and LF are refused before anything else: an address ends up in a To header, and a line
    break there would let the sender add headers of their own. Deliverability (a DNS lookup)
    is not checked: signup must not wait on DNS, and the confirmation email proves the rest.
    """
    if any(char in raw for char in "\r\n\x00"):
        raise InvalidAddress("An email address cannot contain line breaks.")
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
    return Address(email=email, key=email.casefold())
