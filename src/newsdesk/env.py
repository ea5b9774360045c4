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
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def url_redacted(raw: str) -> str:
    """The URL with any password replaced, so an error message never prints a secret."""
    parts = urlsplit(raw)
    if parts.password is None:
        return raw
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


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
            f"got {url_redacted(raw)!r}"
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
# EMAIL_URL and anymail's settings are read by newsdesk.mail.email_url.


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
