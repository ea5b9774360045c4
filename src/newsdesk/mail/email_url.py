"""EMAIL_URL: one URL names the mail system (SMTP, an ESP through anymail, the outbox, …).

Parsed at start, so a typo fails with the variable's name instead of at the first send. No
part of a password or API key is ever printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

from newsdesk.env import env_str, url_redacted

_SMTP_SCHEMES = {
    "smtp": (25, False, False),
    "smtp+tls": (587, True, False),
    "smtp+ssl": (465, False, True),
}
_EMAIL_QUERY_KEYS = {"timeout"}


@dataclass(frozen=True)
class EmailSettings:
    """Django's EMAIL_* settings as one EMAIL_URL describes them."""

    backend: str
    host: str = "localhost"
    port: int = 25
    user: str = ""
    password: str = ""
    use_tls: bool = False
    use_ssl: bool = False
    timeout: int | None = None
    file_path: str = ""
    # For ``anymail+<esp>:`` URLs: the ESP's short name and an optional API base URL.
    esp: str = ""
    esp_api_url: str = ""


# ESPs that anymail sends through with one API key (the key comes from ANYMAIL_API_KEY, not the
# URL, so EMAIL_URL can be shown in logs and the key kept in a *_FILE secret). The value is the
# name of the key in anymail's ANYMAIL settings dict. ESPs needing more than one secret (Mailjet,
# Scaleway), extra packages (Amazon SES needs boto3) or no longer supported by anymail (SendGrid)
# are left out on purpose.
ANYMAIL_ESPS = {
    "brevo": "BREVO_API_KEY",
    "mailersend": "MAILERSEND_API_TOKEN",
    "mailgun": "MAILGUN_API_KEY",
    "mailtrap": "MAILTRAP_API_TOKEN",
    "mandrill": "MANDRILL_API_KEY",
    "postal": "POSTAL_API_KEY",
    "postmark": "POSTMARK_SERVER_TOKEN",
    "resend": "RESEND_API_KEY",
    "sparkpost": "SPARKPOST_API_KEY",
}
# The ESPs whose tracking webhooks are offered: those above, and Mailjet, whose webhooks need
# only the basic-auth secret. Amazon SES (boto3), SendGrid and Unisender Go are not offered.
WEBHOOK_ESPS = frozenset({*ANYMAIL_ESPS, "mailjet"})
# ESPs that sign their webhook payloads, and the anymail setting with the key that checks the
# signature (the environment variable is this with ANYMAIL_ in front). The first four refuse
# every event until it is set; Mailtrap checks a signature only when it is set.
WEBHOOK_SIGNING_SETTINGS = {
    "MAILERSEND_SIGNING_SECRET": "mailersend",
    "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun",
    "MANDRILL_WEBHOOK_KEY": "mandrill",
    "POSTAL_WEBHOOK_KEY": "postal",
    "MAILTRAP_TRACKING_SECRET": "mailtrap",
}
WEBHOOK_SIGNATURE_REQUIRED = frozenset({"mailersend", "mailgun", "mandrill", "postal"})
WEBHOOK_PASSWORD_MIN_LENGTH = 16
# Self-hosted Postal has no default API address.
_ANYMAIL_URL_REQUIRED = {"postal"}


def _parse_anymail_url(value: str, fail: Callable[[str], ImproperlyConfigured]) -> EmailSettings:
    """``anymail+<esp>:`` or ``anymail+<esp>:?api_url=https://…`` (e.g. Mailgun's EU region)."""
    parts = urlsplit(value)
    esp = parts.scheme.lower().removeprefix("anymail+")
    if esp not in ANYMAIL_ESPS:
        raise fail(f"unsupported ESP {esp!r} (use one of {', '.join(sorted(ANYMAIL_ESPS))})")
    if parts.netloc or parts.path or parts.fragment:
        raise fail(f"'anymail+{esp}:' takes no host or path (the API key is ANYMAIL_API_KEY)")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"api_url"}
    if unknown:
        raise fail(f"unknown option {sorted(unknown)[0]!r}")
    api_url = query.get("api_url", [""])[-1]
    if api_url:
        api_parts = urlsplit(api_url)
        # The API key travels to this address: plain http would hand it to anyone on the path.
        if api_parts.scheme != "https" or not api_parts.hostname:
            raise fail("api_url must be an https:// URL")
    elif esp in _ANYMAIL_URL_REQUIRED:
        raise fail(f"'anymail+{esp}:' needs ?api_url=https://your-server")
    return EmailSettings(
        backend=f"anymail.backends.{esp}.EmailBackend", esp=esp, esp_api_url=api_url
    )


