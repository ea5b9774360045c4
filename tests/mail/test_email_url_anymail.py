"""EMAIL_URL's anymail+<esp>: scheme and the ANYMAIL settings read from the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsdesk.mail import email_url

NAMES = (
    "ANYMAIL_API_KEY",
    "ANYMAIL_API_KEY_FILE",
    "ANYMAIL_WEBHOOK_SECRET",
    "ANYMAIL_WEBHOOK_SECRET_FILE",
)


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("raw", "esp", "api_url"),
    [
        ("anymail+postmark:", "postmark", ""),
        ("ANYMAIL+Mailgun:", "mailgun", ""),
        (
            "anymail+mailgun:?api_url=https://api.eu.mailgun.net/v3",
            "mailgun",
            "https://api.eu.mailgun.net/v3",
        ),
        (
            "anymail+postal:?api_url=https://postal.example.org",
            "postal",
            "https://postal.example.org",
        ),
        ("anymail+sparkpost:", "sparkpost", ""),
    ],
)
def test_anymail_urls(raw: str, esp: str, api_url: str) -> None:
    parsed = email_url.parse_email_url("EMAIL_URL", raw)
    assert parsed.backend == f"anymail.backends.{esp}.EmailBackend"
    assert parsed.esp == esp
    assert parsed.esp_api_url == api_url


def test_every_listed_esp_has_an_anymail_backend() -> None:
    import importlib

    for esp in email_url.ANYMAIL_ESPS:
        module = importlib.import_module(f"anymail.backends.{esp}")
        assert hasattr(module, "EmailBackend"), esp


@pytest.mark.parametrize(
    "raw",
    [
        "anymail+:",
        "anymail+nosuchesp:",
        "anymail+test:",  # anymail's own test backend: not a way to send mail
        "anymail+console:",
        "anymail+sendgrid:",  # dropped by anymail
        "anymail+postmark://api.postmarkapp.com",
        "anymail+postmark://token@api.postmarkapp.com",
        "anymail+postmark:token",
        "anymail+postmark:?token=abc",
        "anymail+postmark:#frag",
        "anymail+mailgun:?api_url=http://api.mailgun.net/v3",
        "anymail+mailgun:?api_url=https://",
        "anymail+mailgun:?api_url=javascript:alert(1)",
        "anymail+postal:",  # self-hosted: needs its address
        "anymail+postmark:\r\nX-Injected: 1",
        "anymail postmark:",
    ],
)
def test_malformed_anymail_urls_are_refused(raw: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL: "):
        email_url.parse_email_url("EMAIL_URL", raw)


def test_the_api_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANYMAIL_API_KEY", "pm-server-token")
    parsed = email_url.parse_email_url("EMAIL_URL", "anymail+postmark:")
    assert email_url.env_anymail(parsed) == {"POSTMARK_SERVER_TOKEN": "pm-server-token"}
    eu = email_url.parse_email_url(
        "EMAIL_URL", "anymail+mailgun:?api_url=https://api.eu.mailgun.net/v3"
    )
    assert email_url.env_anymail(eu) == {
        "MAILGUN_API_KEY": "pm-server-token",
        "MAILGUN_API_URL": "https://api.eu.mailgun.net/v3",
    }


def test_the_api_key_may_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("key-from-a-file\n")
    monkeypatch.setenv("ANYMAIL_API_KEY_FILE", str(secret))
    parsed = email_url.parse_email_url("EMAIL_URL", "anymail+resend:")
    assert email_url.env_anymail(parsed) == {"RESEND_API_KEY": "key-from-a-file"}


@pytest.mark.parametrize("key", [None, "", "   ", "two words", "key\r\nX: y"])
def test_an_esp_without_a_usable_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    if key is not None:
        monkeypatch.setenv("ANYMAIL_API_KEY", key)
    parsed = email_url.parse_email_url("EMAIL_URL", "anymail+postmark:")
    with pytest.raises(ImproperlyConfigured, match=r"^ANYMAIL_API_KEY: "):
        email_url.env_anymail(parsed)


def test_smtp_needs_no_key_and_gets_no_esp_settings() -> None:
    assert email_url.env_anymail(email_url.parse_email_url("EMAIL_URL", "smtp://localhost")) == {}


def test_the_webhook_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    smtp = email_url.parse_email_url("EMAIL_URL", "smtp://localhost")
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", "hook:s3cr:et-long-enough-pw")
    assert email_url.env_anymail(smtp) == {"WEBHOOK_SECRET": "hook:s3cr:et-long-enough-pw"}


@pytest.mark.parametrize(
    "secret", ["nocolonhunter2", ":hunter2", "hookuser:", "hookuser:hunter 2", "u:hunter2\nX"]
)
def test_a_malformed_webhook_secret_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("ANYMAIL_WEBHOOK_SECRET", secret)
    smtp = email_url.parse_email_url("EMAIL_URL", "smtp://localhost")
    with pytest.raises(ImproperlyConfigured, match=r"^ANYMAIL_WEBHOOK_SECRET: ") as caught:
        email_url.env_anymail(smtp)
    assert secret not in str(caught.value)


def test_settings_load_with_an_esp(tmp_path: Path) -> None:
    """The whole settings module, in a fresh interpreter, with an ESP and a webhook secret."""
    code = (
        "from django.conf import settings;"
        "print(settings.EMAIL_BACKEND);"
        "print(sorted(settings.ANYMAIL));"
        "print('anymail' in settings.INSTALLED_APPS)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "newsdesk.settings",
            "NEWSDESK_DATA_DIR": str(tmp_path),
            "EMAIL_URL": "anymail+postmark:",
            "ANYMAIL_API_KEY": "pm-token",
            "ANYMAIL_WEBHOOK_SECRET": "hook:secret-long-enough-pw",
            # A checkout tested against a shared environment imports its own code.
            **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},
        },
    )
    assert result.stdout.split("\n")[:3] == [
        "anymail.backends.postmark.EmailBackend",
        "['POSTMARK_SERVER_TOKEN', 'WEBHOOK_SECRET']",
        "True",
    ]
