"""Small typed readers for configuration from the environment.

Each reader rejects a malformed value with an ``ImproperlyConfigured`` that names the variable,
so a typo fails at start instead of surfacing later as odd behaviour.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The value of NAME, or of the file named by NAME_FILE (for secrets), or the default."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_name!r}: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}: expected true/false (1/0, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int = 2**31) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a whole number, got {raw!r}") from None
    if not minimum <= value <= maximum:
        raise ImproperlyConfigured(f"{name}: {value} is outside {minimum}..{maximum}")
    return value


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name, default).strip().lower() or default
    if raw not in choices:
        raise ImproperlyConfigured(f"{name}: expected one of {', '.join(choices)}, got {raw!r}")
    return raw


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(name: str, default: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (``10.0.0.0/8``), checked and normalised."""
    import ipaddress

    raw = os.environ.get(name)
    items = [item.strip() for item in (default if raw is None else raw).split(",")]
    networks: list[str] = []
    for item in filter(None, items):
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)"
            ) from None
    return tuple(networks)


def env_url(name: str, default: str) -> str:
    """An absolute http(s) URL without a trailing slash."""
    raw = os.environ.get(name, default).strip()
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(f"{name}: expected an absolute http(s) URL, got {raw!r}")
    return raw.rstrip("/")


def env_redis_url(name: str) -> str:
    """A Redis address (redis://, rediss:// or unix://), or "" when unset: Redis is optional."""
    raw = env_str(name, "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    if parts.scheme not in {"redis", "rediss", "unix"} or not (parts.netloc or parts.path):
        raise ImproperlyConfigured(
            f"{name}: expected redis://host:port/db, rediss://… or unix:///path, "
            f"got {_redacted(raw)!r}"
        )
    return raw


def env_time_zone(name: str, default: str) -> str:
    raw = os.environ.get(name, default).strip()
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}: unknown time zone {raw!r}") from None
    return raw


def env_time(name: str, default: str) -> dt.time:
    """A local time of day written HH:MM (24-hour clock)."""
    raw = os.environ.get(name, default).strip()
    try:
        return dt.datetime.strptime(raw, "%H:%M").time()
    except ValueError:
        raise ImproperlyConfigured(f"{name}: expected a time like 07:00, got {raw!r}") from None


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def env_weekday(name: str, default: str) -> int:
    """A day of the week by its English name; Monday is 0, as in ``date.weekday()``."""
    raw = os.environ.get(name, default).strip().lower()
    if raw not in WEEKDAYS:
        raise ImproperlyConfigured(f"{name}: expected a day such as monday, got {raw!r}")
    return WEEKDAYS.index(raw)


def data_dir(name: str, default: str) -> Path:
    path = Path(os.environ.get(name, default)).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot create {str(path)!r}: {exc}") from exc
    return path


# Django's own rule for a production key (``check --deploy``, security.W009).
PRODUCTION_KEY_LENGTH = 50
PRODUCTION_KEY_UNIQUE = 5
_INSECURE_PREFIX = "django-insecure-"
_KEY_ADVICE = (
    "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(50))', "
    "or unset SECRET_KEY to have one generated in the data directory"
)


def _checked_key(key: str, *, source: str, production: bool) -> str:
    """Refuse a key too weak for where it is used; the message names where it came from."""
    if production:
        unique = len(set(key))
        if (
            len(key) < PRODUCTION_KEY_LENGTH
            or unique < PRODUCTION_KEY_UNIQUE
            or key.startswith(_INSECURE_PREFIX)
        ):
            raise ImproperlyConfigured(
                f"SECRET_KEY: {source} has {len(key)} characters ({unique} different); a "
                f"production site (https SITE_URL, DEBUG off) needs at least "
                f"{PRODUCTION_KEY_LENGTH} with at least {PRODUCTION_KEY_UNIQUE} different ones, "
                f"not starting with {_INSECURE_PREFIX!r}: {_KEY_ADVICE}"
            )
    elif len(key) < 32:
        raise ImproperlyConfigured(
            f"SECRET_KEY: use at least 32 characters ({source} has {len(key)}): {_KEY_ADVICE}"
        )
    return key


def secret_key(data: Path, *, production: bool = False) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data directory.

    In production (see settings.py) a key must pass Django's ``check --deploy`` rule; the
    generated key always does (67 characters from 64 symbols).
    """
    configured = env_str("SECRET_KEY")
    if configured:
        source = "SECRET_KEY_FILE" if os.environ.get("SECRET_KEY_FILE") else "the configured key"
        return _checked_key(configured, source=source, production=production)
    key_file = data / "secret_key"
    try:
        # O_EXCL: two processes starting together must agree on one key.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process may have created the file a moment ago and not written it yet.
        for _ in range(50):
            existing = key_file.read_text(encoding="utf-8").strip()
            if existing:
                return _checked_key(existing, source=str(key_file), production=production)
            time.sleep(0.02)
        raise ImproperlyConfigured(
            f"SECRET_KEY: {key_file} is empty; delete it or set SECRET_KEY"
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        key = secrets.token_urlsafe(PRODUCTION_KEY_LENGTH)
        handle.write(key)
    return key


# --- Email ----------------------------------------------------------------------------------------

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


def _redacted(raw: str) -> str:
    """The URL with any password replaced, so an error message never prints a secret."""
    parts = urlsplit(raw)
    if parts.password is None:
        return raw
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


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
        raise ImproperlyConfigured(f"{name}: expected an email URL, got {_redacted(raw)!r}")
    parts = urlsplit(value)
    scheme = parts.scheme.lower()

    def fail(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{name}: {reason} in {_redacted(value)!r}")

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
            backend="newsdesk.newsletter.outbox.OutboxBackend",
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


def env_email_address(name: str, default: str) -> str:
    """One address, optionally with a display name (``Name <user@host>``), for From/Reply-To.

    CR and LF are refused here, at start, rather than by Django at the first send.
    """
    raw = env_str(name, default).strip()
    if not raw:
        return ""
    display, address = parseaddr(raw)
    if any(char in raw for char in "\r\n") or "@" not in address or " " in address:
        raise ImproperlyConfigured(
            f"{name}: expected an address like 'Name <user@host>', got {raw!r}"
        )
    return formataddr((display, address)) if display else address