def parse_email_url(name: str, raw: str) -> EmailSettings:
    """``smtp://host:port``, ``smtp+tls://user:pass@host:587``, ``smtp+ssl://…``, ``console:``,
    ``locmem:``, ``file:///absolute/path``; user and password percent-encoded; an ESP through
    django-anymail with ``anymail+postmark:``, ``anymail+mailgun:?api_url=…`` and so on."""
    value = raw.strip()
    if any(char in value for char in "\r\n\t ") or not value:
        raise ImproperlyConfigured(f"{name}: expected an email URL, got {url_redacted(raw)!r}")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()

    def fail(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{name}: {reason} in {url_redacted(value)!r}")

    if scheme.startswith("anymail+"):
        return _parse_anymail_url(value, fail)
    if scheme in {"console", "locmem", "dummy"}:
        if parts.netloc or parts.path or parts.query:
            raise fail(f"'{scheme}:' takes nothing after the colon")
        return EmailSettings(backend=f"django.core.mail.backends.{scheme}.EmailBackend")
    if scheme == "file":
        if parts.netloc or not parts.path.startswith("/") or parts.query:
            raise fail("expected file:///absolute/path")
        return EmailSettings(
            backend="newsdesk.mail.outbox.OutboxBackend",
            file_path=unquote(parts.path),
        )
    if scheme not in _SMTP_SCHEMES:
        raise fail("unsupported scheme (smtp, smtp+tls, smtp+ssl, console, file, anymail+<esp>)")
    default_port, use_tls, use_ssl = _SMTP_SCHEMES[scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise fail("the port is not a number in 1..65535") from None
    if not parts.hostname:
        raise fail("no host")
    if parts.path not in {"", "/"} or parts.fragment:
        raise fail("unexpected path")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = set(query) - _EMAIL_QUERY_KEYS
    if unknown:
        raise fail(f"unknown option {sorted(unknown)[0]!r}")
    timeout: int | None = None
    if "timeout" in query:
        try:
            timeout = int(query["timeout"][-1])
        except ValueError:
            raise fail("timeout is not a whole number of seconds") from None
        if not 1 <= timeout <= 600:
            raise fail("timeout is outside 1..600 seconds")
    return EmailSettings(
        backend="django.core.mail.backends.smtp.EmailBackend",
        host=parts.hostname,
        port=port,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        use_tls=use_tls,
        use_ssl=use_ssl,
        timeout=timeout,
    )


def env_email_url(name: str, default: str) -> EmailSettings:
    """EMAIL_URL (or EMAIL_URL_FILE, since it may hold a password), parsed."""
    return parse_email_url(name, env_str(name, default) or default)


def env_anymail(email: EmailSettings) -> dict[str, str]:
    """anymail's ANYMAIL settings dict: the ESP's API key (ANYMAIL_API_KEY, when EMAIL_URL names
    an ESP) and the webhooks' basic-auth secret ``user:password`` (ANYMAIL_WEBHOOK_SECRET); both
    may come from a *_FILE instead."""
    api_key_name = "ANYMAIL_API_KEY"
    webhook_secret_name = "ANYMAIL_WEBHOOK_SECRET"  # noqa: S105 (a variable's name)
    settings: dict[str, str] = {}
    secret = env_str(webhook_secret_name).strip()
    if secret:
        user, colon, password = secret.partition(":")
        if not colon or not user or not password or any(c in secret for c in "\r\n\t "):
            # Print no part of it: it is a password.
            raise ImproperlyConfigured(
                f"{webhook_secret_name}: expected 'user:password' (no spaces or line breaks)"
            )
        if len(password) < WEBHOOK_PASSWORD_MIN_LENGTH:
            raise ImproperlyConfigured(
                f"{webhook_secret_name}: the password part needs at least "
                f"{WEBHOOK_PASSWORD_MIN_LENGTH} characters (make one with: python3 -c "
                "'import secrets; print(secrets.token_urlsafe(24))')"
            )
        settings["WEBHOOK_SECRET"] = secret
    for setting in WEBHOOK_SIGNING_SETTINGS:
        # Named as anymail names them, with ANYMAIL_ in front: ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY.
        value = env_str(f"ANYMAIL_{setting}").strip()
        if value:
            settings[setting] = value
    if email.esp:
        key = env_str(api_key_name).strip()
        if not key or any(c in key for c in "\r\n\t "):
            raise ImproperlyConfigured(
                f"{api_key_name}: EMAIL_URL sends through anymail+{email.esp}:, which needs the "
                "ESP's API key here (without spaces or line breaks)"
            )
        settings[ANYMAIL_ESPS[email.esp]] = key
        if email.esp_api_url:
            settings[f"{email.esp.upper()}_API_URL"] = email.esp_api_url
    return settings
