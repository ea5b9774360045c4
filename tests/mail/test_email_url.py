"""EMAIL_URL, DEFAULT_FROM_EMAIL and NEWSDESK_REPLY_TO readers (newsdesk.env)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsdesk import env
from newsdesk.mail import email_url

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("smtp://mail.example.org", {"host": "mail.example.org", "port": 25, "use_tls": False}),
        ("smtp://127.0.0.1:2525", {"host": "127.0.0.1", "port": 2525}),
        (
            "smtp+tls://news%40example.org:p%2Fss%3Aword@smtp.example.org:587",
            {"user": "news@example.org", "password": "p/ss:word", "use_tls": True, "port": 587},
        ),
        ("smtp+tls://smtp.example.org", {"port": 587, "use_tls": True, "use_ssl": False}),
        ("smtp+ssl://smtp.example.org", {"port": 465, "use_ssl": True, "use_tls": False}),
        ("SMTP://Mail.Example.org:26?timeout=15", {"host": "mail.example.org", "timeout": 15}),
    ],
)
def test_smtp_urls(raw: str, expected: dict[str, object]) -> None:
    parsed = email_url.parse_email_url("EMAIL_URL", raw)
    assert parsed.backend == SMTP
    for key, value in expected.items():
        assert getattr(parsed, key) == value


@pytest.mark.parametrize(
    ("raw", "backend"),
    [
        ("console:", "django.core.mail.backends.console.EmailBackend"),
        ("locmem:", "django.core.mail.backends.locmem.EmailBackend"),
        ("file:///var/lib/newsdesk/outbox", "newsdesk.mail.outbox.OutboxBackend"),
    ],
)
def test_other_backends(raw: str, backend: str) -> None:
    parsed = email_url.parse_email_url("EMAIL_URL", raw)
    assert parsed.backend == backend
    if raw.startswith("file:"):
        assert parsed.file_path == "/var/lib/newsdesk/outbox"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "mail.example.org",
        "http://mail.example.org",
        "smtp://",
        "smtp://:25",
        "smtp://host:0x19",
        "smtp://host:70000",
        "smtp://host/inbox",
        "smtp://host?tls=1",
        "smtp://host?timeout=soon",
        "smtp://host?timeout=0",
        "console:now",
        "file://relative/outbox",
        "file:relative",
        "smtp://host\r\nX: y",
    ],
)
def test_malformed_values_are_refused_naming_the_variable(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL: "):
        email_url.parse_email_url("EMAIL_URL", raw)


def test_the_password_never_appears_in_the_error() -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        email_url.parse_email_url("EMAIL_URL", "smtp+tls://user:hunter2secret@host:notaport")
    assert "hunter2secret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_env_reader_uses_the_default_and_the_file_variant(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.delenv("EMAIL_URL", raising=False)
    monkeypatch.delenv("EMAIL_URL_FILE", raising=False)
    assert email_url.env_email_url("EMAIL_URL", "file:///srv/outbox").file_path == "/srv/outbox"
    secret = tmp_path / "email_url"  # type: ignore[operator]
    secret.write_text("smtp+tls://u:from-a-file@mx.example.org\n")
    monkeypatch.setenv("EMAIL_URL_FILE", str(secret))
    assert email_url.env_email_url("EMAIL_URL", "console:").password == "from-a-file"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("news@example.org", "news@example.org"),
        ("The Courier <news@example.org>", "The Courier <news@example.org>"),
        ('"The Bay, Courier" <news@example.org>', '"The Bay, Courier" <news@example.org>'),
        ("", ""),
    ],
)
def test_email_addresses(monkeypatch: pytest.MonkeyPatch, raw: str, expected: str) -> None:
    monkeypatch.setenv("NEWSDESK_TEST_FROM", raw)
    assert env.env_email_address("NEWSDESK_TEST_FROM", "") == expected


@pytest.mark.parametrize(
    "raw",
    ["not an address", "news@example.org\r\nBcc: victim@example.org", "The Bay, Courier <n@x.org>"],
)
def test_malformed_addresses_are_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("NEWSDESK_TEST_FROM", raw)
    with pytest.raises(ImproperlyConfigured, match=r"^NEWSDESK_TEST_FROM: "):
        env.env_email_address("NEWSDESK_TEST_FROM", "")
