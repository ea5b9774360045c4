"""The `newsdesk` command: Django's command line with newsdesk's settings, run as a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.commands import newsdesk_run as _newsdesk


def test_help_lists_newsdesk_and_django_commands(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for command in ("import", "demo", "serve", "migrate", "check"):
        assert command in result.stdout


def test_serve_help_names_the_request_body_limits(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "serve", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for name in ("NEWSDESK_MAX_REQUEST_BYTES", "NEWSDESK_BODY_TIMEOUT", "docs/deploy.md"):
        assert name in text


def test_import_help_explains_the_options(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "import", "--help")
    assert result.returncode == 0, result.stderr
    assert "PATH" in result.stdout
    assert "--publish" in result.stdout and "--draft" in result.stdout


def test_check_passes_with_the_defaults(tmp_path: Path) -> None:
    result = _newsdesk(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "secret_key").is_file()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("TIME_ZONE", "Mars/Base"),
        ("DATABASE_URL", "nonsense://x"),
        ("SITE_URL", "ftp://x"),
        ("SECRET_KEY", "too-short"),
        ("NEWSDESK_TRUSTED_PROXIES", "many"),
        ("NEWSDESK_PROXY_ADDRESSES", "10.0.0.0/33"),
        ("NEWSDESK_PROXY_ADDRESSES", "proxy.internal"),
        ("NEWSDESK_MAX_REQUEST_BYTES", "12M"),
        ("NEWSDESK_BODY_TIMEOUT", "0"),
        ("NEWSDESK_BODY_MIN_RATE", "fast"),
        ("NEWSDESK_BODY_WAITING_MAX", "0"),
    ],
)
def test_malformed_environment_stops_with_the_variable_named(
    tmp_path: Path, name: str, value: str
) -> None:
    result = _newsdesk(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    assert f"newsdesk: configuration error: {name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_background_work_defaults_to_the_worker(tmp_path: Path) -> None:
    """No request of a default install sends mail or ranks related stories itself: a signup's
    answer then takes as long whatever it sends (the security review timed the difference)."""
    code = "from django.conf import settings; print(settings.NEWSDESK_TASKS, settings.TASKS)"
    result = _newsdesk(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split()[0] == "database"
    assert "django_tasks_db.DatabaseBackend" in result.stdout
    help_text = _newsdesk(tmp_path, "serve", "--help").stdout
    assert "--no-worker" in help_text and "beside" in help_text
